import type { Context, Next } from 'koa';
import type { Orm } from '../platform/db/orm.js';
import { customerClaims } from '../identity/customers/service.js';
import { readCustomerSummaryReadMostly } from '../identity/customers/read-model.js';
import { presentedAccessToken, tokenError, type ResolveAccessToken } from './callers/access-token-resolver.js';
import { ApiError } from '../platform/http/errors.js';
import { looksLikeJwt, revokeAccessToken, type AccessTokenClaims, type VerifyAccessToken } from './callers/access-tokens.js';
import type { AuthenticatedClient, ClientAuthentication } from './client-auth.js';
import { OIDC_ROUTES } from './routes.js';
import { CLAIMS_BY_SCOPE, isKnownScope } from '../identity/scopes.js';
import { mayIntrospect } from './token-access-policy.js';
import { z } from 'zod';
import { route, routerFor } from '../platform/openapi/route.js';
import { oauthFailure } from '../platform/openapi/shapes.js';
import { clientAuthentication, clientAuthFields, clientSecurity, invalidClient } from './provider-operations.js';

export interface TokenRouteDependencies {
  orm: Orm;
  apiAudience: string;
  verifyAccessToken: VerifyAccessToken;
  resolveAccessToken: ResolveAccessToken;
  isRevokedNow: (claims: AccessTokenClaims) => Promise<boolean>;
  clientAuthentication: ClientAuthentication;
}

/** oidc-provider reads an already-parsed body from `req.body` when the stream has been consumed. */
function handBodyToProvider(ctx: Context) {
  (ctx.req as unknown as { body: unknown }).body = ctx.request.body;
}

const body = (ctx: Context) => (ctx.request.body ?? {}) as Record<string, unknown>;

const tags: ['OpenID Connect'] = ['OpenID Connect'];
const jwtExample = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIuLi4ifQ.c2ln';

// Optional here although RFC 7662 §2.1 / RFC 7009 §2.1 require it: without a JWT the request goes to
// oidc-provider, which authenticates the client before it names a missing token.
const tokenParameters = z
  .object({
    token: z.string().optional().describe('The token (required); a JWT access token is answered by Gatehouse, anything else by oidc-provider'),
    token_type_hint: z.string().optional().describe('access_token or refresh_token; only a hint'),
  })
  .extend(clientAuthFields.shape)
  .loose();

const userInfoClaims = z
  .object({ sub: z.string() })
  .loose()
  .meta({ id: 'UserInfo', description: "OpenID Connect Core 1.0 §5.3.2: the claims the token's scopes release." });

const introspection = z
  .object({
    active: z.boolean(),
    token_type: z.enum(['Bearer', 'DPoP']).optional(),
    scope: z.string().optional(),
    client_id: z.string().optional(),
    sub: z.string().optional(),
    aud: z.union([z.string(), z.array(z.string())]).optional(),
    iss: z.string().optional(),
    exp: z.number().int().optional(),
    iat: z.number().int().optional(),
    jti: z.string().optional(),
    cnf: z.object({ jkt: z.string() }).optional(),
  })
  .loose()
  .meta({ id: 'IntrospectionResponse', description: 'RFC 7662 §2.2; refresh tokens (answered by oidc-provider) may carry further members.' });

const bearerFailures = {
  401: oauthFailure(
    'invalid_token: missing, malformed, expired or revoked (see WWW-Authenticate, RFC 6750 §3)',
    'invalid_token',
    'The access token is invalid',
    {
      'WWW-Authenticate': { description: 'RFC 6750 §3 / RFC 9449 §7.1 challenge', example: 'Bearer realm="gatehouse", error="invalid_token"' },
    },
  ),
  403: oauthFailure('insufficient_scope: the token lacks the openid scope', 'insufficient_scope', 'access token missing openid scope'),
};

/**
 * oidc-provider neither stores JWT access tokens nor accepts them at introspection, revocation or
 * userinfo. Gatehouse answers those three for its JWTs here and hands every other token (refresh
 * tokens, anything opaque) to the provider unchanged.
 */
export function createTokenRoutes(deps: TokenRouteDependencies) {
  const activeClaims = async (token: string): Promise<AccessTokenClaims | undefined> => {
    try {
      const claims = await deps.verifyAccessToken(token);
      return (await deps.isRevokedNow(claims)) ? undefined : claims;
    } catch {
      return undefined;
    }
  };

  const userinfo = async (ctx: Context, next: Next) => {
    const fromHeader = presentedAccessToken(ctx.get('authorization'));
    // RFC 6750 §2.2: a form parameter carries a Bearer token only.
    const fromBody = typeof body(ctx).access_token === 'string' ? { scheme: 'Bearer' as const, token: body(ctx).access_token as string } : undefined;
    const presented = fromHeader ?? fromBody;
    if (!presented || !looksLikeJwt(presented.token)) {
      if (ctx.method === 'POST') handBodyToProvider(ctx);
      return next();
    }
    const claims = await deps.resolveAccessToken(ctx, presented, { authoritative: true });
    const scopes = new Set((claims.scope ?? '').split(' '));
    if (!scopes.has('openid')) throw tokenError(presented.scheme, 403, 'insufficient_scope', 'access token missing openid scope');
    const customer = await readCustomerSummaryReadMostly(deps.orm, claims.sub);
    if (!customer) throw tokenError(presented.scheme, 401, 'invalid_token', 'the token subject is not a customer');
    const all = customerClaims(customer);
    const released = [...scopes].flatMap((scope) => CLAIMS_BY_SCOPE[scope] ?? []);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = Object.fromEntries(released.filter((claim) => all[claim] !== undefined).map((claim) => [claim, all[claim]]));
  };

  const userinfoResponses = {
    200: {
      description: 'Claims released by the token’s scopes',
      schema: userInfoClaims,
      example: { sub: '3f1c2a9e-8b4d-4c6e-9a7b-2d5e8f1a0c3b', email: 'jane@example.com', email_verified: true, given_name: 'Jane', family_name: 'Doe' },
    },
    ...bearerFailures,
  };

  /** Runs `answer` for a JWT `token` parameter; anything else goes to the provider untouched. */
  const forJwtToken =
    (answer: (ctx: Context, token: string, client: AuthenticatedClient) => Promise<void>) =>
    async (ctx: Context, { body: { token } }: { body: { token?: string } }, next: Next) => {
      if (typeof token !== 'string' || !looksLikeJwt(token)) {
        handBodyToProvider(ctx);
        return next();
      }
      await answer(ctx, token, await deps.clientAuthentication.authenticate(ctx, body(ctx)));
    };

  return routerFor([
    route({
      method: 'get',
      path: OIDC_ROUTES.userinfo,
      tags,
      summary: 'UserInfo (OpenID Connect Core 1.0 §5.3): claims released by scope',
      description: 'A JWT access token is answered by Gatehouse (with its revocation and DPoP checks); any other token by oidc-provider.',
      security: [{ bearer: ['openid'] }],
      responses: userinfoResponses,
      handler: (ctx, _input, next) => userinfo(ctx, next),
    }),
    route({
      method: 'post',
      path: OIDC_ROUTES.userinfo,
      tags,
      summary: 'UserInfo with the token in the form body (RFC 6750 §2.2)',
      security: [{ bearer: ['openid'] }, {}],
      request: {
        body: z.object({ access_token: z.string().optional().describe('RFC 6750 §2.2; instead of the Authorization header') }).loose(),
        bodyTypes: ['form'],
        example: { access_token: jwtExample },
      },
      responses: userinfoResponses,
      handler: (ctx, _input, next) => userinfo(ctx, next),
    }),
    route({
      method: 'post',
      path: OIDC_ROUTES.introspection,
      tags,
      summary: 'Token introspection (RFC 7662): JWT access tokens and refresh tokens',
      description: `${clientAuthentication} A token the client may not see is simply inactive (RFC 7662 §2.2): its own tokens, and for a resource server the access tokens of its audience.`,
      security: clientSecurity,
      request: { body: tokenParameters, bodyTypes: ['form'], example: { token: jwtExample, token_type_hint: 'access_token' } },
      responses: {
        200: {
          description: 'Introspection response',
          schema: introspection,
          example: {
            active: true,
            token_type: 'Bearer',
            scope: 'openid users:read',
            client_id: 'shop-web',
            sub: '3f1c2a9e-8b4d-4c6e-9a7b-2d5e8f1a0c3b',
            aud: 'https://auth.example.com/api',
            iss: 'https://auth.example.com',
            exp: 1798765432,
            iat: 1798761832,
            jti: 'J3kq8vN2cYx',
          },
        },
        400: oauthFailure(
          'invalid_request: more than one client authentication method, or a malformed one',
          'invalid_request',
          'client authentication must use exactly one, well-formed method',
        ),
        401: invalidClient,
      },
      handler: forJwtToken(async (ctx, token, client) => {
        const claims = await activeClaims(token);
        ctx.set('Cache-Control', 'no-store');
        // RFC 7662 §2.2: anything the caller may not see is simply inactive.
        if (!claims || !mayIntrospect(client, { clientId: claims.client_id, isAccessToken: true, audience: claims.aud }, deps.apiAudience)) {
          ctx.body = { active: false };
          return;
        }
        const cnf = claims.cnf as { jkt?: string } | undefined;
        ctx.body = {
          active: true,
          // RFC 9449 §6.2: a DPoP-bound token introspects as DPoP, with its confirmation.
          token_type: cnf?.jkt ? 'DPoP' : 'Bearer',
          scope: claims.scope,
          client_id: claims.client_id,
          sub: claims.sub,
          aud: claims.aud,
          iss: claims.iss,
          exp: claims.exp,
          iat: claims.iat,
          jti: claims.jti,
          ...(cnf?.jkt ? { cnf: { jkt: cnf.jkt } } : {}),
        };
      }),
    }),
    route({
      method: 'post',
      path: OIDC_ROUTES.revocation,
      tags,
      summary: 'Token revocation (RFC 7009): JWT access tokens and refresh tokens',
      description: `${clientAuthentication} Also 200 for an unknown token or one issued to another client, which stays valid (RFC 7009 §2.2).`,
      security: clientSecurity,
      request: { body: tokenParameters, bodyTypes: ['form'], example: { token: jwtExample, token_type_hint: 'access_token' } },
      responses: {
        200: { description: 'Revoked, or nothing to revoke (empty body)' },
        400: oauthFailure(
          'invalid_request: more than one client authentication method, or a malformed one',
          'invalid_request',
          'client authentication must use exactly one, well-formed method',
        ),
        401: invalidClient,
      },
      handler: forJwtToken(async (ctx, token, client) => {
        const claims = await activeClaims(token);
        // RFC 7009 §2.1–2.2: only the client the token was issued to can revoke it; anyone else gets
        // the same 200 as for an unknown token, and nothing changes.
        if (claims && claims.client_id === client.clientId) await revokeAccessToken(deps.orm, claims);
        ctx.status = 200;
        ctx.body = '';
      }),
    }),
  ]);
}

/**
 * RFC 6749 §5.2 invalid_scope for a scope Gatehouse does not know, at every grant. oidc-provider
 * drops unknown scopes silently (and a narrower grant is then answered with its `scope`).
 */
export async function tokenEndpointKnowsScopes(ctx: Context, next: Next) {
  if (ctx.path === OIDC_ROUTES.token && ctx.method === 'POST') {
    const scope = body(ctx).scope;
    const unknown = typeof scope === 'string' ? scope.split(' ').filter((each) => each !== '' && !isKnownScope(each)) : [];
    if (unknown.length > 0) throw new ApiError(400, 'invalid_scope', `unknown scope: ${unknown.join(' ').slice(0, 200)}`);
  }
  await next();
}

/** RFC 6749 §3.2: the token endpoint takes POST only; say so in OAuth's JSON rather than a 404 page. */
export async function tokenEndpointTakesPost(ctx: Context, next: Next) {
  if (ctx.path !== OIDC_ROUTES.token || ctx.method === 'POST' || ctx.method === 'OPTIONS') return next();
  ctx.set('Allow', 'POST');
  throw new ApiError(405, 'invalid_request', 'the token endpoint accepts POST only');
}

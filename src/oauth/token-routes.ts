import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context, Next } from 'koa';
import type { Orm } from '../platform/db/orm.js';
import { customerClaims } from '../identity/customers/service.js';
import { readCustomerSummary } from '../identity/customers/read-model.js';
import { presentedAccessToken, tokenError, type ResolveAccessToken } from './callers/access-token-resolver.js';
import { ApiError } from '../platform/http/errors.js';
import { looksLikeJwt, revokeAccessToken, type AccessTokenClaims, type VerifyAccessToken } from './callers/access-tokens.js';
import type { AuthenticatedClient, ClientAuthentication } from './client-auth.js';
import { OIDC_ROUTES } from './routes.js';
import { CLAIMS_BY_SCOPE, isKnownScope } from '../identity/scopes.js';
import { mayIntrospect } from './token-access-policy.js';

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

/**
 * oidc-provider neither stores JWT access tokens nor accepts them at introspection, revocation or
 * userinfo. Gatehouse answers those three for its JWTs here and hands every other token (refresh
 * tokens, anything opaque) to the provider unchanged.
 */
export function createTokenRoutes(deps: TokenRouteDependencies) {
  const router = new Router();

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
    const customer = await readCustomerSummary(deps.orm.em.fork() as EntityManager, claims.sub);
    if (!customer) throw tokenError(presented.scheme, 401, 'invalid_token', 'the token subject is not a customer');
    const all = customerClaims(customer);
    const released = [...scopes].flatMap((scope) => CLAIMS_BY_SCOPE[scope] ?? []);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = Object.fromEntries(released.filter((claim) => all[claim] !== undefined).map((claim) => [claim, all[claim]]));
  };

  router.get(OIDC_ROUTES.userinfo, userinfo);
  router.post(OIDC_ROUTES.userinfo, userinfo);

  /** Runs `handler` for a JWT `token` parameter; anything else goes to the provider untouched. */
  const forJwtToken =
    (handler: (ctx: Context, token: string, client: AuthenticatedClient) => Promise<void>) => async (ctx: Context, next: Next) => {
      const token = body(ctx).token;
      if (typeof token !== 'string' || !looksLikeJwt(token)) {
        handBodyToProvider(ctx);
        return next();
      }
      await handler(ctx, token, await deps.clientAuthentication.authenticate(ctx, body(ctx)));
    };

  router.post(OIDC_ROUTES.introspection, forJwtToken(async (ctx, token, client) => {
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
  }));

  router.post(OIDC_ROUTES.revocation, forJwtToken(async (ctx, token, client) => {
    const claims = await activeClaims(token);
    // RFC 7009 §2.1–2.2: only the client the token was issued to can revoke it; anyone else gets
    // the same 200 as for an unknown token, and nothing changes.
    if (claims && claims.client_id === client.clientId) await revokeAccessToken(deps.orm, claims);
    ctx.status = 200;
    ctx.body = '';
  }));

  return router;
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

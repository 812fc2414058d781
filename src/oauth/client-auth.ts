import { requestEntityManager } from '../platform/db/orm.js';
import { createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Orm } from '../platform/db/orm.js';
import { clientSecretMatches } from './clients/service.js';
import type { ClientMetadataCache } from './clients/cache.js';
import { CLIENT_ASSERTION_ALGORITHMS } from './clients/schemas.js';
import { ApiError } from '../platform/http/errors.js';
import { OIDC_ROUTES } from './routes.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface AuthenticatedClient {
  clientId: string;
  isPublic: boolean;
  /** Registered as a resource server (`--introspection`): may introspect access tokens for the API audience. */
  isResourceServer: boolean;
}

interface PresentedClient {
  method: ClientAuthMethod;
  clientId?: string;
  secret?: string;
  assertion?: string;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The endpoints where a client authenticates; one policy for all of them (issue #10 §4). */
export const CLIENT_AUTH_PATHS = new Set<string>([
  OIDC_ROUTES.token,
  OIDC_ROUTES.introspection,
  OIDC_ROUTES.revocation,
  OIDC_ROUTES.pushed_authorization_request,
]);

const single = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * How the client presented itself (RFC 6749 §2.3.1, RFC 7523 §2.2). RFC 6749 §2.3: "The client
 * MUST NOT use more than one authentication method in each request."
 */
function presentedClient(ctx: Context, body: Record<string, unknown>, fail: (status: 400 | 401, error: string) => ApiError): PresentedClient {
  const authorization = ctx.get('authorization');
  const secret = single(body.client_secret);
  const assertion = single(body.client_assertion);
  const bodyClientId = single(body.client_id);
  const mechanisms = [Boolean(authorization), Boolean(secret), Boolean(assertion)].filter(Boolean).length;
  if (mechanisms > 1) throw fail(400, 'invalid_request');
  if (authorization) {
    const [scheme, credentials] = authorization.split(' ');
    if (scheme?.toLowerCase() !== 'basic' || !credentials) throw fail(400, 'invalid_request');
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (separator < 0) throw fail(400, 'invalid_request');
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    const decode = (part: string) => {
      try {
        return decodeURIComponent(part.replace(/\+/g, ' '));
      } catch {
        throw fail(400, 'invalid_request');
      }
    };
    const clientId = decode(decoded.slice(0, separator));
    if (bodyClientId && bodyClientId !== clientId) throw fail(400, 'invalid_request');
    return { method: 'client_secret_basic', clientId, secret: decode(decoded.slice(separator + 1)) };
  }
  if (secret) return { method: 'client_secret_post', clientId: bodyClientId, secret };
  if (assertion) {
    if (body.client_assertion_type !== ASSERTION_TYPE) throw fail(400, 'invalid_request');
    let subject: string | undefined;
    try {
      subject = decodeJwt(assertion).sub;
    } catch {
      throw fail(401, 'invalid_client');
    }
    if (bodyClientId && bodyClientId !== subject) throw fail(400, 'invalid_request');
    return { method: 'private_key_jwt', clientId: subject, assertion };
  }
  return { method: 'none', clientId: bodyClientId };
}

/**
 * The one client-authentication policy of Gatehouse. Its middleware runs in front of
 * /oauth/token, /oauth/introspect, /oauth/revoke and /oauth/par alike: the method a client
 * presents must be the one it registered (oidc-provider treats client_secret_basic and
 * client_secret_post as interchangeable; Gatehouse does not), with one error and one
 * `WWW-Authenticate` realm. `authenticate` is the full check, for the paths Gatehouse answers
 * itself (JWT introspection and revocation); at the others oidc-provider then checks the secret
 * or assertion itself, by the same rules.
 */
export function createClientAuthentication(deps: { issuer: string; clients: Pick<ClientMetadataCache, 'get'>; orm: Orm }) {
  const realm = `Basic realm="${deps.issuer}"`;
  const fail = (ctx: Context) => (status: 400 | 401, error: string) =>
    new ApiError(
      status,
      error,
      status === 400 ? 'client authentication must use exactly one, well-formed method' : 'client authentication failed',
      undefined,
      status === 401 && ctx.get('authorization') ? { 'WWW-Authenticate': realm } : undefined,
    );
  const audiences = [deps.issuer, ...[...CLIENT_AUTH_PATHS].map((path) => `${deps.issuer}${path}`)];

  const registered = async (ctx: Context, body: Record<string, unknown>) => {
    const refuse = fail(ctx);
    const presented = presentedClient(ctx, body, refuse);
    if (!presented.clientId) throw refuse(401, 'invalid_client');
    const metadata = await deps.clients.get(presented.clientId);
    if (!metadata || metadata.token_endpoint_auth_method !== presented.method) throw refuse(401, 'invalid_client');
    return { presented: presented as PresentedClient & { clientId: string }, metadata, refuse };
  };

  /** A client assertion's `jti` is single-use (RFC 7523 §3 item 7), across instances. */
  const firstUse = async (clientId: string, jti: string, exp: number) => {
    const em = requestEntityManager(deps.orm);
    const rows = await em
      .getConnection()
      .execute<{ value: string }[]>(
        `insert into replay_guard (kind, value, expires_at) values ('client_assertion', ?, ?) on conflict (kind, value) do nothing returning value`,
        [createHash('sha256').update(`${clientId}:${jti}`).digest('base64url'), new Date(exp * 1000 + 60_000)],
      );
    return rows.length === 1;
  };

  return {
    /** Koa middleware for the four endpoints: the presented method must be the registered one. */
    policy() {
      return async (ctx: Context, next: Next) => {
        if (ctx.method === 'POST' && CLIENT_AUTH_PATHS.has(ctx.path)) await registered(ctx, (ctx.request.body ?? {}) as Record<string, unknown>);
        await next();
      };
    },

    async authenticate(ctx: Context, body: Record<string, unknown>): Promise<AuthenticatedClient> {
      const { presented, metadata, refuse } = await registered(ctx, body);
      const { clientId } = presented;
      const isResourceServer = metadata['urn:gatehouse:introspection'] === true;
      if (presented.method === 'none') return { clientId, isPublic: true, isResourceServer: false };
      if (presented.method === 'private_key_jwt') {
        try {
          const { payload } = await jwtVerify(presented.assertion!, createLocalJWKSet(metadata.jwks as JSONWebKeySet), {
            issuer: clientId,
            subject: clientId,
            audience: audiences,
            algorithms: [...CLIENT_ASSERTION_ALGORITHMS],
            requiredClaims: ['exp', 'jti'],
            clockTolerance: 5,
          });
          if (!(await firstUse(clientId, payload.jti!, payload.exp!))) throw refuse(401, 'invalid_client');
        } catch (error) {
          if (error instanceof ApiError) throw error;
          throw refuse(401, 'invalid_client');
        }
        return { clientId, isPublic: false, isResourceServer };
      }
      if (typeof metadata.client_secret !== 'string' || !presented.secret || !clientSecretMatches(metadata.client_secret, presented.secret)) {
        throw refuse(401, 'invalid_client');
      }
      return { clientId, isPublic: false, isResourceServer };
    },
  };
}

export type ClientAuthentication = ReturnType<typeof createClientAuthentication>;

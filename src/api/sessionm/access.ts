import type { Context, Middleware, Next } from 'koa';
import type { ClientMetadataCache } from '../../oauth/clients/cache.js';
import type { Orm } from '../../platform/db/orm.js';
import { insufficientScope, type ApiKeyLookup, type Authenticator, type Caller } from '../../oauth/callers/authenticator.js';
import { ApiError, forbidden } from '../../platform/http/errors.js';
import type { ClientAuthentication } from '../../oauth/client-auth.js';

export interface SessionmAccessDependencies {
  orm: Orm;
  auth: Authenticator;
  apiKeys: Pick<ApiKeyLookup, 'verify'>;
  /** The one client-authentication policy (src/oauth/client-auth.ts), for the spec's Basic header. */
  clientAuthentication: ClientAuthentication;
  clients: Pick<ClientMetadataCache, 'get'>;
}

export interface SessionmAccessOptions {
  /** The endpoint id the path's API key must be whitelisted for (SESSIONM_ENDPOINTS). */
  endpoint: string;
  /** users:read or users:write, asked of the server credential. */
  scope: string;
  /**
   * Accept a customer's own access token with these scopes instead of `scope` (spec Step 5: "put
   * the access token in the request header"; the token Step 3 issued carries `openid profile
   * email`). The route then limits it to the customer's own profile. Absent: servers only.
   */
  userScopes?: readonly string[];
}

/** What a customer's token needs to read and change its own profile: the scope of its profile claims. */
export const CUSTOMER_PROFILE_SCOPES = ['profile'] as const;

/**
 * `Authorization: Basic base64(client_id:client_secret)` (the spec's `authorization: Basic
 * AUTH_ID`): a confidential client allowed client_credentials and the scope; as strong as the
 * bearer token it could obtain with the same secret, without the round trip.
 */
async function basicClientCaller(deps: SessionmAccessDependencies, ctx: Context, scope: string): Promise<Caller> {
  const { clientId } = await deps.clientAuthentication.authenticate(ctx, {});
  const metadata = await deps.clients.get(clientId);
  const scopes = String(metadata?.scope ?? '')
    .split(/\s+/)
    .filter(Boolean);
  const grantTypes = (metadata?.grant_types as string[] | undefined) ?? [];
  if (!grantTypes.includes('client_credentials')) throw forbidden('The client may not use client_credentials');
  if (!scopes.includes(scope)) throw insufficientScope([scope]);
  return { kind: 'client', clientId, scopes };
}

/**
 * SessionM's server-to-server calls carry two credentials (spec, "Step by Step"): the app's API
 * key in the path (`/priv/v1/apps/API_KEY/…`) and an `authorization` header. In Gatehouse the
 * key is a Gatehouse API key whitelisted for the endpoint id, and the header is the server's
 * client credentials (Basic) or a client-credentials bearer token with the scope; read and
 * update also take the customer's own token (with `profile`, as Step 3 issues it). The header is
 * checked first, so the API key
 * store is only asked on behalf of an authenticated server.
 */
export function sessionmAccess(deps: SessionmAccessDependencies, options: SessionmAccessOptions): Middleware {
  const bearer = deps.auth.authenticate({
    scopes: [options.scope],
    allowUser: options.userScopes !== undefined,
    userScopes: options.userScopes,
    allowClient: true,
  });
  return async (ctx: Context, next: Next) => {
    if (/^basic\s/i.test(ctx.get('authorization'))) ctx.state.caller = await basicClientCaller(deps, ctx, options.scope);
    else await bearer(ctx, async () => undefined);

    const identity = await deps.apiKeys.verify(String(ctx.params.api_key ?? ''));
    if (!identity) throw new ApiError(401, 'invalid_api_key', 'The API key in the path is invalid or revoked');
    if (!identity.endpoints.includes('*') && !identity.endpoints.includes(options.endpoint)) {
      throw forbidden('The API key is not whitelisted for this endpoint');
    }
    ctx.state.apiKeyId = identity.keyId;
    await next();
  };
}

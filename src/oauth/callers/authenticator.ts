import type { Context, Middleware, Next } from 'koa';
import {
  bothChallenges,
  presentedAccessToken,
  tokenError,
  type PresentedAccessToken,
  type ResolveAccessToken,
  type TokenScheme,
} from './access-token-resolver.js';
import type { ApiKeyIdentity, ApiKeyLookup } from '../../identity/api-keys/verifier.js';
export type { ApiKeyIdentity, ApiKeyLookup };
import { ApiError, tooManyRequests } from '../../platform/http/errors.js';
import type { CredentialLimiter } from '../../identity/limits/credential-limiter.js';

/** Who is calling a resource API (spec README, "Three kinds of caller"). */
export type Caller =
  | { kind: 'user'; customerId: string; clientId: string; scopes: readonly string[]; tokenId: string }
  | { kind: 'client'; clientId: string; scopes: readonly string[] }
  | { kind: 'api_key'; keyId: string; name: string; scopes: readonly string[] };

export interface AuthenticateOptions {
  /** Every one of these must be in a user or client token. API keys are governed by `allowApiKey`. */
  scopes?: readonly string[];
  /**
   * Accept API keys whitelisted for this endpoint id (e.g. 'users.create'). REMP: a key "has to
   * be whitelisted to access specific API endpoints" — the whitelist is what authorises a key,
   * so `scopes` are not asked of it. Without this option API keys are refused here.
   */
  allowApiKey?: { endpoint: string };
  /** Accept a customer's access token (default true). */
  allowUser?: boolean;
  /**
   * What a customer's own token must carry instead of `scopes` (e.g. SessionM: the `profile` scope
   * its sign-in grants, spec Steps 5–6); the route still limits it to the customer's own record.
   */
  userScopes?: readonly string[];
  /** Accept a client-credentials token (default true). */
  allowClient?: boolean;
}

export interface AuthenticatorDependencies {
  /** Verification, revocation and DPoP binding of access tokens (src/oauth/callers/access-token-resolver.ts). */
  resolveAccessToken: ResolveAccessToken;
  apiKeys: ApiKeyLookup;
  /** Invalid API keys count per client IP; past the allowance the IP gets 429. */
  apiKeyLimiter: Pick<CredentialLimiter, 'reserve'>;
}

const REALM = 'realm="gatehouse"';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// RFC 6750 §3: no error attribute when the request carried no credentials at all.
const missingCredentials = () => new ApiError(401, 'unauthorized', 'Authorization is required', undefined, { 'WWW-Authenticate': bothChallenges });

const invalidToken = (description: string, scheme: TokenScheme = 'Bearer') => tokenError(scheme, 401, 'invalid_token', description);
const invalidRequest = (description: string) => tokenError('Bearer', 400, 'invalid_request', description);

export const insufficientScope = (scopes: readonly string[], message = `The ${scopes.join(' ')} scope is required`, scheme: TokenScheme = 'Bearer') =>
  new ApiError(
    403,
    'insufficient_scope',
    message,
    { scope: scopes.join(' ') },
    {
      'WWW-Authenticate': `${scheme} ${REALM}, error="insufficient_scope", scope="${scopes.join(' ')}"`,
    },
  );

const notAccepted = (message: string, scheme: TokenScheme = 'Bearer') =>
  new ApiError(403, 'forbidden', message, undefined, { 'WWW-Authenticate': `${scheme} ${REALM}, error="insufficient_scope"` });

interface PresentedCredential {
  value: string;
  /** Came in an `api_key` / `x-api-key` header: only ever an API key. */
  fromApiKeyHeader: boolean;
  /** How an access token came: Bearer or DPoP (RFC 9449 §7.1). */
  scheme: TokenScheme;
}

/**
 * The credential of the request: `Authorization: Bearer …` (an access token or a `gh_` API key),
 * `api_key` (CRM.COM) or `x-api-key`. RFC 6750 §2: more than one different credential is an error.
 */
function presentedCredential(ctx: Context): PresentedCredential | undefined {
  const found: PresentedCredential[] = [];
  const presented = presentedAccessToken(ctx.get('authorization'));
  if (presented) found.push({ value: presented.token, fromApiKeyHeader: false, scheme: presented.scheme });
  for (const header of ['api_key', 'x-api-key']) {
    const value = ctx.get(header).trim();
    if (value) found.push({ value, fromApiKeyHeader: true, scheme: 'Bearer' });
  }
  if (new Set(found.map((each) => each.value)).size > 1) throw invalidRequest('Present one credential only');
  return found.find((each) => each.fromApiKeyHeader) ?? found[0];
}

/**
 * Resolves the caller of a resource API and enforces what the route declares. Access tokens are
 * verified locally (signature, issuer, audience, expiry); revocation comes from an in-memory set
 * refreshed every REVOCATION_CACHE_SECONDS, so a revoked token stops working within that bound.
 */
export function createAuthenticator(deps: AuthenticatorDependencies) {
  const tokenCaller = async (ctx: Context, presented: PresentedAccessToken, options: AuthenticateOptions): Promise<Caller> => {
    const { scheme } = presented;
    const claims = await deps.resolveAccessToken(ctx, presented);

    const scopes = (claims.scope ?? '').split(' ').filter(Boolean);
    let caller: Caller;
    // Client-credentials tokens have no end user: oidc-provider sets sub to the client id.
    if (claims.sub === claims.client_id) {
      if (options.allowClient === false) throw notAccepted('Client tokens are not accepted at this endpoint', scheme);
      caller = { kind: 'client', clientId: claims.client_id, scopes };
    } else if (UUID.test(claims.sub)) {
      if (options.allowUser === false) throw notAccepted('User tokens are not accepted at this endpoint', scheme);
      caller = { kind: 'user', customerId: claims.sub, clientId: claims.client_id, scopes, tokenId: claims.jti };
    } else {
      // Other subjects (tenant admins: `tenant-admin:<uuid>`) belong to their own APIs.
      throw invalidToken('The access token is not valid at this endpoint', scheme);
    }
    const required = caller.kind === 'user' && options.userScopes ? options.userScopes : (options.scopes ?? []);
    const missing = required.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) throw insufficientScope(missing, undefined, scheme);
    return caller;
  };

  /**
   * One look-up per key at a time on this instance: a burst of requests with a key not yet cached
   * (a back office starting 20 calls at once) shares one reservation and one verification, so
   * in-flight reservations never crowd a valid key into 429.
   */
  const verifying = new Map<string, Promise<ApiKeyIdentity | undefined>>();
  const verifyReserved = async (key: string, ip: string): Promise<ApiKeyIdentity | undefined> => {
    // Reserved before the key is looked up, so parallel guesses cannot outrun the count.
    const attempt = await deps.apiKeyLimiter.reserve(key, ip);
    if (!attempt.allowed) throw tooManyRequests(attempt.retryAfterSeconds);
    try {
      const identity = await deps.apiKeys.verify(key);
      await (identity ? attempt.release() : attempt.fail());
      return identity;
    } catch (error) {
      await attempt.release();
      throw error;
    }
  };

  const apiKeyCaller = async (ctx: Context, key: string, options: AuthenticateOptions): Promise<Caller> => {
    const endpoint = options.allowApiKey?.endpoint;
    if (!endpoint) throw invalidToken('API keys are not accepted at this endpoint');
    let identity = deps.apiKeys.fromCache(key);
    if (!identity) {
      let pending = verifying.get(key);
      if (!pending) {
        pending = verifyReserved(key, ctx.ip).finally(() => verifying.delete(key));
        verifying.set(key, pending);
      }
      identity = await pending;
      if (!identity) throw invalidToken('The API key is invalid');
    }
    if (!identity.endpoints.includes('*') && !identity.endpoints.includes(endpoint)) {
      throw notAccepted('The API key is not whitelisted for this endpoint');
    }
    return { kind: 'api_key', keyId: identity.keyId, name: identity.name, scopes: identity.scopes };
  };

  return {
    /** Koa middleware: sets `ctx.state.caller` (read it with `currentCaller(ctx)`) or throws 400/401/403/429. */
    authenticate(options: AuthenticateOptions = {}): Middleware {
      return async (ctx: Context, next: Next) => {
        const credential = presentedCredential(ctx);
        if (!credential) throw missingCredentials();
        ctx.state.caller =
          credential.fromApiKeyHeader || (credential.scheme === 'Bearer' && deps.apiKeys.looksLikeApiKey(credential.value))
            ? await apiKeyCaller(ctx, credential.value, options)
            : await tokenCaller(ctx, { scheme: credential.scheme, token: credential.value }, options);
        await next();
      };
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;

/** The caller `authenticate()` resolved; a route without it is a programming error. */
export function currentCaller(ctx: Context): Caller {
  const caller = ctx.state.caller as Caller | undefined;
  if (!caller) throw new Error('currentCaller() used on a route without authenticate()');
  return caller;
}

export function hasScope(caller: Caller, scope: string): boolean {
  return caller.scopes.includes(scope);
}

/**
 * A user acts only on itself unless its token carries `scope` (e.g. users:admin). Clients and
 * API keys have no self: the route's scopes (client) or whitelist (API key) already decided
 * that they may act on any customer (spec README, "Three kinds of caller").
 */
export function assertSelfOrScope(caller: Caller, customerId: string, scope: string): void {
  if (caller.kind !== 'user' || caller.customerId === customerId || hasScope(caller, scope)) return;
  throw insufficientScope([scope], 'A user token may act only on its own user');
}

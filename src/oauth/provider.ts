import { connectionEntityManager } from '../platform/db/orm.js';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../platform/config.js';
import type { Orm } from '../platform/db/orm.js';
import { clientSecretMatches } from './clients/service.js';
import { customerClaims } from '../identity/customers/service.js';
import { readCustomerSummary } from '../identity/customers/read-model.js';
import type { LoadedKeys } from './keys/service.js';
import { deriveKey } from '../platform/crypto/secrets.js';
import type { RenderView } from '../platform/http/views.js';
import type { Logger } from '../platform/logger.js';
import { createAdapterClass, prefetchedAccount } from './adapter.js';
import type { ClientMetadataCache } from './clients/cache.js';
import { API_SCOPES, CLAIMS_BY_SCOPE, OIDC_SCOPES } from '../identity/scopes.js';
import { CLIENT_ASSERTION_ALGORITHMS } from './clients/schemas.js';
import { DPOP_ALGORITHMS } from './callers/dpop.js';
import { mayIntrospect } from './token-access-policy.js';
import { decodeJwt } from 'jose';

/** The scope a JWT access token carries ('' when none or not a JWT). */
function grantedScope(accessToken: string): string {
  try {
    const { scope } = decodeJwt(accessToken);
    return typeof scope === 'string' ? scope : '';
  } catch {
    return '';
  }
}

export interface ProviderDependencies {
  config: Config;
  orm: Orm;
  keys: LoadedKeys;
  renderView: RenderView;
  logger: Logger;
  /** Client metadata, cached per instance (shared with Gatehouse's own client authentication). */
  clients: ClientMetadataCache;
  /** Called on every successful token response, for metrics. */
  onTokenIssued?: (grantType: string) => void;
  /** Lets capabilities (custom grants) register themselves on each new provider instance. */
  extend?: (provider: Provider) => void;
}

import { OIDC_ROUTES } from './routes.js';

export { OIDC_ROUTES };

import { INTERNAL_CLIENT_ID } from './clients/internal-client.js';
import { LocalSigningKey } from './keys/local-signing-key.js';

export { INTERNAL_CLIENT_ID };

/**
 * Gatehouse's own first-party client: tokens that Gatehouse's REST endpoints issue (tenant admin
 * login, REMP login) belong to it. It has no grant types, so nobody can use it at /oauth/token.
 */
const INTERNAL_CLIENT = (config: Config) => ({
  client_id: INTERNAL_CLIENT_ID,
  client_name: 'Gatehouse',
  client_secret: deriveKey(config.secret, 'internal-client').toString('base64url'),
  grant_types: [],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic' as const,
  scope: [...OIDC_SCOPES, ...API_SCOPES].join(' '),
});

/** Asked for on every token request: built once per configuration. */
const resourceServers = new WeakMap<Config, ReturnType<typeof describeResourceServer>>();

/** Every access token is a JWT (RFC 9068) for the Gatehouse API, so resource servers verify it locally. */
export function resourceServer(config: Config) {
  let described = resourceServers.get(config);
  if (!described) {
    described = describeResourceServer(config);
    // Shared by every request: frozen, so a caller's change would throw instead of leaking into others.
    Object.freeze(described.jwt.sign);
    Object.freeze(described.jwt);
    resourceServers.set(config, Object.freeze(described));
  }
  return described;
}

function describeResourceServer(config: Config) {
  return {
    scope: [...OIDC_SCOPES.filter((scope) => scope !== 'offline_access'), ...API_SCOPES].join(' '),
    audience: config.apiAudience,
    accessTokenTTL: config.ttl.accessToken,
    accessTokenFormat: 'jwt' as const,
    jwt: { sign: { alg: config.accessTokenAlg } },
  };
}

export function buildProvider(deps: ProviderDependencies): Provider {
  const { config, orm } = deps;
  const cookieKey = deriveKey(config.secret, 'cookies').toString('base64url');
  const findAccount: Configuration['findAccount'] = async (_ctx, sub) => {
    // In a refresh, the account came with the refresh token (one statement fewer per rotation).
    const prefetched = prefetchedAccount(sub);
    const customer = prefetched !== undefined ? prefetched : await readCustomerSummary(connectionEntityManager(orm), sub);
    if (!customer) return undefined;
    return { accountId: customer.id, claims: () => customerClaims(customer) as { sub: string } };
  };

  const configuration: Configuration = {
    adapter: createAdapterClass({
      orm,
      clients: deps.clients,
      accessTokenTtlSeconds: Math.max(config.ttl.accessToken, config.ttl.clientCredentials),
      secret: config.secret,
    }),
    // Current keys sign through node:crypto (LocalSigningKey); `next` and `retired` keys
    // (key_ops: verify) stay JWKs, published and never chosen to sign.
    jwks: { keys: deps.keys.privateJwks.keys.map((jwk) => (jwk.key_ops ? jwk : new LocalSigningKey(jwk))) } as Configuration['jwks'],
    clients: [INTERNAL_CLIENT(config)],
    findAccount,
    routes: OIDC_ROUTES,
    scopes: [...OIDC_SCOPES, ...API_SCOPES],
    claims: CLAIMS_BY_SCOPE,
    cookies: {
      keys: [cookieKey],
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // OAuth 2.1: every authorization-code flow uses PKCE, and oidc-provider only accepts S256.
    pkce: { required: () => true },
    rotateRefreshToken: true,
    // Discovery lists only what a client can use (issue #10 §4): no client_secret_jwt (secrets are
    // stored hashed), and assertion algorithms are asymmetric.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      clientAuthSigningAlgValues: [...CLIENT_ASSERTION_ALGORITHMS],
      dPoPSigningAlgValues: [...DPOP_ALGORITHMS],
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
      introspectionSigningAlgValues: ['RS256', 'ES256'],
      authorizationSigningAlgValues: ['RS256', 'ES256'],
    },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      id_token_signed_response_alg: 'RS256',
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    responseTypes: ['code'],
    ttl: {
      // Tokens minted for a resource server with its own lifetime (tenant admin: 30 days) keep it.
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.ttl.accessToken,
      AuthorizationCode: config.ttl.authorizationCode,
      ClientCredentials: config.ttl.clientCredentials,
      IdToken: config.ttl.idToken,
      Interaction: config.ttl.interaction,
      Session: config.ttl.session,
      Grant: config.ttl.refreshToken,
      RefreshToken: config.ttl.refreshToken,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
    },
    features: {
      devInteractions: { enabled: false },
      // LocalSigningKey above. Experimental in oidc-provider 9: a release that changes it refuses
      // to start until this acknowledgement is updated, so an upgrade cannot change signing silently.
      externalSigningSupport: { enabled: true, ack: 'experimental-01' },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // The same policy as Gatehouse's JWT introspection (token-routes.ts `mayIntrospect`).
        allowedPolicy: async (_ctx, client, token) => {
          const metadata = await deps.clients.get(client.clientId);
          const isResourceServer = metadata?.['urn:gatehouse:introspection'] === true;
          const isAccessToken = token.kind === 'AccessToken' || token.kind === 'ClientCredentials';
          return mayIntrospect(
            { clientId: client.clientId, isResourceServer },
            { clientId: String(token.clientId), isAccessToken, audience: (token as { aud?: unknown }).aud },
            config.apiAudience,
          );
        },
      },
      revocation: {
        enabled: true,
        // A client revokes only its own tokens (RFC 7009 §2.1).
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = deps.renderView('logout', { title: 'Sign out', form, host: ctx.host, clientName: ctx.oidc.client?.clientName });
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = deps.renderView('logged-out', { title: 'Signed out', clientName: ctx.oidc.client?.clientName });
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => config.apiAudience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== config.apiAudience) throw new errors.InvalidTarget();
          return resourceServer(config);
        },
      },
    },
    formats: {
      customizers: {
        // The grant id lets resource servers and introspection refuse tokens of a revoked grant.
        jwt: (_ctx, token, jwt) => {
          const grantId = (token as { grantId?: string }).grantId;
          if (grantId) jwt.payload.gid = grantId;
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = deps.renderView('error', { title: 'Something went wrong', error: out.error, description: out.error_description });
    },
  };

  const provider = new Provider(config.issuer, configuration);
  // Host and X-Forwarded-* reach the provider rewritten from ISSUER (src/platform/http/issuer-pinning.ts).
  provider.proxy = true;

  // Client secrets are stored as SHA-256 hashes; compare what the client presents against it.
  const clientPrototype = provider.Client.prototype as unknown as { clientSecret?: string; compareClientSecret(actual: string): Promise<boolean> };
  clientPrototype.compareClientSecret = async function compareHashedSecret(this: { clientSecret?: string }, actual: string) {
    return typeof this.clientSecret === 'string' && clientSecretMatches(this.clientSecret, actual);
  };

  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { error?: string; error_description?: string; access_token?: string; scope?: string } | undefined;
    // RFC 6749 §5.2 names this case unauthorized_client; oidc-provider answers invalid_request.
    if (body?.error === 'invalid_request' && body.error_description === 'requested grant type is not allowed for this client') {
      ctx.body = { ...body, error: 'unauthorized_client' };
    }
    if (ctx.path === OIDC_ROUTES.token && ctx.status === 200 && typeof body?.access_token === 'string') {
      // RFC 6749 §5.1: every token response says what was granted, even when it is nothing.
      // `created_at` (seconds) is what SessionM's token responses carry (Step 3); an extension.
      ctx.body = { ...body, scope: body.scope ?? grantedScope(body.access_token), created_at: Math.floor(Date.now() / 1000) };
    }
  });

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = (ctx.oidc.params?.grant_type as string | undefined) ?? 'unknown';
    deps.onTokenIssued?.(grantType);
  });
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: Error) => {
    deps.logger.error({ err: error, requestId: ctx.get('x-request-id') }, 'oidc-provider server error');
  });
  deps.extend?.(provider);
  return provider;
}

import { connectionEntityManager, requestEntityManager } from '../platform/db/orm.js';
import { randomToken } from '../platform/crypto/secrets.js';
import { CLAIMS_BY_SCOPE } from '../identity/scopes.js';
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../platform/config.js';
import type { Orm } from '../platform/db/orm.js';
import { customerClaims } from '../identity/customers/service.js';
import { readCustomerSummary } from '../identity/customers/read-model.js';
import { pairDeviceWithGrant } from '../identity/credentials/devices/service.js';
import { OIDC_SCOPES } from '../identity/scopes.js';
import { resourceServer } from './provider.js';
import { withBatchedModelWrites } from './adapter.js';
import type { DeferredWrite } from '../platform/db/companion-writes.js';

type ProviderClient = NonNullable<KoaContextWithOIDC['oidc']['client']>;

export interface CustomerTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

export interface IssueCustomerTokensInput {
  provider: Provider;
  config: Config;
  orm: Orm;
  client: ProviderClient;
  customerId: string;
  grantType: string;
  /** Space-separated; defaults to everything the client may ask for. */
  requestedScope?: string;
  /** REMP device token: pairs the new grant with the device. */
  deviceToken?: string;
  /** Inside the token endpoint: enables the ID token. */
  ctx?: KoaContextWithOIDC;
  /** Overrides whether a refresh token is issued (default: the client may use refresh_token). */
  refreshToken?: boolean;
  /**
   * The customer as the sign-in just read it (the password grant's verifier): the ID token's
   * claims come from it instead of a second read of the same row.
   */
  customer?: Parameters<typeof customerClaims>[0];
  /**
   * The sign-in's settlement and attempt record (src/identity/sign-in.ts), stored in the statement
   * that stores the Grant and the RefreshToken: a login's writes in one round trip and one commit
   * (issue 14 item 2). Run on its own when issuing fails before that statement.
   */
  settlement?: DeferredWrite;
}

export class DevicePairingError extends Error {}

/**
 * The one place tokens are issued for an authenticated customer outside the authorization-code
 * flow: every custom grant and every REST login ends here, so all of them produce the same
 * JWT access token, rotating refresh token and ID token, bound to one oidc-provider Grant.
 */
export async function issueCustomerTokens(input: IssueCustomerTokensInput): Promise<CustomerTokenResponse & { grantId: string }> {
  try {
    return await issueTokens(input);
  } catch (error) {
    // A refused scope or device token: the sign-in itself succeeded and is recorded as such.
    await input.settlement?.runAlone().catch(() => undefined);
    throw error;
  }
}

async function issueTokens(input: IssueCustomerTokensInput): Promise<CustomerTokenResponse & { grantId: string }> {
  const { provider, config, client, customerId } = input;
  const allowed = client.scope ? client.scope.split(' ') : [...OIDC_SCOPES];
  const requested = input.requestedScope ? [...new Set(input.requestedScope.split(/\s+/).filter(Boolean))] : allowed;
  const notAllowed = requested.filter((scope) => !allowed.includes(scope));
  if (notAllowed.length) throw new errors.InvalidScope('requested scope is not allowed for this client', notAllowed.join(' '));

  const api = resourceServer(config);
  const apiScopes = new Set(api.scope.split(' '));
  const oidcScopes = requested.filter((scope) => (OIDC_SCOPES as readonly string[]).includes(scope));
  const resourceScopes = requested.filter((scope) => apiScopes.has(scope));

  // The grant's id is chosen before anything is stored, so the device can be paired first: an
  // invalid device token then leaves nothing behind, and nothing has to be undone by hand.
  const grant = new provider.Grant({ jti: randomToken(32), accountId: customerId, clientId: client.clientId } as never);
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
  if (resourceScopes.length) grant.addResourceScope(config.apiAudience, resourceScopes.join(' '));
  if (input.deviceToken && !(await pairDeviceWithGrant(requestEntityManager(input.orm), input.deviceToken, grant.jti!, customerId))) {
    throw new DevicePairingError('device_token is invalid or revoked');
  }
  const grantId = grant.jti!;
  const accessToken = new provider.AccessToken({ accountId: customerId, client, grantId, scope: resourceScopes.join(' '), gty: input.grantType } as never);
  accessToken.resourceServer = new provider.ResourceServer(config.apiAudience, api);
  input.ctx?.oidc.entity('AccessToken', accessToken);
  const refreshToken =
    (input.refreshToken ?? client.grantTypeAllowed('refresh_token'))
      ? new provider.RefreshToken({
          accountId: customerId,
          client,
          grantId,
          scope: requested.join(' '),
          gty: input.grantType,
          resource: config.apiAudience,
          rotations: 0,
          iiat: Math.floor(Date.now() / 1000),
        } as never)
      : undefined;
  if (refreshToken) input.ctx?.oidc.entity('RefreshToken', refreshToken);

  // What is stored and what is signed go out together: the Grant and the RefreshToken (with the
  // sign-in's settlement) in one statement (issue 14 item 2) while the JWTs are signed on the
  // libuv pool. One wait instead of three in a row takes the signatures' time off the issuing
  // step (CPU-neutral in the bench); the response still waits for the statement's commit.
  const [refreshTokenValue, accessTokenValue, idTokenValue] = await Promise.all([
    withBatchedModelWrites(async () => {
      await grant.save();
      return refreshToken?.save();
    }, input.settlement),
    accessToken.save(),
    input.ctx && oidcScopes.includes('openid') ? issueIdToken(input, input.ctx, oidcScopes) : undefined,
  ]);
  const response: CustomerTokenResponse & { grantId: string } = {
    access_token: accessTokenValue,
    token_type: 'Bearer',
    expires_in: accessToken.expiration,
    scope: requested.join(' '),
    grantId,
  };
  if (refreshTokenValue) response.refresh_token = refreshTokenValue;
  if (idTokenValue) response.id_token = idTokenValue;
  return response;
}

/** The ID token of a customer's tokens, with the claims its OIDC scopes release (OIDC Core §5.4). */
async function issueIdToken(input: IssueCustomerTokensInput, ctx: KoaContextWithOIDC, oidcScopes: string[]): Promise<string | undefined> {
  const customer = input.customer ?? (await readCustomerSummary(connectionEntityManager(input.orm), input.customerId));
  if (!customer) return undefined;
  const all = customerClaims(customer);
  const released = oidcScopes.flatMap((scope) => CLAIMS_BY_SCOPE[scope] ?? []);
  const claims = Object.fromEntries(released.filter((claim) => all[claim] !== undefined).map((claim) => [claim, all[claim]]));
  const idToken = new input.provider.IdToken({ sub: input.customerId, ...claims, auth_time: Math.floor(Date.now() / 1000) }, { ctx });
  (idToken as unknown as { scope: string }).scope = oidcScopes.join(' ');
  return idToken.issue({ use: 'idtoken' });
}

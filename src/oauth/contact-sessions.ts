import { requestEntityManager } from '../platform/db/orm.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { decodeJwt } from 'jose';
import type { Config } from '../platform/config.js';
import type { CustomerRow } from '../identity/customers/entities.js';
import { findCustomerById } from '../identity/customers/service.js';
import type { Orm } from '../platform/db/orm.js';
import { issueCustomerTokens } from './customer-tokens.js';
import type { ProviderHolder } from './provider-holder.js';
import { INTERNAL_CLIENT_ID, resourceServer } from './provider.js';
import { revokeGrant } from './revoke-grant.js';
import { contactSummaryOf } from '../identity/contacts/presenter.js';
import { organisationsOf } from '../identity/contacts/service.js';

export interface ContactSessionDependencies {
  config: Config;
  orm: Orm;
  providers: ProviderHolder;
}

/**
 * Scopes of a CRM.COM self-service token: the customer acting on itself at every Gatehouse API
 * (spec README, "One token issuer"), e.g. GET /api/v1/user/info and /oauth/userinfo.
 */
export const CONTACT_TOKEN_SCOPE = 'openid profile email phone users:read users:write meta:read meta:write';

export interface ContactAuthentication {
  contact: ReturnType<typeof contactSummaryOf>;
  organisations: Array<{ name: string; id: string; org_type: string }>;
  access_token: string;
  refresh_token: string;
  /** The access token's expiry, in milliseconds since the epoch (spec Step 3: "exp": 1629364506000). */
  exp: number;
}

async function authenticationFor(
  em: EntityManager,
  customer: CustomerRow,
  tokens: { access_token: string; refresh_token: string },
): Promise<ContactAuthentication> {
  const organisations = (await organisationsOf(em, [customer.id])).get(customer.id) ?? [];
  return {
    contact: contactSummaryOf(customer),
    organisations: organisations.map(({ name, id, org_type }) => ({ name, id, org_type })),
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    exp: decodeJwt(tokens.access_token).exp! * 1000,
  };
}

/**
 * Tokens for a contact signed in through a self-service endpoint. The application is known by
 * its API key, not as an OAuth client, so the tokens belong to Gatehouse's internal client; the
 * refresh token is always issued (CRM.COM Step 5) and used at /self-service/v1/contacts/refresh.
 */
export async function signInContact(deps: ContactSessionDependencies, customer: CustomerRow, grantType: string): Promise<ContactAuthentication> {
  const provider = deps.providers.current;
  const client = await provider.Client.find(INTERNAL_CLIENT_ID);
  const tokens = await issueCustomerTokens({
    provider,
    config: deps.config,
    orm: deps.orm,
    client: client!,
    customerId: customer.id,
    grantType,
    requestedScope: CONTACT_TOKEN_SCOPE,
    refreshToken: true,
  });
  return authenticationFor(requestEntityManager(deps.orm), customer, { access_token: tokens.access_token, refresh_token: tokens.refresh_token! });
}

/**
 * CRM.COM Step 5, done in-process because the internal client may not use the refresh_token
 * grant at /oauth/token. Rotation as oidc-provider does it: the presented token is consumed and a
 * new one issued under the same grant; one presented again after that (a replay — someone else
 * holds a copy) revokes the grant, and with it every token issued under it. Undefined for every
 * kind of failure.
 */
export async function refreshContactSession(deps: ContactSessionDependencies, presented: string): Promise<ContactAuthentication | undefined> {
  const provider = deps.providers.current;
  const token = await provider.RefreshToken.find(presented, { ignoreExpiration: true });
  if (!token || token.clientId !== INTERNAL_CLIENT_ID || token.isExpired || !token.grantId) return undefined;
  if (token.consumed) {
    await revokeGrant(provider, token.grantId);
    return undefined;
  }
  const grant = await provider.Grant.find(token.grantId);
  if (!grant || grant.accountId !== token.accountId) return undefined;

  const em = requestEntityManager(deps.orm);
  // The adapter's consume is the one atomic single-use step: of two refreshes racing with one
  // token only one wins, and the loser's grant is revoked there as the replay it looks like.
  try {
    await token.consume();
  } catch {
    return undefined;
  }
  const customer = await findCustomerById(em, token.accountId);
  if (!customer) {
    await revokeGrant(provider, token.grantId);
    return undefined;
  }

  const client = (await provider.Client.find(INTERNAL_CLIENT_ID))!;
  const gty = token.gty?.endsWith('refresh_token') ? token.gty : `${token.gty ?? ''} refresh_token`.trim();
  const rotated = new provider.RefreshToken({
    accountId: token.accountId,
    client,
    grantId: token.grantId,
    gty,
    scope: token.scope ?? '',
    resource: token.resource,
    rotations: (token.rotations ?? 0) + 1,
    iiat: token.iiat,
  });
  const api = resourceServer(deps.config);
  const apiScopes = new Set(api.scope.split(' '));
  const accessToken = new provider.AccessToken({
    accountId: token.accountId,
    client,
    grantId: token.grantId,
    gty,
    scope: grant.getResourceScopeFiltered(
      deps.config.apiAudience,
      [...token.scopes].filter((scope) => apiScopes.has(scope)),
    ),
  });
  accessToken.resourceServer = new provider.ResourceServer(deps.config.apiAudience, api);
  const refreshToken = await rotated.save();
  return authenticationFor(em, customer, { access_token: await accessToken.save(), refresh_token: refreshToken });
}

import type Provider from 'oidc-provider';
import type { Config } from '../platform/config.js';
import { INTERNAL_CLIENT_ID, resourceServer } from './provider.js';

export interface MintedAccessToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

/**
 * Issues a Gatehouse API access token through oidc-provider's own AccessToken model (same issuer,
 * keys and format as /oauth/token), for REST endpoints that authenticate a caller themselves.
 */
export async function mintAccessToken(
  provider: Provider,
  config: Config,
  input: { accountId: string; scope: string; ttlSeconds?: number; grantType: string; clientId?: string; extra?: Record<string, unknown> },
): Promise<MintedAccessToken> {
  const client = await provider.Client.find(input.clientId ?? INTERNAL_CLIENT_ID);
  if (!client) throw new Error(`client ${input.clientId ?? INTERNAL_CLIENT_ID} not found`);
  const token = new provider.AccessToken({ accountId: input.accountId, client, scope: input.scope, gty: input.grantType, extra: input.extra } as never);
  const info = resourceServer(config);
  token.resourceServer = new provider.ResourceServer(config.apiAudience, { ...info, accessTokenTTL: input.ttlSeconds ?? info.accessTokenTTL });
  const accessToken = await token.save();
  return { accessToken, expiresIn: token.expiration, scope: input.scope };
}

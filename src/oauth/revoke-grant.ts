import type Provider from 'oidc-provider';

/**
 * Revokes a grant and everything issued under it: refresh tokens and codes are deleted, JWT
 * access tokens are refused from then on (the adapter records the grant as revoked).
 */
export async function revokeGrant(provider: Provider, grantId: string): Promise<void> {
  const adapter = (provider.Grant as unknown as { adapter: { revokeByGrantId(id: string): Promise<void>; destroy(id: string): Promise<void> } }).adapter;
  await Promise.all([adapter.revokeByGrantId(grantId), adapter.destroy(grantId)]);
}

/** Standard OpenID Connect scopes; they also appear in API access tokens so userinfo can honour them. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'] as const;

/**
 * Scopes of the Gatehouse API resource (audience `${ISSUER}/api`). A user token acts on its own
 * customer; a client-credentials token acts on any customer its scopes allow.
 */
export const API_SCOPES = [
  'users:read',
  'users:write',
  'users:admin',
  'contacts:read',
  'contacts:write',
  'groups:write',
  'meta:read',
  'meta:write',
  'tenants:admin',
] as const;

export const ALL_SCOPES: readonly string[] = [...OIDC_SCOPES, ...API_SCOPES];

export function isKnownScope(scope: string): boolean {
  return ALL_SCOPES.includes(scope);
}

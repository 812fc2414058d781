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

/** OpenID Connect Core §5.4: the claims each scope releases; the one map for the provider, userinfo and tokens. */
export const CLAIMS_BY_SCOPE: Record<string, string[]> = {
  openid: ['sub'],
  profile: ['name', 'given_name', 'family_name', 'locale', 'updated_at'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
};

export const ALL_SCOPES: readonly string[] = [...OIDC_SCOPES, ...API_SCOPES];

export function isKnownScope(scope: string): boolean {
  return ALL_SCOPES.includes(scope);
}

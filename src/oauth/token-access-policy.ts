import type { AuthenticatedClient } from './client-auth.js';

/**
 * RFC 7662 §4 and RFC 7009 §2.1: who may see or end a token. A client may introspect and revoke
 * tokens issued to itself; a client registered as a resource server may also introspect access
 * tokens for the audience it serves. Everyone else learns nothing (`active: false`) and changes
 * nothing. Applied alike to JWT access tokens (answered here) and to refresh tokens (answered by
 * oidc-provider through `allowedPolicy` in provider.ts).
 */
export function mayIntrospect(
  client: Pick<AuthenticatedClient, 'clientId' | 'isResourceServer'>,
  token: { clientId: string; isAccessToken: boolean; audience?: unknown },
  apiAudience: string,
): boolean {
  if (token.clientId === client.clientId) return true;
  if (!client.isResourceServer || !token.isAccessToken) return false;
  const audiences = Array.isArray(token.audience) ? token.audience : [token.audience];
  return audiences.includes(apiAudience);
}

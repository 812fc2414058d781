import type { EntityManager } from '@mikro-orm/postgresql';
import { digestsEqual, randomToken, sha256 } from '../../platform/crypto/secrets.js';
import { OAuthClientEntity, type OAuthClientRow } from './entities.js';
import { createClientInput, type CreateClientInput } from './schemas.js';

export type { CreateClientInput };

export interface CreatedClient {
  clientId: string;
  /** Returned once; only its hash is stored. */
  clientSecret?: string;
  metadata: Record<string, unknown>;
}

export async function createClient(em: EntityManager, raw: CreateClientInput): Promise<CreatedClient> {
  const input = createClientInput.parse(raw);
  const clientId = randomToken(16);
  // A private_key_jwt client proves itself with its key: it gets no secret at all.
  const clientSecret = input.public || input.tokenEndpointAuthMethod === 'private_key_jwt' ? undefined : randomToken(32);
  const responseTypes = input.grantTypes.includes('authorization_code') ? ['code'] : [];
  const metadata: Record<string, unknown> = {
    client_id: clientId,
    client_name: input.name,
    redirect_uris: input.redirectUris,
    post_logout_redirect_uris: input.postLogoutRedirectUris,
    grant_types: input.grantTypes,
    response_types: responseTypes,
    scope: input.scope,
    token_endpoint_auth_method: input.public ? 'none' : input.tokenEndpointAuthMethod,
    ...(input.jwks ? { jwks: input.jwks } : {}),
    ...(input.dpopBoundAccessTokens ? { dpop_bound_access_tokens: true } : {}),
    ...(input.introspection ? { 'urn:gatehouse:introspection': true } : {}),
    ...(input.public ? { application_type: 'native' } : {}),
  };
  const now = new Date();
  em.create(OAuthClientEntity, {
    clientId,
    name: input.name,
    secretHash: clientSecret ? sha256(clientSecret) : null,
    metadata,
    createdAt: now,
    updatedAt: now,
  });
  await em.flush();
  return { clientId, clientSecret, metadata };
}

export async function listClients(em: EntityManager): Promise<OAuthClientRow[]> {
  return em.find(OAuthClientEntity, {}, { orderBy: { createdAt: 'asc' } });
}

export async function deleteClient(em: EntityManager, clientId: string): Promise<boolean> {
  return (await em.nativeDelete(OAuthClientEntity, { clientId })) > 0;
}

/**
 * Metadata in the form oidc-provider's Client model expects. `client_secret` carries the stored
 * hash; the provider's secret comparison is replaced so it hashes what the client presents.
 */
export async function findClientMetadata(em: EntityManager, clientId: string): Promise<Record<string, unknown> | undefined> {
  const row = await em.findOne(OAuthClientEntity, { clientId });
  if (!row) return undefined;
  return row.secretHash ? { ...row.metadata, client_secret: row.secretHash } : { ...row.metadata };
}

export function clientSecretMatches(storedHash: string, presented: string): boolean {
  return digestsEqual(storedHash, sha256(presented));
}

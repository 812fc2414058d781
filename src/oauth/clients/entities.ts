import { EntitySchema } from '@mikro-orm/core';

export interface OAuthClientRow {
  clientId: string;
  name: string;
  /** SHA-256 of the secret (it is high-entropy, so a slow hash buys nothing); null for public clients. */
  secretHash?: string | null;
  /** oidc-provider client metadata (redirect_uris, grant_types, scope, …) without the secret. */
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export const OAuthClientEntity = new EntitySchema<OAuthClientRow>({
  name: 'OAuthClient',
  tableName: 'oauth_client',
  properties: {
    clientId: { type: 'string', primary: true },
    name: { type: 'string' },
    secretHash: { type: 'string', nullable: true },
    metadata: { type: 'json' },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

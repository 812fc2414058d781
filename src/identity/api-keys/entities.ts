import { EntitySchema } from '@mikro-orm/core';

/**
 * A server-to-server API key (REMP "API tokens", CRM.COM `api_key`). It identifies a calling
 * application as a whole, is whitelisted per endpoint and is shown once: only its hash is stored.
 */
export interface ApiKeyRow {
  id: string;
  name: string;
  /** sha256 (base64url) of the whole key; unique, the only way a key is found. */
  keyHash: string;
  /** The key's first characters, so a list can say which key is which without revealing it. */
  prefix: string;
  /** Endpoint ids the key may call ('users.create', …); empty means none, '*' means all. */
  endpoints: string[];
  scopes: string[];
  createdAt: Date;
  lastUsedAt?: Date | null;
  revokedAt?: Date | null;
}

export const ApiKeyEntity = new EntitySchema<ApiKeyRow>({
  name: 'ApiKey',
  tableName: 'api_key',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string' },
    keyHash: { type: 'string', unique: true, hidden: true },
    prefix: { type: 'string' },
    endpoints: { type: 'string[]', default: [] },
    scopes: { type: 'string[]', default: [] },
    createdAt: { type: 'Date' },
    lastUsedAt: { type: 'Date', nullable: true },
    revokedAt: { type: 'Date', nullable: true },
  },
});

import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomToken, sha256 } from '../../platform/crypto/secrets.js';
import { ApiKeyEntity, type ApiKeyRow } from './entities.js';
import { API_KEY_PREFIX, createApiKeyInput, type CreateApiKeyInput } from './schemas.js';

/** `gh_` + 32 random bytes in base64url (43 characters). */
const API_KEY_FORMAT = /^gh_[A-Za-z0-9_-]{43}$/;
const DISPLAY_PREFIX_LENGTH = 8;

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(API_KEY_PREFIX);
}

export function isWellFormedApiKey(value: string): boolean {
  return API_KEY_FORMAT.test(value);
}

export const hashApiKey = (key: string) => sha256(key);

export interface CreatedApiKey {
  /** Returned once; only its hash is stored. */
  key: string;
  row: ApiKeyRow;
}

export async function createApiKey(em: EntityManager, raw: CreateApiKeyInput): Promise<CreatedApiKey> {
  const input = createApiKeyInput.parse(raw);
  const key = `${API_KEY_PREFIX}${randomToken(32)}`;
  const row = em.create(ApiKeyEntity, {
    id: randomUUID(),
    name: input.name,
    keyHash: hashApiKey(key),
    prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
    endpoints: input.endpoints,
    scopes: input.scopes,
    createdAt: new Date(),
    lastUsedAt: null,
    revokedAt: null,
  });
  await em.flush();
  return { key, row };
}

export async function listApiKeys(em: EntityManager): Promise<ApiKeyRow[]> {
  return em.find(ApiKeyEntity, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

/** Revokes a key; revoking twice keeps the first revocation time. Undefined when there is no such key. */
export async function revokeApiKey(em: EntityManager, id: string): Promise<ApiKeyRow | undefined> {
  const row = await em.findOne(ApiKeyEntity, { id });
  if (!row) return undefined;
  row.revokedAt ??= new Date();
  await em.flush();
  return row;
}

export async function findActiveApiKeyByHash(em: EntityManager, keyHash: string): Promise<ApiKeyRow | undefined> {
  return (await em.findOne(ApiKeyEntity, { keyHash, revokedAt: null })) ?? undefined;
}

/**
 * Records that a key was used, at most once per `throttleSeconds` even across instances: the
 * condition is in the UPDATE, so a busy key costs one write a minute, not one per request.
 */
export async function recordApiKeyUse(em: EntityManager, id: string, throttleSeconds: number): Promise<void> {
  await em.getConnection().execute(
    `update api_key set last_used_at = now()
       where id = ? and (last_used_at is null or last_used_at < now() - make_interval(secs => ?))`,
    [id, throttleSeconds],
    'run',
  );
}

/** The row as the response schemas (schemas.ts) expect it; never the hash. */
export function apiKeyFields(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    endpoints: row.endpoints,
    scopes: row.scopes,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

import { digestsEqual } from '../../platform/crypto/secrets.js';
import { type Orm, detachedEntityManager } from '../../platform/db/orm.js';
import type { Logger } from '../../platform/logger.js';
import { findActiveApiKeyByHash, hashApiKey, isWellFormedApiKey, looksLikeApiKey, recordApiKeyUse } from './service.js';

const MAX_CACHED_KEYS = 10_000;

/** What the API-key store answers; implemented below. */
export interface ApiKeyIdentity {
  keyId: string;
  name: string;
  endpoints: readonly string[];
  scopes: readonly string[];
}

export interface ApiKeyLookup {
  looksLikeApiKey(value: string): boolean;
  /** A key verified within the last few seconds: no database, no limiter. */
  fromCache(key: string): ApiKeyIdentity | undefined;
  verify(key: string): Promise<ApiKeyIdentity | undefined>;
}

export interface ApiKeyVerifier extends ApiKeyLookup {
  /** Drops a key from this instance's cache at once (it was revoked here). */
  forget(keyId: string): void;
}

/**
 * Checks API keys for the authenticator. A valid key is remembered for `cacheSeconds`, so a busy
 * integration costs one lookup per interval; the price is that a key revoked on another instance
 * keeps working there for up to `cacheSeconds` (API_KEY_CACHE_SECONDS, default 5). Only valid
 * keys are cached: every unknown key goes to the database, behind the per-IP limiter.
 */
export function createApiKeyVerifier(deps: { orm: Orm; logger: Logger; cacheSeconds: number; lastUsedThrottleSeconds?: number }): ApiKeyVerifier {
  const valid = new Map<string, { identity: ApiKeyIdentity; expiresAt: number }>();
  const lastRecordedUse = new Map<string, number>();
  const throttleSeconds = deps.lastUsedThrottleSeconds ?? 60;

  const noteUse = (keyId: string) => {
    const now = Date.now();
    if (now - (lastRecordedUse.get(keyId) ?? 0) < throttleSeconds * 1000) return;
    if (lastRecordedUse.size >= MAX_CACHED_KEYS) lastRecordedUse.clear();
    lastRecordedUse.set(keyId, now);
    // Off the request path: a failed bookkeeping write must not fail an authenticated call.
    recordApiKeyUse(detachedEntityManager(deps.orm), keyId, throttleSeconds).catch((error) =>
      deps.logger.warn({ err: error, keyId }, 'recording API key use failed'),
    );
  };

  const cached = (keyHash: string) => {
    const entry = valid.get(keyHash);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.identity;
    valid.delete(keyHash);
    return undefined;
  };

  return {
    looksLikeApiKey,
    fromCache(key) {
      const identity = cached(hashApiKey(key));
      if (identity) noteUse(identity.keyId);
      return identity;
    },
    async verify(key) {
      if (!isWellFormedApiKey(key)) return undefined;
      const keyHash = hashApiKey(key);
      const hit = cached(keyHash);
      if (hit) {
        noteUse(hit.keyId);
        return hit;
      }
      const row = await findActiveApiKeyByHash(detachedEntityManager(deps.orm), keyHash);
      // The index lookup already matched; the constant-time comparison keeps the final decision
      // independent of how the database compares strings.
      if (!row || !digestsEqual(row.keyHash, keyHash)) return undefined;
      const identity: ApiKeyIdentity = { keyId: row.id, name: row.name, endpoints: [...row.endpoints], scopes: [...row.scopes] };
      if (valid.size >= MAX_CACHED_KEYS) valid.delete(valid.keys().next().value!);
      valid.set(keyHash, { identity, expiresAt: Date.now() + deps.cacheSeconds * 1000 });
      noteUse(identity.keyId);
      return identity;
    },
    forget(keyId) {
      for (const [keyHash, entry] of valid) if (entry.identity.keyId === keyId) valid.delete(keyHash);
    },
  };
}

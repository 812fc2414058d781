import { type Orm, detachedEntityManager } from '../../platform/db/orm.js';
import { findClientMetadata } from './service.js';

export type ClientMetadata = Record<string, unknown>;

/**
 * Client metadata by id, cached per instance for `ttlSeconds` (CLIENT_CACHE_TTL): every token,
 * introspection and revocation request needs it, and clients change rarely. A deleted or changed
 * client takes effect on every instance within the TTL.
 */
export function createClientMetadataCache(orm: Orm, ttlSeconds: number, maxEntries = 10_000) {
  const entries = new Map<string, { metadata: ClientMetadata | undefined; expiresAt: number }>();
  return {
    async get(clientId: string): Promise<ClientMetadata | undefined> {
      const cached = entries.get(clientId);
      if (cached && cached.expiresAt > Date.now()) return cached.metadata;
      const metadata = await findClientMetadata(detachedEntityManager(orm), clientId);
      entries.delete(clientId);
      entries.set(clientId, { metadata, expiresAt: Date.now() + ttlSeconds * 1000 });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return metadata;
    },
  };
}

export type ClientMetadataCache = ReturnType<typeof createClientMetadataCache>;

import type { EntityManager } from '@mikro-orm/postgresql';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { decrypt, deriveKey, encrypt, randomToken } from '../../platform/crypto/secrets.js';
import { SigningKeyEntity, type SigningKeyRow } from './entities.js';

/** Every algorithm a Gatehouse signing key may have; ACCESS_TOKEN_ALG picks one for access tokens. */
export const KEY_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof KEY_ALGORITHMS)[number];

/**
 * Always kept signing: RS256 (ID tokens, the OIDC default) and ES256. EdDSA (Ed25519) keys exist
 * only once ACCESS_TOKEN_ALG asks for them (ensureSigningKeys' `also`), and are rotated from then on.
 */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['RS256', 'ES256'];

/** Serialises key changes across instances that start or rotate at the same moment. */
const KEY_LOCK_ID = 0x6761_7465;

export interface LoadedKeys {
  /** Private JWKs for oidc-provider: signing keys first, verify-only keys marked with key_ops. */
  privateJwks: { keys: JWK[] };
  /** Public JWKs (every published key) for local verification of our own tokens. */
  publicJwks: { keys: JWK[] };
  /** Changes whenever a key is added, promoted or removed; instances reload on change. */
  version: string;
}

async function generateSigningKey(alg: SigningAlgorithm, secretKey: Buffer, status: SigningKeyRow['status']): Promise<SigningKeyRow> {
  // EdDSA: Ed25519 (RFC 8037), jose's only curve for it.
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const kid = randomToken(12);
  const jwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  const now = new Date();
  return {
    kid,
    alg,
    status,
    encryptedJwk: encrypt(secretKey, JSON.stringify(jwk), kid),
    createdAt: now,
    activatedAt: status === 'current' ? now : null,
    retiredAt: null,
    removeAfter: null,
  };
}

function keyEncryptionKey(secret: string): Buffer {
  return deriveKey(secret, 'signing-keys');
}

async function withKeyLock<T>(em: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  return em.transactional(async (tx) => {
    await tx.getConnection().execute('select pg_advisory_xact_lock(?)', [KEY_LOCK_ID], 'run', tx.getTransactionContext());
    return work(tx);
  });
}

/** The algorithms to keep signing: the standard ones, any already in use, and any asked for. */
function algorithmsInUse(keys: SigningKeyRow[], also: readonly SigningAlgorithm[] = []): SigningAlgorithm[] {
  return [...new Set<SigningAlgorithm>([...SIGNING_ALGORITHMS, ...keys.map((key) => key.alg), ...also])];
}

/**
 * On start: make sure each algorithm has a signing key and a pre-published successor; `also` adds
 * algorithms beyond RS256 and ES256 (the configured ACCESS_TOKEN_ALG).
 */
export async function ensureSigningKeys(em: EntityManager, secret: string, also: readonly SigningAlgorithm[] = []): Promise<void> {
  const secretKey = keyEncryptionKey(secret);
  await withKeyLock(em, async (tx) => {
    const existing = await tx.find(SigningKeyEntity, { status: { $in: ['current', 'next'] } });
    for (const alg of algorithmsInUse(existing, also)) {
      for (const status of ['current', 'next'] as const) {
        if (!existing.some((key) => key.alg === alg && key.status === status)) {
          tx.persist(tx.create(SigningKeyEntity, await generateSigningKey(alg, secretKey, status)));
        }
      }
    }
    await tx.flush();
  });
}

/**
 * Rotation: the pre-published `next` key starts signing, the old signing key is retired but stays
 * in JWKS until every token it signed has expired, and a new `next` key is published.
 */
export async function rotateSigningKeys(
  em: EntityManager,
  secret: string,
  longestTokenLifetimeSeconds: number,
): Promise<{ activated: string[]; retired: string[] }> {
  const secretKey = keyEncryptionKey(secret);
  return withKeyLock(em, async (tx) => {
    const now = new Date();
    const removeAfter = new Date(now.getTime() + (longestTokenLifetimeSeconds + 300) * 1000);
    const keys = await tx.find(SigningKeyEntity, { status: { $in: ['current', 'next'] } });
    const activated: string[] = [];
    const retired: string[] = [];
    for (const alg of algorithmsInUse(keys)) {
      const current = keys.find((key) => key.alg === alg && key.status === 'current');
      const next = keys.find((key) => key.alg === alg && key.status === 'next');
      if (current) {
        Object.assign(current, { status: 'retired', retiredAt: now, removeAfter });
        retired.push(current.kid);
      }
      // The unique index allows one current key per algorithm: retire before promoting.
      await tx.flush();
      if (next) {
        Object.assign(next, { status: 'current', activatedAt: now });
        activated.push(next.kid);
      } else {
        const fresh = await generateSigningKey(alg, secretKey, 'current');
        tx.persist(tx.create(SigningKeyEntity, fresh));
        activated.push(fresh.kid);
      }
      await tx.flush();
      tx.persist(tx.create(SigningKeyEntity, await generateSigningKey(alg, secretKey, 'next')));
    }
    await tx.nativeDelete(SigningKeyEntity, { status: 'retired', removeAfter: { $lt: now } });
    await tx.flush();
    return { activated, retired };
  });
}

const statusOrder: Record<SigningKeyRow['status'], number> = { current: 0, next: 1, retired: 2 };

export async function loadSigningKeys(em: EntityManager, secret: string): Promise<LoadedKeys> {
  const secretKey = keyEncryptionKey(secret);
  const now = new Date();
  const rows = (await em.find(SigningKeyEntity, {}, { orderBy: { createdAt: 'desc' } }))
    .filter((row) => row.status !== 'retired' || !row.removeAfter || row.removeAfter > now)
    .sort((a, b) => statusOrder[a.status] - statusOrder[b.status]);
  const privateKeys: JWK[] = rows.map((row) => {
    const jwk = JSON.parse(decrypt(secretKey, row.encryptedJwk, row.kid)) as JWK;
    // oidc-provider signs only with keys whose key_ops allow it: `next` and `retired` keys are
    // published for verification but never chosen to sign.
    return row.status === 'current' ? jwk : { ...jwk, key_ops: ['verify'] };
  });
  const publicKeys = privateKeys.map(({ d, p, q, dp, dq, qi, key_ops, ...pub }) => pub);
  return {
    privateJwks: { keys: privateKeys },
    publicJwks: { keys: publicKeys },
    version: rows.map((row) => `${row.kid}:${row.status}`).join(','),
  };
}

/** Cheap check used by the reload timer: has any key changed since `version`? */
export async function signingKeysVersion(em: EntityManager): Promise<string> {
  const rows = await em.find(SigningKeyEntity, {}, { fields: ['kid', 'status', 'removeAfter', 'createdAt'], orderBy: { createdAt: 'desc' } });
  const now = new Date();
  return rows
    .filter((row) => row.status !== 'retired' || !row.removeAfter || row.removeAfter > now)
    .sort((a, b) => statusOrder[a.status] - statusOrder[b.status])
    .map((row) => `${row.kid}:${row.status}`)
    .join(',');
}

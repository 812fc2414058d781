import { poolConnection, type Orm } from '../../platform/db/orm.js';
import type { Logger } from '../../platform/logger.js';
import { isAccessTokenRevoked, type AccessTokenClaims } from './access-tokens.js';

/**
 * Rows are stamped with `now()`, the start of the inserting transaction, so one that commits after
 * a poll can carry a time just before that poll's newest row. Re-reading this much history on each
 * poll catches such late commits; revocations are single short statements, far below this.
 */
const LATE_COMMIT_OVERLAP_SECONDS = 30;
const MAX_ENTRIES = 1_000_000;

export interface RevocationCache {
  /** True when the token's jti or its grant has been revoked (RFC 7009, logout, refresh-token reuse). */
  isRevoked(claims: Pick<AccessTokenClaims, 'jti' | 'gid'>): Promise<boolean>;
  /** Loads every live revocation, then polls for new ones every `refreshSeconds`. */
  start(): Promise<void>;
  stop(): void;
  /** One poll; exported for tests and for start(). */
  refresh(): Promise<void>;
}

interface RevokedRow {
  kind: 'jti' | 'grant';
  value: string;
  expires_at: Date;
  created_at: Date;
}

/**
 * Revocation for resource servers without a database round-trip per request: the revoked jti and
 * grant ids live in memory and each poll reads only rows added since the previous one (indexed on
 * `revoked_token.created_at`).
 *
 * Bound: a token revoked at T is refused by every instance from T + refreshSeconds + one poll's
 * duration. If polls keep failing for three intervals the cache is stale, and every check goes to
 * the database instead (failing closed with a 500 if that is down too), so the bound still holds.
 */
export function createRevocationCache(deps: { orm: Orm; refreshSeconds: number; logger: Logger }): RevocationCache {
  const revoked = new Map<string, number>();
  let newestSeen: Date | undefined;
  let lastSuccessAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const staleAfterMs = deps.refreshSeconds * 3000;
  const entryKey = (kind: string, value: string) => `${kind}:${value}`;

  const evictExpired = () => {
    const now = Date.now();
    for (const [key, expiresAt] of revoked) if (expiresAt <= now) revoked.delete(key);
  };

  const refresh = async () => {
    const rows = await poolConnection(deps.orm).execute<RevokedRow[]>(
      `select kind, value, expires_at, created_at from revoked_token
       where expires_at > now() and (?::timestamptz is null or created_at > ?::timestamptz - make_interval(secs => ?))
       order by created_at`,
      [newestSeen ?? null, newestSeen ?? null, LATE_COMMIT_OVERLAP_SECONDS],
    );
    for (const row of rows) {
      revoked.set(entryKey(row.kind, row.value), new Date(row.expires_at).getTime());
      const createdAt = new Date(row.created_at);
      if (!newestSeen || createdAt > newestSeen) newestSeen = createdAt;
    }
    evictExpired();
    // Past this size something is wrong (a revocation storm); the database stays authoritative.
    if (revoked.size > MAX_ENTRIES) {
      revoked.clear();
      newestSeen = undefined;
      lastSuccessAt = 0;
      deps.logger.error({ size: MAX_ENTRIES }, 'revocation cache overflow; checking the database per request until the next full load');
      return;
    }
    lastSuccessAt = Date.now();
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      refresh()
        .catch((error) => deps.logger.warn({ err: error }, 'revocation cache refresh failed'))
        .finally(schedule);
    }, deps.refreshSeconds * 1000);
    timer.unref();
  };

  return {
    async isRevoked(claims) {
      if (Date.now() - lastSuccessAt > staleAfterMs) return isAccessTokenRevoked(deps.orm, claims);
      const now = Date.now();
      const hit = (kind: string, value: string | undefined) => {
        const expiresAt = value === undefined ? undefined : revoked.get(entryKey(kind, value));
        return expiresAt !== undefined && expiresAt > now;
      };
      return hit('jti', claims.jti) || hit('grant', claims.gid);
    },
    async start() {
      stopped = false;
      await refresh().catch((error) => deps.logger.warn({ err: error }, 'initial revocation load failed; checking the database per request'));
      schedule();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    refresh,
  };
}

import type { Knex } from '@mikro-orm/postgresql';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { sha256 } from '../crypto/secrets.js';

export interface LimitDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

export interface CredentialLimiterOptions {
  /** Distinguishes limiters sharing the table: 'login', 'otp', 'passcode', … */
  name: string;
  /** Failed attempts allowed per identifier (account, phone, key) before it is locked. */
  failuresPerIdentifier: number;
  /** Failed attempts allowed per client IP across all identifiers. */
  failuresPerIp: number;
  windowSeconds: number;
  /** First lock-out; each further failure doubles it, up to maxLockSeconds. */
  baseLockSeconds: number;
  maxLockSeconds: number;
}

export type CredentialLimiter = ReturnType<typeof createCredentialLimiter>;

/**
 * Brute-force protection for every credential check, stored in PostgreSQL so all instances share
 * the counters. Failures count per identifier and per IP; past the allowance the lock-out doubles
 * with each further failure (exponential back-off). A success clears the identifier's counter.
 */
export function createCredentialLimiter(knex: Knex, options: CredentialLimiterOptions) {
  const store = (suffix: string, points: number) =>
    new RateLimiterPostgres({
      storeClient: knex,
      storeType: 'knex',
      tableName: 'rate_limit',
      tableCreated: true,
      keyPrefix: `${options.name}:${suffix}`,
      points,
      duration: options.windowSeconds,
      clearExpiredByTimeout: false,
    });
  const byIdentifier = store('id', options.failuresPerIdentifier);
  const byIp = store('ip', options.failuresPerIp);
  const identifierKey = (identifier: string) => sha256(identifier.trim().toLowerCase());
  const ipKey = (ip: string) => ip || 'unknown';

  const lockedFor = (result: RateLimiterRes | null, allowance: number) =>
    result && result.consumedPoints >= allowance ? Math.max(1, Math.ceil(result.msBeforeNext / 1000)) : 0;

  const extendLock = async (limiter: RateLimiterPostgres, key: string, allowance: number, consumed: number) => {
    if (consumed < allowance) return;
    const seconds = Math.min(options.baseLockSeconds * 2 ** (consumed - allowance), options.maxLockSeconds);
    await limiter.set(key, consumed, Math.max(seconds, 1));
  };

  const consume = async (limiter: RateLimiterPostgres, key: string, allowance: number) => {
    try {
      const result = await limiter.consume(key);
      await extendLock(limiter, key, allowance, result.consumedPoints);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      await extendLock(limiter, key, allowance, rejection.consumedPoints);
    }
  };

  // Identifiers whose last check found no failures: a success then has nothing to clear, which
  // saves a write (and an fsync) on most logins. Bounded; a stale entry only skips a cleanup.
  const cleanAtCheck = new Set<string>();

  return {
    async check(identifier: string, ip: string): Promise<LimitDecision> {
      const [identifierState, ipState] = await Promise.all([byIdentifier.get(identifierKey(identifier)), byIp.get(ipKey(ip))]);
      if (!identifierState || identifierState.consumedPoints === 0) {
        if (cleanAtCheck.size > 10_000) cleanAtCheck.clear();
        cleanAtCheck.add(identifierKey(identifier));
      } else {
        cleanAtCheck.delete(identifierKey(identifier));
      }
      const retryAfterSeconds = Math.max(lockedFor(identifierState, options.failuresPerIdentifier), lockedFor(ipState, options.failuresPerIp));
      return { allowed: retryAfterSeconds === 0, retryAfterSeconds };
    },
    async recordFailure(identifier: string, ip: string): Promise<void> {
      cleanAtCheck.delete(identifierKey(identifier));
      await Promise.all([
        consume(byIdentifier, identifierKey(identifier), options.failuresPerIdentifier),
        consume(byIp, ipKey(ip), options.failuresPerIp),
      ]);
    },
    async recordSuccess(identifier: string): Promise<void> {
      const key = identifierKey(identifier);
      if (cleanAtCheck.delete(key)) return;
      await byIdentifier.delete(key);
    },
  };
}

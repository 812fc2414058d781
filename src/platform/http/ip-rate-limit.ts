import type { Knex } from '@mikro-orm/postgresql';
import type { Context, Next } from 'koa';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyRequests } from './errors.js';

export interface IpRateLimitOptions {
  /** Distinguishes the counters in the shared rate_limit table. */
  name: string;
  /** Requests one client IP may make per window. */
  points: number;
  windowSeconds: number;
}

/**
 * A per-IP request allowance for public endpoints that answer whether an account exists
 * (OWASP ASVS 4.0 V2.2.1: anti-automation against enumeration). Every request counts, answered or
 * refused, since each one is a probe; past the allowance the answer is 429 with Retry-After
 * (RFC 6585 §4). Counters live in PostgreSQL, so all instances share them.
 */
export function ipRateLimit(knex: Knex, options: IpRateLimitOptions) {
  const limiter = new RateLimiterPostgres({
    storeClient: knex,
    storeType: 'knex',
    tableName: 'rate_limit',
    tableCreated: true,
    keyPrefix: `ip-limit:${options.name}`,
    points: options.points,
    duration: options.windowSeconds,
    clearExpiredByTimeout: false,
  });
  return async (ctx: Context, next: Next) => {
    try {
      await limiter.consume(ctx.ip || 'unknown');
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw tooManyRequests(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    }
    await next();
  };
}

import type { Knex } from '@mikro-orm/postgresql';
import type { Context, Next } from 'koa';
import { queryPreparedText } from '../db/prepared.js';
import { countingUpsert, retryAfterSpent, type CounterRow } from '../db/window-counters.js';
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
  return async (ctx: Context, next: Next) => {
    const budget = { key: `ip-limit:${options.name}:${ctx.ip || 'unknown'}`, allowance: options.points };
    const now = Date.now();
    const counted = countingUpsert([budget.key], options.windowSeconds, now);
    const wait = retryAfterSpent([budget], await queryPreparedText<CounterRow>(knex, counted.sql, counted.bindings), now);
    if (wait !== undefined) throw tooManyRequests(wait);
    await next();
  };
}

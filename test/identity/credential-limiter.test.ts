import type { Knex } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialLimiter } from '../../src/identity/limits/credential-limiter.js';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * The credential limiter on a real PostgreSQL: attempts in flight and settled failures are counted
 * apart, so a refusal says how long to wait for the right reason (src/platform/db/window-counters.ts
 * retryAfterReserved). Each test takes its own limiter name, so counters never meet.
 */
let server: TestServer;
let knex: Knex;
let names = 0;

beforeAll(async () => {
  server = await startTestServer();
  knex = server.gatehouse.orm.em.getConnection().getKnex();
});
afterAll(() => server?.stop());

const limiterAllowing = (failuresPerIdentifier: number, failuresPerIp = 100) =>
  createCredentialLimiter(knex, {
    name: `limiter-test-${(names += 1)}`,
    failuresPerIdentifier,
    failuresPerIp,
    windowSeconds: 900,
    baseLockSeconds: 30,
    maxLockSeconds: 3600,
  });

describe('credential limiter', () => {
  it('refuses an attempt beyond the allowance while the others are in flight with Retry-After 1, and lets one in once they settle', async () => {
    const limiter = limiterAllowing(3);
    const inFlight = await Promise.all([1, 2, 3].map(() => limiter.reserve('someone@example.com', '192.0.2.1')));
    expect(inFlight.map((reservation) => reservation.allowed)).toEqual([true, true, true]);

    const crowded = await limiter.reserve('someone@example.com', '192.0.2.1');
    expect(crowded).toMatchObject({ allowed: false, retryAfterSeconds: 1 });

    // Correct logins: the account's failures and attempts in flight are cleared as they settle.
    for (const reservation of inFlight) await reservation.succeed();
    const next = await limiter.reserve('someone@example.com', '192.0.2.1');
    expect(next.allowed).toBe(true);
    await next.succeed();
  });

  it('locks the identifier once its failures reach the allowance, and says until when', async () => {
    const limiter = limiterAllowing(3);
    for (let attempt = 0; attempt < 3; attempt += 1) await (await limiter.reserve('victim@example.com', '192.0.2.2')).fail();
    const locked = await limiter.reserve('victim@example.com', '192.0.2.2');
    expect(locked.allowed).toBe(false);
    // baseLockSeconds · 2^0 from the third failure.
    expect(locked.retryAfterSeconds).toBeGreaterThan(25);
    expect(locked.retryAfterSeconds).toBeLessThanOrEqual(30);
    // Another account from the same address is not locked: the refusal took nothing from the IP's allowance.
    const other = await limiter.reserve('bystander@example.com', '192.0.2.2');
    expect(other.allowed).toBe(true);
    await other.release();
  });

  it('counts failures, not attempts in flight, toward the lock: two failures and one in flight still leave room once it succeeds', async () => {
    const limiter = limiterAllowing(3);
    for (let attempt = 0; attempt < 2; attempt += 1) await (await limiter.reserve('tired@example.com', '192.0.2.3')).fail();
    const correct = await limiter.reserve('tired@example.com', '192.0.2.3');
    expect(correct.allowed).toBe(true);
    // Two failures + one in flight fill the allowance: the next waits for the one in flight, briefly.
    expect(await limiter.reserve('tired@example.com', '192.0.2.3')).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    await correct.succeed();
    const rows: Array<{ points: number; pending: number }> = await knex
      .raw(`select points, pending from rate_limit where key like ?`, [`limiter-test-${names}:%`])
      .then((result) => result.rows);
    expect(rows).toEqual(expect.arrayContaining([{ points: 0, pending: 0 }]));
    for (const row of rows) expect(row.pending).toBe(0);
  });

  it('settles concurrent reservations exactly: 30 in flight at once, all released, leave nothing counted', async () => {
    const limiter = limiterAllowing(100, 100);
    const reservations = await Promise.all(Array.from({ length: 30 }, (_, index) => limiter.reserve(`user-${index % 3}@example.com`, '192.0.2.4')));
    expect(reservations.every((reservation) => reservation.allowed)).toBe(true);
    await Promise.all(reservations.map((reservation, index) => (index % 2 === 0 ? reservation.release() : reservation.fail())));
    const rows: Array<{ key: string; points: number; pending: number }> = await knex
      .raw(`select key, points, pending from rate_limit where key like ?`, [`limiter-test-${names}:%`])
      .then((result) => result.rows);
    expect(rows.map((row) => row.pending)).toEqual([0, 0, 0, 0]);
    // 15 failures: 5 per account, 15 for the address.
    expect(rows.map((row) => row.points).sort((a, b) => a - b)).toEqual([5, 5, 5, 15]);
  });
});

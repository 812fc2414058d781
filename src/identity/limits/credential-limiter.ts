import type { Knex } from '@mikro-orm/postgresql';
import { sha256 } from '../../platform/crypto/secrets.js';
import { queryPreparedText } from '../../platform/db/prepared.js';
import { DeferredWrite, type CompanionWrite, type StatementParts } from '../../platform/db/companion-writes.js';
import { lockOrder, reservingUpsert, retryAfterReserved, type CounterRow } from '../../platform/db/window-counters.js';

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

/**
 * A read the verifier needs (the password grant's customer and pass-code look-up), run in the
 * reservation's statement: the look-up costs no round trip of its own (issue 14 item 2). `sql` is a
 * single SELECT with `?` placeholders; its rows come back as JSON (timestamps as text). It runs
 * whether or not the attempt is allowed; only reading, it changes nothing.
 */
export interface CompanionRead<Row> {
  sql: string;
  bindings: unknown[];
  /** Phantom: the shape of the rows, for the caller's types. */
  readonly rows?: Row[];
}

/**
 * One reserved attempt at a credential. It is counted (as in flight) from the moment it is
 * reserved, so the caller settles it once the credential has been checked: `fail()` turns it into
 * a failure, `succeed()` also clears the identifier's failures, `release()` refunds an attempt that
 * was no guess at all.
 * Each may carry a companion write that commits with it. `later()` hands a success or a refund to
 * the caller's next statement instead (the token endpoint's, src/oauth/adapter.ts).
 */
export interface Reservation<Row = never> {
  allowed: boolean;
  /** The companion read's rows (empty without one). */
  found: Row[];
  retryAfterSeconds: number;
  fail(alongside?: CompanionWrite): Promise<void>;
  succeed(alongside?: CompanionWrite): Promise<void>;
  release(alongside?: CompanionWrite): Promise<void>;
  later(settlement: 'succeed' | 'release', alongside?: CompanionWrite): DeferredWrite;
}

export type CredentialLimiter = ReturnType<typeof createCredentialLimiter>;

/** A write of one counter row; `after` is a condition that makes it wait for the previous write. */
type CounterWrite = (after: string) => { sql: string; bindings: unknown[] };

/**
 * Brute-force protection for every credential check, kept in PostgreSQL (`rate_limit`) so all
 * instances share the counters. An attempt is *reserved* before the credential is verified: one
 * atomic upsert adds it to the identifier's and the IP's attempts in flight (`pending`) and
 * returns them with the settled failures (`points`), so of N concurrent guesses at most the
 * allowance (less the failures) reach the verifier and the rest get 429 at once. Settling moves
 * the attempt out of `pending`, into `points` when it failed. Reaching the allowance of failures
 * locks the key, and each further failure doubles the lock-out, up to maxLockSeconds. A refusal
 * only because too many attempts are in flight says Retry-After: 1, not the window's end: they
 * are correct logins as likely as guesses (an office behind one NAT address).
 *
 * rate-limiter-flexible (used before) checks and records in separate steps, and its `set` writes
 * back a count read earlier, which concurrent failures would undo; hence plain SQL here.
 */
export function createCredentialLimiter(knex: Knex, options: CredentialLimiterOptions) {
  const identifierKey = (identifier: string) => `${options.name}:id:${sha256(identifier.trim().toLowerCase())}`;
  const ipKey = (ip: string) => `${options.name}:ip:${ip || 'unknown'}`;
  const allowanceOf = (key: string) => (key.startsWith(`${options.name}:id:`) ? options.failuresPerIdentifier : options.failuresPerIp);

  /**
   * Increments both counters in one statement (a window starts afresh once the old one expired).
   * Rows are locked in key order here and in every settlement (settle), so concurrent
   * reservations on other instances cannot deadlock.
   */
  const increment = async <Row>(unordered: string[], alongside?: CompanionRead<Row>): Promise<{ counters: CounterRow[]; found: Row[] }> => {
    const { sql: upsert, bindings } = reservingUpsert(lockOrder(unordered), options.windowSeconds, Date.now());
    if (!alongside) return { counters: await queryPreparedText<CounterRow>(knex, upsert, bindings), found: [] };
    // Two shapes of row from one statement: each side aggregated into a JSON array.
    const [row] = await queryPreparedText<{ counters: CounterRow[] | null; found: Row[] | null }>(
      knex,
      `with counters as (${upsert})
       select (select json_agg(counters) from counters) as counters,
              (select json_agg(found) from (${alongside.sql}) as found) as found`,
      [...bindings, ...alongside.bindings],
    );
    return { counters: row?.counters ?? [], found: row?.found ?? [] };
  };

  // (`greatest`: a window that ended meanwhile started afresh without this attempt.)
  const refundOne: (key: string) => CounterWrite = (key) => (after) => ({
    sql: `update rate_limit set pending = greatest(pending - 1, 0) where key = ?${after}`,
    bindings: [key],
  });
  const clearOne: (key: string) => CounterWrite = (key) => (after) => ({
    sql: `update rate_limit set points = 0, pending = greatest(pending - 1, 0) where key = ?${after}`,
    bindings: [key],
  });
  // Reaching the allowance of failures locks the key for baseLock · 2^(failures − allowance) from
  // now; when the lock ends the counter starts afresh. (`points` on the right is the old count.)
  const failOne: (key: string, allowance: number) => CounterWrite = (key, allowance) => (after) => ({
    sql: `update rate_limit set points = points + 1, pending = greatest(pending - 1, 0),
           expire = case when points + 1 >= ?::int
             then ?::bigint + (1000 * least(?::int * power(2, points + 1 - ?::int), ?::int))::bigint
             else expire end
           where key = ?${after}`,
    bindings: [allowance, Date.now(), options.baseLockSeconds, allowance, options.maxLockSeconds, key],
  });

  /**
   * The counter writes of one settlement, and a companion write, as the CTEs of one statement.
   * Data-modifying CTEs run in no guaranteed order, so each counter write waits for the one before
   * it (a condition on its row count): rows are locked in key order, as `increment` locks them.
   */
  const settlementParts = (writes: Array<{ key: string; write: CounterWrite }>, alongside?: CompanionWrite): StatementParts => {
    const ordered = [...writes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const ctes: string[] = [];
    const bindings: unknown[] = [];
    ordered.forEach(({ write }, index) => {
      const { sql, bindings: own } = write(index === 0 ? '' : ` and (select count(*) from settled_${index - 1}) >= 0`);
      ctes.push(`settled_${index} as (${sql} returning 1)`);
      bindings.push(...own);
    });
    if (alongside) {
      ctes.push(`companion as (${alongside.sql})`);
      bindings.push(...alongside.bindings);
    }
    return { ctes, bindings };
  };
  const settle = async (parts: StatementParts) => {
    await queryPreparedText(knex, `with ${parts.ctes.join(', ')} select true as done`, parts.bindings);
  };
  const refundParts = (keys: string[], alongside?: CompanionWrite) =>
    settlementParts(
      keys.map((key) => ({ key, write: refundOne(key) })),
      alongside,
    );

  return {
    async reserve<Row = never>(identifier: string, ip: string, alongside?: CompanionRead<Row>): Promise<Reservation<Row>> {
      const idKey = identifierKey(identifier);
      const byIpKey = ipKey(ip);
      const keys = [idKey, byIpKey];
      const { counters, found } = await increment(keys, alongside);
      const retryAfterSeconds = retryAfterReserved(
        keys.map((key) => ({ key, allowance: allowanceOf(key) })),
        counters,
        Date.now(),
      );
      if (retryAfterSeconds !== undefined) {
        // A refused attempt is no guess: take it out of flight so it neither lengthens the lock
        // nor eats the IP's allowance for other accounts.
        await settle(refundParts(keys));
        // Nothing to settle; a companion write still happens.
        const companionOnly = async (alongside?: CompanionWrite) => {
          if (alongside) await knex.raw(alongside.sql, alongside.bindings as never[]);
        };
        return {
          allowed: false,
          found,
          retryAfterSeconds,
          fail: companionOnly,
          succeed: companionOnly,
          release: companionOnly,
          later: (_settlement, alongside) =>
            new DeferredWrite(alongside ? { ctes: [`companion as (${alongside.sql})`], bindings: alongside.bindings } : { ctes: [], bindings: [] }, () =>
              companionOnly(alongside),
            ),
        };
      }
      const succeedParts = (alongside?: CompanionWrite) =>
        settlementParts(
          [
            { key: idKey, write: clearOne(idKey) },
            { key: byIpKey, write: refundOne(byIpKey) },
          ],
          alongside,
        );
      const failParts = (alongside?: CompanionWrite) =>
        settlementParts(
          [
            { key: idKey, write: failOne(idKey, options.failuresPerIdentifier) },
            { key: byIpKey, write: failOne(byIpKey, options.failuresPerIp) },
          ],
          alongside,
        );
      let done = false;
      const once = (parts: (alongside?: CompanionWrite) => StatementParts) => async (alongside?: CompanionWrite) => {
        if (done) {
          // Settled already: the companion write still happens, on its own.
          if (alongside) await knex.raw(alongside.sql, alongside.bindings as never[]);
          return;
        }
        done = true;
        await settle(parts(alongside));
      };
      return {
        allowed: true,
        found,
        retryAfterSeconds: 0,
        fail: once(failParts),
        succeed: once(succeedParts),
        release: once((alongside) => refundParts(keys, alongside)),
        later: (settlement, alongside) => {
          if (done) throw new Error('the reservation is settled already');
          done = true;
          const parts = settlement === 'succeed' ? succeedParts(alongside) : refundParts(keys, alongside);
          return new DeferredWrite(parts, () => settle(parts));
        },
      };
    },
  };
}

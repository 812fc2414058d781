/**
 * Fixed-window counters in the shared `rate_limit` table (`key`, `points`, `expire` in epoch
 * milliseconds: the layout of rate-limiter-flexible's PostgreSQL store, which counted them before),
 * counted by SQL that can share one statement with the work it guards. Every counter counts here:
 * the credential limiter's failures (src/identity/limits/credential-limiter.ts), the passcode
 * endpoints' request budgets (src/identity/passcodes/), the per-IP enumeration allowances
 * (src/platform/http/ip-rate-limit.ts). The library's `consume` was one round trip per key, and
 * the passcode flow spent three of them before its real work.
 */
export interface CounterRow {
  key: string;
  points: number;
  /** Epoch milliseconds (bigint, so text from node-postgres and JSON alike). */
  expire: string | number;
  /** Attempts reserved and not yet settled (reservingUpsert); request budgets leave it at 0. */
  pending?: number;
}

/** A key and how many requests it may make in one window. */
export interface Budget {
  key: string;
  allowance: number;
}

/**
 * An upsert counting one request against each key, `returning key, points, expire`: a window
 * starts afresh (points 1, a new expiry) once the old one has expired. Rows are locked in the
 * order given, so callers that count several keys pass them in one global order (sorted) and
 * concurrent statements cannot deadlock. With `onlyIf` (a SQL condition, e.g. on an earlier CTE)
 * nothing is counted unless it holds.
 */
export function countingUpsert(keys: string[], windowSeconds: number, now: number, onlyIf?: { sql: string; bindings: unknown[] }) {
  const expire = now + windowSeconds * 1000;
  const rows = keys.map(() => '(?, ?::bigint)').join(', ');
  const sql = `insert into rate_limit (key, points, expire)
       select counted.key, 1, counted.expire from (values ${rows}) as counted (key, expire)${onlyIf ? ` where ${onlyIf.sql}` : ''}
       on conflict (key) do update set
         points = case when rate_limit.expire <= ? then 1 else rate_limit.points + 1 end,
         expire = case when rate_limit.expire <= ? then excluded.expire else rate_limit.expire end
       returning key, points, expire`;
  return { sql, bindings: [...keys.flatMap((key) => [key, expire]), ...(onlyIf?.bindings ?? []), now, now] };
}

/**
 * The credential limiter's reservation (src/identity/limits/credential-limiter.ts): one more
 * attempt in flight (`pending`) on each key, beside its settled failures (`points`), `returning
 * key, points, pending, expire`. A window that has ended starts afresh, as in countingUpsert.
 * Rows are locked in the order given.
 */
export function reservingUpsert(keys: string[], windowSeconds: number, now: number) {
  const expire = now + windowSeconds * 1000;
  const rows = keys.map(() => '(?, ?::bigint)').join(', ');
  const sql = `insert into rate_limit (key, points, pending, expire)
       select counted.key, 0, 1, counted.expire from (values ${rows}) as counted (key, expire)
       on conflict (key) do update set
         points = case when rate_limit.expire <= ? then 0 else rate_limit.points end,
         pending = case when rate_limit.expire <= ? then 1 else rate_limit.pending + 1 end,
         expire = case when rate_limit.expire <= ? then excluded.expire else rate_limit.expire end
       returning key, points, pending, expire`;
  return { sql, bindings: [...keys.flatMap((key) => [key, expire]), now, now, now] };
}

/**
 * Seconds to wait before another attempt, or undefined when every key has room for the one just
 * reserved (failures + attempts in flight within the allowance). A key whose failures reached its
 * allowance is locked until its `expire`; one that is over only because of attempts still being
 * verified frees up as soon as they settle, so the answer is 1 second, not the window's end.
 */
export function retryAfterReserved(budgets: Budget[], reserved: CounterRow[], now: number): number | undefined {
  const allowanceOf = (key: string) => budgets.find((budget) => budget.key === key)?.allowance ?? Number.POSITIVE_INFINITY;
  const over = reserved.filter((row) => row.points + (row.pending ?? 0) > allowanceOf(row.key));
  if (over.length === 0) return undefined;
  const locked = over.filter((row) => row.points >= allowanceOf(row.key));
  return Math.max(1, ...locked.map((row) => Math.ceil((Number(row.expire) - now) / 1000)));
}

/**
 * Seconds until the first spent budget among `counted` frees up (its window's end), or undefined
 * when none is spent. A key that was not counted (a gated upsert) is not spent.
 */
export function retryAfterSpent(budgets: Budget[], counted: CounterRow[], now: number): number | undefined {
  const spent = counted.filter((row) => row.points > (budgets.find((budget) => budget.key === row.key)?.allowance ?? Number.POSITIVE_INFINITY));
  if (spent.length === 0) return undefined;
  return Math.max(1, ...spent.map((row) => Math.ceil((Number(row.expire) - now) / 1000)));
}

/** Keys in the one order every statement locks them in. */
export const lockOrder = (keys: string[]) => [...keys].sort();

/**
 * A SQL condition: every key the CTE `counted` counted is within its budget (true when it
 * counted none). For a later part of the same statement to run only within budget.
 */
export function withinBudgets(counted: string, budgets: Budget[]) {
  const rows = budgets.map(() => '(?, ?::int)').join(', ');
  return {
    sql: `(select coalesce(bool_and(${counted}.points <= budget.allowance), true) from ${counted} join (values ${rows}) as budget (key, allowance) using (key))`,
    bindings: budgets.flatMap((budget) => [budget.key, budget.allowance]),
  };
}

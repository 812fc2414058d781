/**
 * How many threads a Gatehouse process gives its CPU-bound work.
 *
 * argon2 and every token signature run on libuv's thread pool, which has 4 threads unless
 * `UV_THREADPOOL_SIZE` says otherwise (libuv reads it once, when the pool starts). With those
 * defaults, and as many hashes allowed at once as the pool has threads:
 * - four logins at once filled the pool, and every signature (client credentials, refresh,
 *   the logins' own tokens) waited behind hashes of about 20 ms;
 * - on a machine with more than 4 cores, password checks could never use more than 4 of them;
 * - with more hashes at once than cores, each hash's 19 MiB working set evicts the others' from
 *   the CPU caches, so every hash costs more CPU (README Benchmarks, password grant).
 * So a process runs at most its share of the cores' hashes at once, and its pool has one thread
 * more than that (at least 3), so a signature never waits behind a hash. Not more: every pool
 * thread that has hashed once keeps its 19 MiB working set (glibc keeps the freed block in the
 * thread's arena), and a fourth thread on a 2-core machine held 20 MB more at the peak for no
 * measurable gain (README, Benchmarks, Sixth session).
 */
export interface ThreadBudget {
  /** argon2 hashes and verifications running at once (src/platform/crypto/passwords.ts); the rest queue. */
  hashConcurrency: number;
  /** libuv's pool: the hashes plus room for signatures, file and DNS work. */
  poolSize: number;
}

const MIN_POOL_SIZE = 3;
/** Pool threads kept out of the hashes' reach. */
const THREADS_BESIDE_HASHES = 1;

export function threadBudget(input: { cores: number; workers: number; hashConcurrency?: number; poolSize?: number }): ThreadBudget {
  const coreShare = Math.max(1, Math.floor(input.cores / input.workers));
  // A pool sized by hand bounds the default: hashes then leave at least one thread free.
  const hashConcurrency = input.hashConcurrency ?? (input.poolSize === undefined ? coreShare : Math.max(1, Math.min(coreShare, input.poolSize - 1)));
  return { hashConcurrency, poolSize: input.poolSize ?? Math.max(MIN_POOL_SIZE, hashConcurrency + THREADS_BESIDE_HASHES) };
}

/**
 * Sizes libuv's pool. Effective only before the process first queues work on it (the pool
 * starts then, at the size the environment gives): src/main.ts calls it before loading the
 * server; forked workers inherit the variable.
 */
export function applyThreadPoolSize(budget: ThreadBudget): void {
  process.env.UV_THREADPOOL_SIZE = String(budget.poolSize);
}

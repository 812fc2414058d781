import cluster, { type Worker } from 'node:cluster';
import type { Config } from './platform/config.js';
import type { Logger } from './platform/logger.js';

/** A worker that dies within this long of starting is failing to start, not crashing under load. */
const EARLY_EXIT_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * WORKERS=N (issue 14 item 5): N server processes share the port through node:cluster, to use
 * every core of a larger machine. Each worker is a complete Gatehouse (src/server.ts) with its
 * own database pool and its own bounded caches, exactly like a separate instance behind a load
 * balancer: the revocation cache and the signing keys are polled from PostgreSQL by every
 * process (REVOCATION_CACHE_SECONDS, KEY_REFRESH_INTERVAL), client metadata expires after
 * CLIENT_CACHE_TTL, and single use and rate limits are decided by PostgreSQL statements, so
 * nothing depends on which worker a request reaches.
 *
 * This supervisor restarts a worker that exits unexpectedly (with a growing delay when it keeps
 * failing to start) and, on SIGTERM or SIGINT, passes the signal on and exits once every worker
 * has drained and stopped.
 */
export function superviseWorkers(config: Config, logger: Logger): void {
  let stopping = false;
  let failuresInARow = 0;
  const startedAt = new Map<number, number>();

  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('all workers stopped');
        process.exit(0);
      }
      return;
    }
    failuresInARow = lived < EARLY_EXIT_MS ? failuresInARow + 1 : 0;
    const delay = Math.min(MAX_RESTART_DELAY_MS, failuresInARow === 0 ? 0 : 500 * 2 ** (failuresInARow - 1));
    logger.error({ pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker exited; restarting it');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    if (workers.length === 0) process.exit(0);
    // Each worker drains its requests (SHUTDOWN_GRACE) and exits on its own; a signal sent to the
    // whole process group reaches them twice, which they ignore.
    for (const worker of workers) worker.process.kill(signal);
    setTimeout(
      () => {
        logger.error('workers did not stop in time; exiting');
        process.exit(1);
      },
      (config.shutdownGraceSeconds + 6) * 1000,
    ).unref();
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop(signal));

  // `npm start`'s orphan check, as a single server does it (src/main.ts).
  if (process.argv.includes('--stop-with-parent')) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) stop('SIGTERM');
    }, 1000).unref();
  }

  logger.info({ workers: config.workers }, 'starting workers');
  for (let index = 0; index < config.workers; index += 1) fork();
}

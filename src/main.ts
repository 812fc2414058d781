import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './platform/config.js';
import { createLogger, type Logger } from './platform/logger.js';
import { applyThreadPoolSize } from './platform/runtime/thread-pool.js';
import { superviseWorkers } from './workers.js';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

// Before anything can queue work on libuv's pool (the logger's stream included): the pool takes
// its size from the environment when it starts. Forked workers inherit it.
applyThreadPoolSize(config.threads);
const logger = createLogger(config.logLevel);

// WORKERS=N: this process only supervises N server processes sharing the port (src/workers.ts);
// it never loads the application, so it stays small.
if (config.workers > 1 && cluster.isPrimary) superviseWorkers(config, logger);
else await serve(config, logger);

async function serve(config: Config, logger: Logger): Promise<void> {
  const { startGatehouse } = await import('./server.js');
  type RunningGatehouse = Awaited<ReturnType<typeof startGatehouse>>;

  // Past the drain (SHUTDOWN_GRACE) the database and the embedded cluster still close; should any of
  // that hang, the process exits anyway so a supervisor's stop timeout (grace + 5 s) is never reached.
  const forcedExitAfterMs = (config.shutdownGraceSeconds + 4) * 1000;

  let gatehouse: RunningGatehouse | undefined;
  let stopReason: string | undefined;

  const stopAndExit = (running: RunningGatehouse): void => {
    running
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };

  const requestStop = (reason: string): void => {
    // A signal to the process group arrives twice (directly, and forwarded by npm or the
    // workers' supervisor): stop once.
    if (stopReason) return;
    stopReason = reason;
    logger.info({ reason }, 'shutting down');
    setTimeout(() => {
      logger.error({ reason, afterMs: forcedExitAfterMs }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, forcedExitAfterMs).unref();
    // During start-up there is nothing to drain yet: the stop runs as soon as start-up returns.
    if (gatehouse) stopAndExit(gatehouse);
  };

  // Listening from the first moment: a SIGTERM during start-up (migrations can take a while) must not
  // kill the process with its embedded PostgreSQL child still running.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => requestStop(signal));

  // `npm start` passes this flag. npm forwards SIGTERM and SIGINT to the server, but if npm itself is
  // killed outright (SIGKILL, the OOM killer) the server would live on as an orphan nobody supervises.
  // Its parent changing is the sign of that. Off by default: a server started with nohup or `&` from a
  // shell that then exits is reparented on purpose and must keep running.
  if (process.argv.includes('--stop-with-parent')) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) requestStop('parent process exited');
    }, 1000).unref();
  }
  // A worker whose supervisor is gone (killed outright) stops too: nothing would restart or stop it.
  if (cluster.isWorker) process.once('disconnect', () => requestStop('supervisor exited'));

  gatehouse = await startGatehouse(config, logger).catch((error: unknown) => {
    logger.fatal({ err: error }, 'Gatehouse failed to start');
    process.exit(1);
  });
  if (stopReason) stopAndExit(gatehouse);
}

import Router from '@koa/router';
import { poolConnection, type Orm } from '../db/orm.js';
import { withTimeout } from './faults.js';
import type { Metrics } from './metrics.js';

/** A load balancer's probe must get an answer: an unreachable database can hold a connection attempt far longer. */
const READINESS_TIMEOUT_MS = 2000;

/** /healthz: the process is alive (restart it if not). /readyz: it can serve, the database included (route traffic elsewhere if not). */
export function createHealthRoutes(deps: { orm: Orm; metrics: Metrics; isShuttingDown: () => boolean }) {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    if (deps.isShuttingDown()) {
      ctx.status = 503;
      ctx.body = { status: 'shutting_down' };
      return;
    }
    try {
      await withTimeout(poolConnection(deps.orm).execute('select 1'), READINESS_TIMEOUT_MS);
      ctx.body = { status: 'ok', database: 'reachable' };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', database: 'unreachable' };
    }
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
  return router;
}

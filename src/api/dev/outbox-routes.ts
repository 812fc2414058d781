import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../platform/db/orm.js';
import { listDevOutbox } from '../../platform/notify/outbox.js';
import { devOutboxQuery, devOutboxView } from '../../platform/notify/schemas.js';

/**
 * GET /dev/outbox: what the development outbox kept, newest first, `?to=` to filter by recipient.
 * app.ts registers this router only outside production, so the route does not exist there
 * (conventions: dev conveniences are separate routes, never a bypass).
 */
export function createDevOutboxRoutes(deps: { orm: Orm }) {
  const router = new Router();
  router.get('/dev/outbox', async (ctx) => {
    const query = devOutboxQuery.parse(ctx.query);
    const rows = await listDevOutbox(deps.orm.em.fork() as EntityManager, query);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = devOutboxView.parse({
      messages: rows.map((row) => ({
        id: row.id,
        channel: row.channel,
        to: row.recipient,
        subject: row.subject ?? null,
        text: row.text,
        html: row.html ?? null,
        created_at: row.createdAt,
      })),
    });
  });
  return router;
}

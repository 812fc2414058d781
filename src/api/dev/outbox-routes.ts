import { requestEntityManager } from '../../platform/db/orm.js';
import type { Orm } from '../../platform/db/orm.js';
import { listDevOutbox } from '../../platform/notify/outbox.js';
import { devOutboxQuery, devOutboxView } from '../../platform/notify/schemas.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { rempErrors } from '../../platform/openapi/shapes.js';

/**
 * GET /dev/outbox: what the development outbox kept, newest first, `?to=` to filter by recipient.
 * app.ts registers this router only outside production, so the route does not exist there
 * (conventions: dev conveniences are separate routes, never a bypass).
 */
export function createDevOutboxRoutes(deps: { orm: Orm }) {
  return routerFor([
    route({
      method: 'get',
      path: '/dev/outbox',
      tags: ['Development'],
      summary: 'Messages kept by the development outbox (no SMS/SMTP provider configured), newest first',
      description: 'Does not exist when NODE_ENV=production.',
      security: [],
      request: { query: devOutboxQuery },
      responses: {
        200: {
          description: 'Kept messages, codes included',
          schema: devOutboxView,
          example: {
            messages: [
              {
                id: '7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f',
                channel: 'sms',
                to: '+35799123456',
                subject: null,
                text: 'Your Gatehouse code is 482913',
                html: null,
                created_at: '2026-11-26T10:21:14.000Z',
              },
            ],
          },
        },
        400: rempErrors.invalid,
      },
      async handler(ctx, { query }) {
        const rows = await listDevOutbox(requestEntityManager(deps.orm), query);
        ctx.set('Cache-Control', 'no-store');
        ctx.body = {
          messages: rows.map((row) => ({
            id: row.id,
            channel: row.channel,
            to: row.recipient,
            subject: row.subject ?? null,
            text: row.text,
            html: row.html ?? null,
            created_at: row.createdAt.toISOString(),
          })),
        };
      },
    }),
  ]);
}

import { requestEntityManager } from '../../platform/db/orm.js';
import type { Orm } from '../../platform/db/orm.js';
import type { Authenticator } from '../../oauth/callers/authenticator.js';
import type { WebhookDeliveryRow } from '../../identity/events/entities.js';
import { deliveryListQuery, deliveryListView } from '../../identity/events/schemas.js';
import { deliveryStatus, listDeliveries } from '../../identity/events/service.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { rempErrors } from '../../platform/openapi/shapes.js';

const WEBHOOK_DELIVERIES_PATH = '/api/v1/admin/webhooks/deliveries';

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'invalid-url';
  }
}

function deliveryFields(delivery: WebhookDeliveryRow, eventType: string) {
  const status = deliveryStatus(delivery);
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    event_type: eventType,
    url: withoutQuery(delivery.url),
    status,
    attempts: delivery.attempts,
    next_attempt_at: status === 'pending' ? iso(delivery.nextAttemptAt) : null,
    delivered_at: iso(delivery.deliveredAt),
    failed_at: iso(delivery.failedAt),
    last_status: delivery.lastStatus ?? null,
    last_error: delivery.lastError ?? null,
    created_at: delivery.createdAt.toISOString(),
  };
}

/** Read-only view of webhook deliveries for operators (which receiver is failing, and why). */
export function createWebhookAdminRoutes(deps: { orm: Orm; auth: Authenticator }) {
  return routerFor([
    route({
      method: 'get',
      path: WEBHOOK_DELIVERIES_PATH,
      tags: ['Webhooks'],
      summary: 'List webhook deliveries, newest first: pending (with the next attempt), delivered or failed for good',
      description: 'Needs a user or client-credentials token with the users:admin scope. Receiver URLs are shown without their query string.',
      security: [{ bearer: ['users:admin'] }],
      middleware: [deps.auth.authenticate({ scopes: ['users:admin'] })],
      request: { query: deliveryListQuery },
      responses: {
        200: {
          description: 'Deliveries',
          schema: deliveryListView,
          example: {
            deliveries: [
              {
                id: '5d6e7f80-1a2b-4c3d-8e4f-5a6b7c8d9e0f',
                event_id: '0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d',
                event_type: 'UserRegisteredEvent',
                url: 'https://crm.example.com/webhooks/gatehouse',
                status: 'pending',
                attempts: 2,
                next_attempt_at: '2026-11-26T10:25:14.000Z',
                delivered_at: null,
                failed_at: null,
                last_status: 503,
                last_error: 'HTTP 503',
                created_at: '2026-11-26T10:21:14.000Z',
              },
            ],
          },
        },
        400: rempErrors.invalid,
        401: rempErrors.unauthorized,
        403: rempErrors.forbidden,
      },
      async handler(ctx, { query }) {
        const rows = await listDeliveries(requestEntityManager(deps.orm), { status: query.status, eventId: query.event_id, limit: query.limit });
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { deliveries: rows.map(({ delivery, eventType }) => deliveryFields(delivery, eventType)) };
      },
    }),
  ]);
}

import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../platform/db/orm.js';
import type { Authenticator } from '../../oauth/callers/authenticator.js';
import type { WebhookDeliveryRow } from '../../identity/events/entities.js';
import { deliveryListQuery, deliveryListView } from '../../identity/events/schemas.js';
import { deliveryStatus, listDeliveries } from '../../identity/events/service.js';

export const WEBHOOK_DELIVERIES_PATH = '/api/v1/admin/webhooks/deliveries';

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
  const router = new Router();
  router.get(WEBHOOK_DELIVERIES_PATH, deps.auth.authenticate({ scopes: ['users:admin'] }), async (ctx) => {
    const query = deliveryListQuery.parse(ctx.query);
    const rows = await listDeliveries(deps.orm.em.fork() as EntityManager, { status: query.status, eventId: query.event_id, limit: query.limit });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deliveryListView.parse({ deliveries: rows.map(({ delivery, eventType }) => deliveryFields(delivery, eventType)) });
  });
  return router;
}

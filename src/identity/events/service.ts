import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxEventEntity, WebhookDeliveryEntity, type WebhookDeliveryRow } from './entities.js';

/** A delivery claimed by one instance, with the event it carries. */
export interface ClaimedDelivery {
  id: string;
  url: string;
  /** This attempt's number (1 for the first); also the claim's fencing token. */
  attempt: number;
  event: { id: string; type: string; customerId: string | null; payload: Record<string, unknown>; createdAt: Date };
}

interface ClaimedRow {
  id: string;
  url: string;
  attempts: number;
  event_id: string;
  type: string;
  customer_id: string | null;
  payload: Record<string, unknown>;
  created_at: Date;
}

/**
 * Creates one pending delivery per (new outbox event, receiver URL) and marks the events fanned
 * out, in one statement. Events locked by another instance are skipped, not waited for. A URL
 * added to WEBHOOK_URLS later receives events recorded from then on, not the backlog.
 */
export async function fanOutEvents(em: EntityManager, input: { urls: readonly string[]; batchSize: number }): Promise<number> {
  const rows = await em.getConnection().execute<Array<{ events: number }>>(
    `with batch as (
       select id from outbox_event where fanned_out_at is null order by created_at limit ? for update skip locked
     ), marked as (
       update outbox_event e set fanned_out_at = now() from batch where e.id = batch.id returning e.id
     ), created as (
       insert into webhook_delivery (id, event_id, url, attempts, next_attempt_at, created_at, updated_at)
       select gen_random_uuid(), marked.id, target.url, 0, now(), now(), now()
       from marked cross join jsonb_array_elements_text(?::jsonb) as target(url)
       on conflict (event_id, url) do nothing
       returning 1
     )
     select (select count(*) from marked)::int as events, (select count(*) from created)::int as deliveries`,
    [input.batchSize, JSON.stringify(input.urls)],
    'all',
  );
  return rows[0]?.events ?? 0;
}

/**
 * Claims due deliveries for this instance: `for update skip locked` means two instances never
 * claim the same row, and the claim pushes `next_attempt_at` past the request timeout (a lease),
 * so nobody else sends it while it is in flight. If this instance dies mid-request the lease
 * expires and another one retries (at-least-once delivery). Only URLs still configured are sent.
 */
export async function claimDueDeliveries(
  em: EntityManager,
  input: { urls: readonly string[]; batchSize: number; leaseSeconds: number },
): Promise<ClaimedDelivery[]> {
  const rows = await em.getConnection().execute<ClaimedRow[]>(
    `update webhook_delivery d
     set attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => ?), updated_at = now()
     from (
       select id from webhook_delivery
       where delivered_at is null and failed_at is null and next_attempt_at <= now()
         and url in (select jsonb_array_elements_text(?::jsonb))
       order by next_attempt_at
       limit ?
       for update skip locked
     ) due, outbox_event e
     where d.id = due.id and e.id = d.event_id
     returning d.id, d.url, d.attempts, e.id as event_id, e.type, e.customer_id, e.payload, e.created_at`,
    [input.leaseSeconds, JSON.stringify(input.urls), input.batchSize],
    'all',
  );
  return rows.map((row) => ({
    id: row.id,
    url: row.url,
    attempt: row.attempts,
    event: { id: row.event_id, type: row.type, customerId: row.customer_id, payload: row.payload, createdAt: new Date(row.created_at) },
  }));
}

// Guarded by the attempt number: a result that arrives after its lease expired and another
// instance re-claimed the row must not overwrite the newer attempt's state.
export async function markDelivered(em: EntityManager, delivery: Pick<ClaimedDelivery, 'id' | 'attempt'>, status: number): Promise<void> {
  await em.getConnection().execute(
    `update webhook_delivery set delivered_at = now(), last_status = ?, last_error = null, updated_at = now()
     where id = ? and attempts = ? and delivered_at is null`,
    [status, delivery.id, delivery.attempt],
    'run',
  );
}

/** Records a failed attempt: retried after `retryInSeconds`, or given up for good when it is null. */
export async function markAttemptFailed(
  em: EntityManager,
  delivery: Pick<ClaimedDelivery, 'id' | 'attempt'>,
  outcome: { status: number | null; error: string; retryInSeconds: number | null },
): Promise<void> {
  await em.getConnection().execute(
    `update webhook_delivery
     set last_status = ?, last_error = ?, updated_at = now(),
         next_attempt_at = now() + make_interval(secs => ?),
         failed_at = case when ?::boolean then now() end
     where id = ? and attempts = ? and delivered_at is null`,
    [outcome.status, outcome.error.slice(0, 500), outcome.retryInSeconds ?? 0, outcome.retryInSeconds === null, delivery.id, delivery.attempt],
    'run',
  );
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export function deliveryStatus(row: WebhookDeliveryRow): DeliveryStatus {
  return row.deliveredAt ? 'delivered' : row.failedAt ? 'failed' : 'pending';
}

const statusFilter = {
  pending: { deliveredAt: null, failedAt: null },
  delivered: { deliveredAt: { $ne: null } },
  failed: { failedAt: { $ne: null } },
} as const;

/** Newest first, with each event's type, for the admin read endpoint. */
export async function listDeliveries(
  em: EntityManager,
  filter: { status?: DeliveryStatus; eventId?: string; limit: number },
): Promise<Array<{ delivery: WebhookDeliveryRow; eventType: string }>> {
  const deliveries = await em.find(
    WebhookDeliveryEntity,
    { ...(filter.status ? statusFilter[filter.status] : {}), ...(filter.eventId ? { eventId: filter.eventId } : {}) },
    { orderBy: { createdAt: 'desc', id: 'asc' }, limit: filter.limit },
  );
  const events = await em.find(OutboxEventEntity, { id: { $in: [...new Set(deliveries.map((delivery) => delivery.eventId))] } }, { fields: ['id', 'type'] });
  const typeOf = new Map(events.map((event) => [event.id, event.type]));
  return deliveries.map((delivery) => ({ delivery, eventType: typeOf.get(delivery.eventId) ?? 'unknown' }));
}

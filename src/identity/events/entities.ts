import { EntitySchema } from '@mikro-orm/core';

/**
 * Transactional outbox: an event row is written in the same transaction as the change it
 * describes, so an event is never lost and never sent for a change that rolled back.
 */
export interface OutboxEventRow {
  id: string;
  type: string;
  customerId?: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
  /** When the webhook dispatcher created this event's delivery rows (src/identity/events/service.ts). */
  fannedOutAt?: Date | null;
}

export const OutboxEventEntity = new EntitySchema<OutboxEventRow>({
  name: 'OutboxEvent',
  tableName: 'outbox_event',
  properties: {
    id: { type: 'uuid', primary: true },
    type: { type: 'string' },
    customerId: { type: 'uuid', nullable: true },
    payload: { type: 'json' },
    createdAt: { type: 'Date' },
    fannedOutAt: { type: 'Date', nullable: true },
  },
});

/**
 * One event on its way to one receiver URL. Pending while neither `deliveredAt` nor `failedAt` is
 * set; `nextAttemptAt` is both the retry schedule and the lease of an instance sending it.
 */
export interface WebhookDeliveryRow {
  /** Sent as X-Gatehouse-Delivery; the same on every retry, so receivers can de-duplicate. */
  id: string;
  eventId: string;
  url: string;
  attempts: number;
  nextAttemptAt: Date;
  deliveredAt?: Date | null;
  /** Set when the last allowed attempt failed; the delivery is not tried again. */
  failedAt?: Date | null;
  lastStatus?: number | null;
  lastError?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const WebhookDeliveryEntity = new EntitySchema<WebhookDeliveryRow>({
  name: 'WebhookDelivery',
  tableName: 'webhook_delivery',
  properties: {
    id: { type: 'uuid', primary: true },
    eventId: { type: 'uuid' },
    url: { type: 'text' },
    attempts: { type: 'integer', default: 0 },
    nextAttemptAt: { type: 'Date' },
    deliveredAt: { type: 'Date', nullable: true },
    failedAt: { type: 'Date', nullable: true },
    lastStatus: { type: 'integer', nullable: true },
    lastError: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxEventEntity } from './entities.js';

/** Event names as REMP documents them, plus Gatehouse's change events. */
export type EventType =
  | 'NewUserEvent'
  | 'UserRegisteredEvent'
  | 'UserUpdatedEvent'
  | 'UserConfirmedEvent'
  | 'UserDeletedEvent'
  | 'AddressChangedEvent'
  | 'AddressChangeRequestEvent'
  | 'UserMetaChangedEvent'
  | 'UserGroupChangedEvent'
  | 'ContactChangedEvent';

/**
 * Queues an event in the caller's unit of work: it is inserted by the same `flush()` (and so the
 * same transaction) as the change. Call it before flushing.
 */
export function recordEvent(em: EntityManager, event: { type: EventType; customerId?: string | null; data: Record<string, unknown> }): void {
  em.create(OutboxEventEntity, {
    id: randomUUID(),
    type: event.type,
    customerId: event.customerId ?? null,
    payload: { type: event.type, occurred_at: new Date().toISOString(), data: event.data },
    createdAt: new Date(),
  });
}

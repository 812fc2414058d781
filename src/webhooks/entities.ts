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
  },
});

import { EntitySchema } from '@mikro-orm/core';

/**
 * A message the development outbox kept instead of sending (no SMS or SMTP provider configured).
 * Outside production only: it holds codes in clear so a developer can read them at GET /dev/outbox.
 */
export interface DevOutboxMessageRow {
  id: string;
  channel: 'sms' | 'email';
  recipient: string;
  subject?: string | null;
  text: string;
  html?: string | null;
  createdAt: Date;
}

export const DevOutboxMessageEntity = new EntitySchema<DevOutboxMessageRow>({
  name: 'DevOutboxMessage',
  tableName: 'dev_outbox_message',
  properties: {
    id: { type: 'uuid', primary: true },
    channel: { type: 'string' },
    recipient: { type: 'string' },
    subject: { type: 'string', nullable: true },
    text: { type: 'text' },
    html: { type: 'text', nullable: true },
    createdAt: { type: 'Date' },
  },
});

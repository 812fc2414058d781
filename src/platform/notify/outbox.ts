import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type Orm, detachedEntityManager } from '../db/orm.js';
import type { Logger } from '../logger.js';
import { DevOutboxMessageEntity, type DevOutboxMessageRow } from './entities.js';
import type { EmailTransport, SmsTransport } from './transports.js';

/** How long the development outbox keeps a message. */
const RETENTION_HOURS = 24;

/**
 * The development outbox: with no SMS or SMTP provider configured (and never in production),
 * messages are kept in `dev_outbox_message` for GET /dev/outbox. The log names the recipient
 * and subject only: the body holds the code.
 */
export function createDevOutbox({ orm, logger }: { orm: Orm; logger: Logger }): { sms: SmsTransport; email: EmailTransport } {
  const store = async (message: Omit<DevOutboxMessageRow, 'id' | 'createdAt'>) => {
    const em = detachedEntityManager(orm);
    await em.insert(DevOutboxMessageEntity, { id: randomUUID(), createdAt: new Date(), ...message });
    logger.info(
      { channel: message.channel, recipient: message.recipient, subject: message.subject ?? undefined },
      'message kept in the development outbox (GET /dev/outbox)',
    );
  };
  return {
    sms: { name: 'dev-outbox', send: (to, text) => store({ channel: 'sms', recipient: to, subject: null, text, html: null }) },
    email: {
      name: 'dev-outbox',
      send: ({ to, subject, text, html }) => store({ channel: 'email', recipient: to, subject, text, html }),
    },
  };
}

/** Newest first; `to` matches the recipient exactly, e-mail addresses case-insensitively. */
export async function listDevOutbox(em: EntityManager, filter: { to?: string; limit: number }): Promise<DevOutboxMessageRow[]> {
  const qb = em.createQueryBuilder(DevOutboxMessageEntity).select('*').orderBy({ createdAt: 'desc', id: 'desc' }).limit(filter.limit);
  if (filter.to) qb.where('lower(recipient) = lower(?)', [filter.to]);
  return qb.getResult();
}

export async function purgeDevOutbox(orm: Orm): Promise<number> {
  const em = detachedEntityManager(orm);
  return em.nativeDelete(DevOutboxMessageEntity, { createdAt: { $lt: new Date(Date.now() - RETENTION_HOURS * 3600_000) } });
}

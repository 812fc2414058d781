import type { EntityManager } from '@mikro-orm/postgresql';
import { LoginAttemptEntity, type LoginAttemptRow } from './entities.js';

export interface AttemptContext {
  ip?: string;
  userAgent?: string;
  source?: string;
}

/** Every credential check leaves a record (issue #3 §7), readable by admins. */
export async function recordLoginAttempt(
  em: EntityManager,
  attempt: { customerId?: string | null; method: string; result: LoginAttemptRow['result'] } & AttemptContext,
): Promise<void> {
  await em.insert(LoginAttemptEntity, {
    customerId: attempt.customerId ?? null,
    method: attempt.method,
    result: attempt.result,
    source: attempt.source?.slice(0, 100) ?? null,
    ip: attempt.ip?.slice(0, 64) ?? null,
    userAgent: attempt.userAgent?.slice(0, 500) ?? null,
    createdAt: new Date(),
  });
}

export async function listLoginAttempts(em: EntityManager, filter: { customerId?: string; limit: number; before?: Date }) {
  return em.find(
    LoginAttemptEntity,
    { ...(filter.customerId ? { customerId: filter.customerId } : {}), ...(filter.before ? { createdAt: { $lt: filter.before } } : {}) },
    { orderBy: { createdAt: 'desc' }, limit: filter.limit },
  );
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { LoginAttemptEntity, type LoginAttemptRow } from './entities.js';

export interface AttemptContext {
  ip?: string;
  userAgent?: string;
  source?: string;
}

export type LoginAttempt = { customerId?: string | null; method: string; result: LoginAttemptRow['result'] } & AttemptContext;

/**
 * The insert of one login-attempt record as plain SQL, for a caller that runs it inside another
 * statement (the sign-in pipeline settles its limiter reservation and records the attempt in one
 * round trip). The one definition of the row's shape: recordLoginAttempt runs the same insert.
 */
export function loginAttemptInsert(attempt: LoginAttempt): { sql: string; bindings: unknown[] } {
  return {
    sql: `insert into login_attempt (created_at, customer_id, method, result, source, ip, user_agent) values (?, ?, ?, ?, ?, ?, ?)`,
    bindings: [
      new Date(),
      attempt.customerId ?? null,
      attempt.method,
      attempt.result,
      attempt.source?.slice(0, 100) ?? null,
      attempt.ip?.slice(0, 64) ?? null,
      attempt.userAgent?.slice(0, 500) ?? null,
    ],
  };
}

/** Every credential check leaves a record (issue #3 §7), readable by admins. */
export async function recordLoginAttempt(em: EntityManager, attempt: LoginAttempt): Promise<void> {
  const { sql, bindings } = loginAttemptInsert(attempt);
  // Inside the caller's transaction when it has one, as an entity insert would be.
  await em.getConnection().execute(sql, bindings as never[], 'run', em.getTransactionContext());
}

export async function listLoginAttempts(em: EntityManager, filter: { customerId?: string; limit: number; before?: Date }) {
  return em.find(
    LoginAttemptEntity,
    { ...(filter.customerId ? { customerId: filter.customerId } : {}), ...(filter.before ? { createdAt: { $lt: filter.before } } : {}) },
    { orderBy: { createdAt: 'desc' }, limit: filter.limit },
  );
}

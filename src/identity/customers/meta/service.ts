import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recordEvent } from '../../events/outbox.js';
import { CustomerEntity } from '../entities.js';
import { UserMetaEntity, type UserMetaRow } from './entities.js';

export async function upsertUserMeta(em: EntityManager, input: { customerId: string; key: string; value: string; isPublic?: boolean }): Promise<UserMetaRow> {
  const now = new Date();
  const existing = await em.findOne(UserMetaEntity, { customerId: input.customerId, key: input.key });
  if (existing) {
    existing.value = input.value;
    if (input.isPublic !== undefined) existing.isPublic = input.isPublic;
    existing.updatedAt = now;
    await em.flush();
    return existing;
  }
  const row = em.create(UserMetaEntity, { ...input, isPublic: input.isPublic ?? false, createdAt: now, updatedAt: now });
  await em.flush();
  return row;
}

export async function listUserMeta(em: EntityManager, customerId: string, options: { publicOnly: boolean; key?: string }): Promise<UserMetaRow[]> {
  return em.find(
    UserMetaEntity,
    { customerId, ...(options.publicOnly ? { isPublic: true } : {}), ...(options.key ? { key: options.key } : {}) },
    { orderBy: { key: 'asc' } },
  );
}

/** REMP responses carry public meta as a flat `{key: value}` object. */
export async function publicUserMetaObject(em: EntityManager, customerId: string): Promise<Record<string, string>> {
  const rows = await listUserMeta(em, customerId, { publicOnly: true });
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}

export async function deleteUserMeta(em: EntityManager, input: { customerId: string; key: string; value?: string }): Promise<number> {
  return em.nativeDelete(UserMetaEntity, { customerId: input.customerId, key: input.key, ...(input.value !== undefined ? { value: input.value } : {}) });
}

/** REMP `user-meta/key-users`: each user holding the key, with its integer id (REMP's `user_id`), in that id's order. */
export async function usersWithMeta(
  em: EntityManager,
  input: { key: string; value?: string },
): Promise<Array<{ customerId: string; numericId: number; value: string }>> {
  const rows = await em.find(UserMetaEntity, { key: input.key, ...(input.value !== undefined ? { value: input.value } : {}) });
  if (rows.length === 0) return [];
  const customers = await em.find(CustomerEntity, { id: { $in: rows.map((row) => row.customerId) } }, { fields: ['id', 'numericId'] });
  const numericIds = new Map(customers.map((customer) => [customer.id, customer.numericId!]));
  return rows
    .filter((row) => numericIds.has(row.customerId))
    .map((row) => ({ customerId: row.customerId, numericId: numericIds.get(row.customerId)!, value: row.value }))
    .sort((a, b) => a.numericId - b.numericId);
}

/**
 * REMP `user-meta/upsert` with its UserMetaChangedEvent, both written by one flush (one
 * transaction). The event names the key, not the value: private values stay in the database.
 */
export async function upsertUserMetaRecorded(
  em: EntityManager,
  input: { customerId: string; key: string; value: string; isPublic?: boolean },
  retried = false,
): Promise<UserMetaRow> {
  const now = new Date();
  let row = await em.findOne(UserMetaEntity, { customerId: input.customerId, key: input.key });
  if (row) {
    row.value = input.value;
    if (input.isPublic !== undefined) row.isPublic = input.isPublic;
    row.updatedAt = now;
  } else {
    row = em.create(UserMetaEntity, { ...input, isPublic: input.isPublic ?? false, createdAt: now, updatedAt: now });
  }
  recordEvent(em, {
    type: 'UserMetaChangedEvent',
    customerId: input.customerId,
    data: { user_id: input.customerId, key: input.key, is_public: row.isPublic, action: 'upserted' },
  });
  try {
    await em.flush();
  } catch (error) {
    // Two first upserts of one key raced: the loser becomes an update of the winner's row.
    if (!(error instanceof UniqueConstraintViolationException) || retried) throw error;
    em.clear();
    return upsertUserMetaRecorded(em, input, true);
  }
  return row;
}

/** REMP `user-meta/delete` (optionally only with a given value); an event only when something was deleted. */
export async function deleteUserMetaRecorded(em: EntityManager, input: { customerId: string; key: string; value?: string }): Promise<number> {
  const rows = await em.find(UserMetaEntity, { customerId: input.customerId, key: input.key, ...(input.value !== undefined ? { value: input.value } : {}) });
  if (rows.length === 0) return 0;
  for (const row of rows) em.remove(row);
  recordEvent(em, { type: 'UserMetaChangedEvent', customerId: input.customerId, data: { user_id: input.customerId, key: input.key, action: 'deleted' } });
  await em.flush();
  return rows.length;
}

import type { EntityManager } from '@mikro-orm/postgresql';
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

export async function usersWithMeta(em: EntityManager, input: { key: string; value?: string }): Promise<UserMetaRow[]> {
  return em.find(UserMetaEntity, { key: input.key, ...(input.value !== undefined ? { value: input.value } : {}) }, { orderBy: { customerId: 'asc' } });
}

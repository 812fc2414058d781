import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { conflict } from '../../../platform/errors.js';
import { recordEvent } from '../../events/outbox.js';
import { UserGroupEntity, UserGroupMemberEntity, type UserGroupRow } from './entities.js';
import { flushOrConflict } from '../../../platform/db/orm.js';

/** A new group; names are unique regardless of case. */
export async function createGroup(em: EntityManager, name: string): Promise<UserGroupRow> {
  const group = em.create(UserGroupEntity, { name, createdAt: new Date() });
  await flushOrConflict(em, () => conflict('A group with this name already exists', 'group_exists'));
  return group;
}

export async function listGroups(em: EntityManager): Promise<UserGroupRow[]> {
  return em.find(UserGroupEntity, {}, { orderBy: { id: 'asc' } });
}

export async function findGroup(em: EntityManager, id: number): Promise<UserGroupRow | null> {
  return em.findOne(UserGroupEntity, { id });
}

/** REMP `add-to-group`: adding a member twice changes nothing (and writes no event). */
export async function addToGroup(em: EntityManager, group: UserGroupRow, customerId: string): Promise<boolean> {
  if (await em.findOne(UserGroupMemberEntity, { groupId: group.id, customerId })) return false;
  em.create(UserGroupMemberEntity, { groupId: group.id, customerId, createdAt: new Date() });
  recordEvent(em, { type: 'UserGroupChangedEvent', customerId, data: { user_id: customerId, group_id: group.id, action: 'added' } });
  try {
    await em.flush();
  } catch (error) {
    // A concurrent request added the same member first: the outcome is the same.
    if (error instanceof UniqueConstraintViolationException) return false;
    throw error;
  }
  return true;
}

/** REMP `remove-from-group`: removing a non-member changes nothing. */
export async function removeFromGroup(em: EntityManager, group: UserGroupRow, customerId: string): Promise<boolean> {
  const member = await em.findOne(UserGroupMemberEntity, { groupId: group.id, customerId });
  if (!member) return false;
  em.remove(member);
  recordEvent(em, { type: 'UserGroupChangedEvent', customerId, data: { user_id: customerId, group_id: group.id, action: 'removed' } });
  await em.flush();
  return true;
}

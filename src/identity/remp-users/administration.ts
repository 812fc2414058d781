import { isUuid } from '../../platform/uuid.js';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { NotFound } from '../../platform/errors.js';
import { CustomerEntity, type CustomerRow } from '../customers/entities.js';
import { recordEvent } from '../events/outbox.js';
import type { UserRef } from '../customers/remp-fields.js';
import { endSignIns } from './service.js';

/**
 * What REMP's admin console does to a user and its API never offered (issue #13 §6): deactivate
 * and reactivate (so `users/list`'s `include_deactivated` means something), assign admin roles
 * (REMP's login answers them as `roles`), and protect an account from self-service deletion
 * (`user/delete` then answers 403 `user_delete_protected`). Each change is one transaction with
 * its UserUpdatedEvent, and answers the state after it; repeating a change changes nothing.
 */

const userNotFound = () => new NotFound('user_not_found', 'User not found');

/** Deactivated users included, anonymised ones not: they are gone for good. Null when `ref` can name no one. */
const administered = (ref: UserRef) =>
  typeof ref === 'number' ? { numericId: ref, anonymizedAt: null } : isUuid(ref) ? { id: ref, anonymizedAt: null } : null;

/** The customer named by numeric id or UUID, locked for the change. */
async function lockCustomer(tx: EntityManager, ref: UserRef): Promise<CustomerRow> {
  const where = administered(ref);
  const customer = where ? await tx.findOne(CustomerEntity, where, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
  if (!customer) throw userNotFound();
  return customer;
}

function changed(tx: EntityManager, customer: CustomerRow, what: string, now: Date) {
  customer.updatedAt = now;
  recordEvent(tx, { type: 'UserUpdatedEvent', customerId: customer.id, data: { user_id: customer.id, changed: [what] } });
}

export interface AdministeredCustomer {
  customer: CustomerRow;
  /** Grants ended by a deactivation: the caller revokes their tokens once this has committed. */
  grantIds: string[];
}

/**
 * Deactivates a user: no sign-in of any kind succeeds (every path asks for a usable customer),
 * its sessions and grants end now, and the tokens issued under them are revoked by the caller.
 * The account and its data stay, and the e-mail stays taken.
 */
export async function deactivateCustomer(em: EntityManager, ref: UserRef): Promise<AdministeredCustomer> {
  return em.transactional(async (tx) => {
    const customer = await lockCustomer(tx, ref);
    if (customer.deactivatedAt) return { customer, grantIds: [] };
    const now = new Date();
    customer.deactivatedAt = now;
    changed(tx, customer, 'deactivated', now);
    const grantIds = await endSignIns(tx, customer.id);
    return { customer, grantIds };
  });
}

/** Lets a deactivated user sign in again (with the credentials it had). */
export async function reactivateCustomer(em: EntityManager, ref: UserRef): Promise<AdministeredCustomer> {
  return em.transactional(async (tx) => {
    const customer = await lockCustomer(tx, ref);
    if (!customer.deactivatedAt) return { customer, grantIds: [] };
    customer.deactivatedAt = null;
    changed(tx, customer, 'reactivated', new Date());
    return { customer, grantIds: [] };
  });
}

/**
 * Replaces the user's admin roles. These are REMP's labels, answered by `users/login` and
 * `users/create` as `roles`; they grant nothing in Gatehouse, whose permissions are scopes.
 */
export async function setCustomerRoles(em: EntityManager, ref: UserRef, roles: readonly string[]): Promise<AdministeredCustomer> {
  return em.transactional(async (tx) => {
    const customer = await lockCustomer(tx, ref);
    const next = [...new Set(roles)];
    if (JSON.stringify(customer.roles) === JSON.stringify(next)) return { customer, grantIds: [] };
    customer.roles = next;
    changed(tx, customer, 'roles', new Date());
    return { customer, grantIds: [] };
  });
}

/** Sets or clears delete protection: a protected user's `user/delete` answers 403 and nothing is erased. */
export async function setDeleteProtection(em: EntityManager, ref: UserRef, deleteProtected: boolean): Promise<AdministeredCustomer> {
  return em.transactional(async (tx) => {
    const customer = await lockCustomer(tx, ref);
    if (customer.deleteProtected === deleteProtected) return { customer, grantIds: [] };
    customer.deleteProtected = deleteProtected;
    changed(tx, customer, 'delete_protected', new Date());
    return { customer, grantIds: [] };
  });
}

/** A user as the admin API reads it: deactivated ones included, anonymised ones gone. */
export async function findAdministeredCustomer(em: EntityManager, ref: UserRef): Promise<CustomerRow> {
  const where = administered(ref);
  const customer = where ? await em.findOne(CustomerEntity, where) : null;
  if (!customer) throw userNotFound();
  return customer;
}

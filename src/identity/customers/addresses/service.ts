import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Conflict, NotFound } from '../../../platform/errors.js';
import { recordEvent } from '../../events/outbox.js';
import {
  ADDRESS_FIELD_NAMES,
  AddressChangeRequestEntity,
  AddressEntity,
  type AddressChangeRequestRow,
  type AddressFields,
  type AddressRow,
} from './entities.js';

export async function listAddresses(em: EntityManager, customerId: string, type?: string): Promise<AddressRow[]> {
  return em.find(AddressEntity, { customerId, ...(type ? { type } : {}) }, { orderBy: { id: 'asc' } });
}

/** The address a change request of this type applies to: the newest one of the type. */
export async function latestAddressOfType(em: EntityManager, customerId: string, type: string): Promise<AddressRow | null> {
  return em.findOne(AddressEntity, { customerId, type }, { orderBy: { id: 'desc' } });
}

/** REMP `users/address`: a new address, and its AddressChangedEvent in the same transaction. */
export async function createAddress(em: EntityManager, input: { customerId: string; type: string; fields: AddressFields }): Promise<AddressRow> {
  return em.transactional(async (tx) => {
    const now = new Date();
    const address = tx.create(AddressEntity, { customerId: input.customerId, type: input.type, ...input.fields, createdAt: now, updatedAt: now });
    await tx.flush();
    recordEvent(tx, {
      type: 'AddressChangedEvent',
      customerId: input.customerId,
      data: { user_id: input.customerId, address_id: address.id, type: address.type, action: 'created' },
    });
    return address;
  });
}

/** REMP `change-address-request`: recorded as pending; only an approval changes the address. */
export async function requestAddressChange(em: EntityManager, address: AddressRow, fields: AddressFields): Promise<AddressChangeRequestRow> {
  return em.transactional(async (tx) => {
    const request = tx.create(AddressChangeRequestEntity, {
      addressId: address.id,
      customerId: address.customerId,
      type: address.type,
      status: 'new',
      ...fields,
      createdAt: new Date(),
    });
    await tx.flush();
    recordEvent(tx, {
      type: 'AddressChangeRequestEvent',
      customerId: address.customerId,
      data: { user_id: address.customerId, address_id: address.id, request_id: request.id, type: address.type, action: 'requested' },
    });
    return request;
  });
}

/**
 * Approves or rejects a pending request. The row is locked so two approvals cannot both apply;
 * approving copies the fields the request carried onto the address.
 */
export async function resolveAddressChange(em: EntityManager, requestId: number, approve: boolean): Promise<AddressChangeRequestRow> {
  return em.transactional(async (tx) => {
    const request = await tx.findOne(AddressChangeRequestEntity, { id: requestId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!request) throw new NotFound('change_request_not_found', 'Address change request not found');
    if (request.status !== 'new') throw new Conflict('change_request_resolved', `The address change request was already ${request.status}`);
    const now = new Date();
    const data = { user_id: request.customerId, address_id: request.addressId, request_id: request.id, type: request.type };
    if (approve) {
      const address = await tx.findOneOrFail(AddressEntity, { id: request.addressId });
      for (const name of ADDRESS_FIELD_NAMES) {
        const value = request[name];
        if (value !== null && value !== undefined) address[name] = value;
      }
      address.updatedAt = now;
      recordEvent(tx, { type: 'AddressChangedEvent', customerId: request.customerId, data: { ...data, action: 'updated' } });
    }
    Object.assign(request, { status: approve ? 'accepted' : 'rejected', resolvedAt: now });
    recordEvent(tx, { type: 'AddressChangeRequestEvent', customerId: request.customerId, data: { ...data, action: request.status } });
    return request;
  });
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { CustomerEntity, type CustomerRow } from './entities.js';
import { findCustomerById } from './service.js';

/**
 * CRM.COM contact ids: the caller-supplied id (≤ 36, kept in customer.external_id) when there is
 * one, else the customer's own UUID (crm-com-contacts-self-service, Back-Office Step 1).
 */
export const contactIdOf = (customer: Pick<CustomerRow, 'id' | 'externalId'>) => customer.externalId ?? customer.id;

/** A usable person by contact id: the external id first, then the UUID. */
export async function findPersonByContactId(em: EntityManager, contactId: string): Promise<CustomerRow | null> {
  const byExternalId = await em.findOne(CustomerEntity, { externalId: contactId, deactivatedAt: null, anonymizedAt: null });
  return byExternalId ?? findCustomerById(em, contactId);
}

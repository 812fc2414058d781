import { CustomerEntity, CustomerPhoneEntity, type CustomerRow } from '../identity/customers/entities.js';
import { UserMetaEntity } from '../identity/customers/meta/entities.js';
import { SessionmProfileEntity } from '../identity/customers/sessionm/entities.js';

/** Rows of a customer that the read-mostly reads return beside the customer row itself. */
const CUSTOMER_ROWS = new Set([UserMetaEntity, CustomerPhoneEntity, SessionmProfileEntity].map((schema) => schema.meta.className));

/**
 * Whose read-mostly reads (src/platform/db/read-replica.ts) a flushed entity changes: user info
 * shows the customer row and its public meta (src/identity/customers/read-model.ts); SessionM search
 * the customer, its phone numbers and its SessionM fields. A read-mostly read that returns more adds
 * its entities here. Writes that bypass the unit of work on these tables (the phone list rewritten
 * by SessionM update, anonymisation) come with a change of the customer row in the same
 * transaction, so the customer is stamped by it.
 */
export function customerOfWrite(entityName: string, entity: object): string | undefined {
  if (entityName === CustomerEntity.meta.className) return (entity as CustomerRow).id;
  return CUSTOMER_ROWS.has(entityName) ? (entity as { customerId?: string }).customerId : undefined;
}

import type { CustomerRow } from '../../identity/customers/entities.js';

/** RFC 3339 or null, as REMP documents its dates. */
export const rfc3339 = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/** The `user` object of REMP responses. Ids are Gatehouse UUIDs (REMP's are integers). */
export function rempUser(customer: Pick<CustomerRow, 'id' | 'email' | 'confirmedAt' | 'firstName' | 'lastName' | 'createdAt' | 'roles'>, extra: { roles?: boolean; createdAt?: boolean; publicName?: boolean } = {}) {
  return {
    id: customer.id,
    email: customer.email ?? null,
    confirmed_at: rfc3339(customer.confirmedAt),
    first_name: customer.firstName ?? null,
    last_name: customer.lastName ?? null,
    ...(extra.publicName ? { public_name: customer.email ?? null } : {}),
    ...(extra.createdAt ? { created_at: rfc3339(customer.createdAt) } : {}),
    ...(extra.roles ? { roles: customer.roles } : {}),
  };
}

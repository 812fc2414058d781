import type { CustomerRow } from '../../identity/customers/entities.js';

/** RFC 3339 or null, as REMP documents its dates. */
export const rfc3339 = (date: Date | null | undefined) => (date ? date.toISOString() : null);

/**
 * The integer REMP answers as a user's `id` (spec README: "REMP paths expose and accept a stable
 * integer id per record"). Every customer row read from the database has one.
 */
export function rempId(customer: Pick<CustomerRow, 'id' | 'numericId'>): number {
  if (customer.numericId === undefined || customer.numericId === null) throw new Error(`customer ${customer.id} read without its numeric id`);
  return customer.numericId;
}

/** The `user` object of REMP responses: `id` is the integer id; `uuid`, Gatehouse's id, is an extension. */
export function rempUser(
  customer: Pick<CustomerRow, 'id' | 'numericId' | 'email' | 'confirmedAt' | 'firstName' | 'lastName' | 'createdAt' | 'roles'>,
  extra: { roles?: boolean; createdAt?: boolean; publicName?: boolean } = {},
) {
  return {
    id: rempId(customer),
    uuid: customer.id,
    email: customer.email ?? null,
    confirmed_at: rfc3339(customer.confirmedAt),
    first_name: customer.firstName ?? null,
    last_name: customer.lastName ?? null,
    ...(extra.publicName ? { public_name: customer.email ?? null } : {}),
    ...(extra.createdAt ? { created_at: rfc3339(customer.createdAt) } : {}),
    ...(extra.roles ? { roles: customer.roles } : {}),
  };
}

import { isUuid } from '../../platform/uuid.js';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ReadMostlyOptions } from '../../platform/db/read-replica.js';
import { z } from 'zod';
import { hashPassword, passwordPolicy, verifyPassword } from '../../platform/crypto/passwords.js';
import { customerTaken } from './taken.js';
import { CustomerEntity, type CustomerRow } from './entities.js';
import { flushOrConflict } from '../../platform/db/orm.js';

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export type NewCustomer = Partial<Omit<CustomerRow, 'id' | 'createdAt' | 'updatedAt' | 'passwordHash' | 'emailNormalized'>> & {
  password?: string;
};

/** Builds and persists a customer with every default in one place; fails with 409 on a taken e-mail, phone or external id. */
export async function insertCustomer(em: EntityManager, input: NewCustomer): Promise<CustomerRow> {
  const { password, ...fields } = input;
  const now = new Date();
  const customer = em.create(CustomerEntity, {
    emailOptOut: false,
    smsOptOut: false,
    newslettersSubscribed: false,
    unclaimed: false,
    roles: [],
    deleteProtected: false,
    registeredAt: fields.unclaimed ? null : now,
    ...fields,
    id: randomUUID(),
    email: fields.email?.trim() ?? null,
    emailNormalized: fields.email ? normalizeEmail(fields.email) : null,
    passwordHash: password ? await hashPassword(password) : null,
    createdAt: now,
    updatedAt: now,
  });
  await flushOrConflict(em, (error) => {
    // The failed insert stays in the unit of work otherwise, and the request's next flush would retry it.
    em.clear();
    return customerTaken(error);
  });
  return customer;
}

export const createCustomerInput = z
  .object({
    email: z.email().max(254),
    password: z.string().min(passwordPolicy.minLength).max(passwordPolicy.maxLength),
    firstName: z.string().trim().max(100).optional(),
    lastName: z.string().trim().max(100).optional(),
    emailVerified: z.boolean().default(false),
  })
  .strict();

/** The `users:create` CLI path: an e-mail + password account. */
export async function createCustomer(em: EntityManager, raw: z.input<typeof createCustomerInput>): Promise<CustomerRow> {
  const input = createCustomerInput.parse(raw);
  return insertCustomer(em, {
    email: input.email,
    password: input.password,
    firstName: input.firstName ?? null,
    lastName: input.lastName ?? null,
    emailVerifiedAt: input.emailVerified ? new Date() : null,
  });
}

const usable = { deactivatedAt: null, anonymizedAt: null } as const;

/** `options` from findReadMostly read the read replica (src/platform/db/read-replica.ts decides when). */
export async function findCustomerByEmail(em: EntityManager, email: string, options: ReadMostlyOptions = {}): Promise<CustomerRow | null> {
  return em.findOne(CustomerEntity, { emailNormalized: normalizeEmail(email), ...usable }, options);
}

export async function findCustomerByPhone(em: EntityManager, phoneNumber: string): Promise<CustomerRow | null> {
  return em.findOne(CustomerEntity, { phoneNumber, ...usable });
}

export async function findCustomerById(em: EntityManager, id: string): Promise<CustomerRow | null> {
  if (!isUuid(id)) return null;
  return em.findOne(CustomerEntity, { id, ...usable });
}

/** A usable customer by either id REMP paths accept: the numeric id or the UUID. */
export async function findCustomerByRef(em: EntityManager, ref: number | string): Promise<CustomerRow | null> {
  if (typeof ref === 'number') return Number.isSafeInteger(ref) ? em.findOne(CustomerEntity, { numericId: ref, ...usable }) : null;
  return findCustomerById(em, ref);
}

/** The conditions matching customers named by numeric ids and/or UUIDs (other strings match none). */
export function refConditions(refs: ReadonlyArray<number | string>) {
  const numericIds = [...new Set(refs.filter((ref): ref is number => typeof ref === 'number'))];
  const ids = [...new Set(refs.filter((ref): ref is string => typeof ref === 'string' && isUuid(ref)))];
  return { $or: [{ numericId: { $in: numericIds } }, { id: { $in: ids } }] };
}

/** Same work and the same answer whether the e-mail is unknown or the password wrong. */
export async function authenticateWithPassword(em: EntityManager, email: string, password: string): Promise<CustomerRow | null> {
  const customer = await findCustomerByEmail(em, email);
  const ok = await verifyPassword(customer?.passwordHash, password);
  return ok && customer ? customer : null;
}

export async function setPassword(em: EntityManager, customer: CustomerRow, password: string): Promise<void> {
  customer.passwordHash = await hashPassword(password);
  customer.updatedAt = new Date();
  await em.flush();
}

/** OpenID Connect standard claims for a customer; they are released by granted scope. */
export type ClaimSource = Pick<
  CustomerRow,
  'id' | 'email' | 'emailVerifiedAt' | 'phoneNumber' | 'phoneVerifiedAt' | 'firstName' | 'lastName' | 'locale' | 'updatedAt'
>;

export function customerClaims(customer: ClaimSource): Record<string, unknown> {
  const name = [customer.firstName, customer.lastName].filter(Boolean).join(' ');
  return {
    sub: customer.id,
    email: customer.email ?? undefined,
    email_verified: Boolean(customer.emailVerifiedAt),
    phone_number: customer.phoneNumber ?? undefined,
    phone_number_verified: customer.phoneNumber ? Boolean(customer.phoneVerifiedAt) : undefined,
    name: name || undefined,
    given_name: customer.firstName ?? undefined,
    family_name: customer.lastName ?? undefined,
    locale: customer.locale ?? undefined,
    updated_at: Math.floor(customer.updatedAt.getTime() / 1000),
  };
}

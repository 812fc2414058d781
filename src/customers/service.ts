import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { hashPassword, passwordPolicy, verifyPassword } from '../crypto/passwords.js';
import { conflict } from '../http/errors.js';
import { CustomerEntity, type CustomerRow } from './entities.js';

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export const createCustomerInput = z
  .object({
    email: z.email().max(254),
    password: z.string().min(passwordPolicy.minLength).max(passwordPolicy.maxLength),
    firstName: z.string().trim().max(100).optional(),
    lastName: z.string().trim().max(100).optional(),
    emailVerified: z.boolean().default(false),
  })
  .strict();

export async function createCustomer(em: EntityManager, raw: z.input<typeof createCustomerInput>): Promise<CustomerRow> {
  const input = createCustomerInput.parse(raw);
  const now = new Date();
  const customer = em.create(CustomerEntity, {
    id: randomUUID(),
    email: input.email.trim(),
    emailNormalized: normalizeEmail(input.email),
    emailVerifiedAt: input.emailVerified ? now : null,
    passwordHash: await hashPassword(input.password),
    firstName: input.firstName ?? null,
    lastName: input.lastName ?? null,
    createdAt: now,
    updatedAt: now,
  });
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict('A customer with this e-mail already exists', 'email_taken');
    throw error;
  }
  return customer;
}

export async function findCustomerByEmail(em: EntityManager, email: string): Promise<CustomerRow | null> {
  return em.findOne(CustomerEntity, { emailNormalized: normalizeEmail(email), deactivatedAt: null });
}

export async function findCustomerById(em: EntityManager, id: string): Promise<CustomerRow | null> {
  if (!z.uuid().safeParse(id).success) return null;
  return em.findOne(CustomerEntity, { id, deactivatedAt: null });
}

/** Same work and the same answer whether the e-mail is unknown or the password wrong. */
export async function authenticateWithPassword(em: EntityManager, email: string, password: string): Promise<CustomerRow | null> {
  const customer = await findCustomerByEmail(em, email);
  const ok = await verifyPassword(customer?.passwordHash, password);
  return ok && customer ? customer : null;
}

/** OpenID Connect standard claims for a customer; oidc-provider filters them by granted scope. */
export function customerClaims(customer: CustomerRow): Record<string, unknown> {
  const name = [customer.firstName, customer.lastName].filter(Boolean).join(' ');
  return {
    sub: customer.id,
    email: customer.email ?? undefined,
    email_verified: Boolean(customer.emailVerifiedAt),
    name: name || undefined,
    given_name: customer.firstName ?? undefined,
    family_name: customer.lastName ?? undefined,
    locale: customer.locale ?? undefined,
    updated_at: Math.floor(customer.updatedAt.getTime() / 1000),
  };
}

import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { CustomerIdentityEntity, type CustomerRow } from '../../customers/entities.js';
import { findCustomerByEmail, findCustomerById, insertCustomer } from '../../customers/service.js';
import { DomainError } from '../../../platform/errors.js';
import { providerName, type VerifiedIdentity } from './identity.js';

export type AccountLinkFailure = 'email_missing' | 'email_not_verified' | 'account_disabled' | 'email_taken';

/** The identity is genuine but cannot be turned into a customer session. */
export class AccountLinkError extends Error {
  constructor(
    readonly code: AccountLinkFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AccountLinkError';
  }
}

export interface NewCustomerProfile {
  /** REMP `source`: the label customers registered through the same channel share. */
  source: string;
  locale?: string;
  /** Apple sends the name beside the ID token, only on the first authorization. */
  firstName?: string;
  lastName?: string;
}

export interface LinkedCustomer {
  customer: CustomerRow;
  created: boolean;
}

/**
 * The customer a verified identity signs in as (issue #3 §6):
 * 1. the customer already linked to (provider, subject), whatever e-mail the provider now reports;
 * 2. else the customer with the same e-mail, which the provider must have verified, now linked;
 * 3. else a new customer with that (verified) e-mail, linked.
 * Runs in one transaction; two first sign-ins racing for the same identity or e-mail are resolved
 * by retrying once, when the winner's rows are visible.
 */
export async function customerForIdentity(em: EntityManager, identity: VerifiedIdentity, profile: NewCustomerProfile): Promise<LinkedCustomer> {
  try {
    return await em.transactional((tx) => linkInTransaction(tx, identity, profile));
  } catch (error) {
    const lostRace = error instanceof UniqueConstraintViolationException || (error instanceof DomainError && error.code === 'email_taken');
    if (!lostRace) throw error;
    try {
      // A clean identity map: the first attempt's rows must not be flushed again.
      return await em.transactional((tx) => linkInTransaction(tx, identity, profile), { clear: true });
    } catch (retryError) {
      // Still taken after the retry: the address belongs to a deactivated or anonymised customer.
      if (retryError instanceof DomainError && retryError.code === 'email_taken') {
        throw new AccountLinkError('email_taken', 'The e-mail address belongs to an account that cannot sign in');
      }
      throw retryError;
    }
  }
}

async function linkInTransaction(tx: EntityManager, identity: VerifiedIdentity, profile: NewCustomerProfile): Promise<LinkedCustomer> {
  const now = new Date();
  const link = await tx.findOne(CustomerIdentityEntity, { provider: identity.provider, subject: identity.subject });
  if (link) {
    const customer = await findCustomerById(tx, link.customerId);
    if (!customer) throw new AccountLinkError('account_disabled', 'The account linked to this sign-in is deactivated');
    link.email = identity.email ?? link.email ?? null;
    link.lastUsedAt = now;
    await tx.flush();
    return { customer, created: false };
  }

  const name = providerName(identity.provider);
  if (!identity.email) throw new AccountLinkError('email_missing', `${name} did not share an e-mail address; allow access to it and try again`);
  // An unverified address proves nothing: matching on it would hand its holder someone else's account.
  if (!identity.emailVerified) throw new AccountLinkError('email_not_verified', `The e-mail address is not verified by ${name}`);

  let customer = await findCustomerByEmail(tx, identity.email);
  const created = !customer;
  if (customer) {
    if (!customer.emailVerifiedAt) {
      // Pre-account-hijacking defence: whoever registered this address without proving it must not
      // keep a password on an account the provider has just shown belongs to someone else. The owner
      // can set a new password through the e-mail they now control.
      customer.passwordHash = null;
      customer.emailVerifiedAt = now;
      customer.confirmedAt ??= now;
      customer.updatedAt = now;
    }
  } else {
    customer = await insertCustomer(tx, {
      email: identity.email,
      emailVerifiedAt: now,
      confirmedAt: now,
      firstName: profile.firstName ?? identity.firstName ?? null,
      lastName: profile.lastName ?? identity.lastName ?? null,
      locale: profile.locale ?? identity.locale ?? null,
      source: profile.source,
    });
  }
  tx.create(CustomerIdentityEntity, {
    provider: identity.provider,
    subject: identity.subject,
    customerId: customer.id,
    email: identity.email,
    createdAt: now,
    lastUsedAt: now,
  });
  await tx.flush();
  return { customer, created };
}

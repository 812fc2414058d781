import { randomUUID } from 'node:crypto';
import { SessionmProfileEntity } from '../customers/sessionm/entities.js';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AddressChangeRequestEntity, AddressEntity } from '../customers/addresses/entities.js';
import { AutologinTokenEntity } from '../credentials/autologin/entities.js';
import { hashPassword, verifyPassword } from '../../platform/crypto/passwords.js';
import { randomToken } from '../../platform/crypto/secrets.js';
import { CustomerEntity, CustomerIdentityEntity, CustomerPhoneEntity, type CustomerRow } from '../customers/entities.js';
import { insertCustomer, normalizeEmail, refConditions } from '../customers/service.js';
import { DeviceTokenEntity } from '../credentials/devices/entities.js';
import { UserGroupMemberEntity } from '../customers/groups/entities.js';
import { DomainError, Invalid, Locked, conflict } from '../../platform/errors.js';
import type { CredentialLimiter } from '../limits/credential-limiter.js';
import { LoginAttemptEntity } from '../login-attempts/entities.js';
import { OtpChallengeEntity } from '../credentials/otp/entities.js';
import { UserMetaEntity } from '../customers/meta/entities.js';
import { recordEvent } from '../events/outbox.js';
import { isDeliverableEmail, type UserRef } from '../customers/remp-fields.js';
import { LIST_PAGE_SIZE, type CreateUserInput, type UpdateUserInput } from '../customers/remp-schemas.js';
import { customerTaken } from '../customers/taken.js';

const undeliverable = () =>
  new Invalid('invalid_request', 'email: the address cannot receive mail', { fields: { email: ['the address cannot receive mail'] } });

/** REMP `users/email`: is the e-mail registered, and (rate-limited) does the password match it? */
export async function checkEmail(em: EntityManager, limiter: Pick<CredentialLimiter, 'reserve'>, input: { email: string; password?: string; ip: string }) {
  // Taken means "cannot be registered": deactivated users keep their e-mail.
  const customer = await em.findOne(CustomerEntity, { emailNormalized: normalizeEmail(input.email) });
  let password: boolean | null = null;
  if (customer && input.password !== undefined) {
    const attempt = await limiter.reserve(input.email, input.ip);
    if (!attempt.allowed) throw new Locked(attempt.retryAfterSeconds);
    const usable = !customer.deactivatedAt && !customer.anonymizedAt;
    password = (await verifyPassword(customer.passwordHash, input.password)) && usable;
    await (password ? attempt.succeed() : attempt.fail());
  }
  return { email: input.email, status: customer ? ('taken' as const) : ('available' as const), id: customer?.numericId ?? null, password };
}

/**
 * REMP `users/create`. Without a password one is generated; REMP e-mails it to the user, which
 * waits for the notify module (the password is not returned here). NewUserEvent is written for
 * every user, UserRegisteredEvent for claimed ones only (REMP "Events").
 */
export async function createRempUser(em: EntityManager, input: CreateUserInput): Promise<CustomerRow> {
  if (!input.disable_email_validation && !isDeliverableEmail(input.email)) throw undeliverable();
  const unclaimed = input.unclaimed ?? false;
  return em.transactional(async (tx) => {
    const customer = await insertCustomer(tx, {
      email: input.email,
      password: input.password ?? randomToken(18),
      firstName: input.first_name ?? null,
      lastName: input.last_name ?? null,
      externalId: input.ext_id ?? null,
      source: input.source ?? null,
      referer: input.referer ?? null,
      note: input.note ?? null,
      locale: input.locale ?? null,
      unclaimed,
      newslettersSubscribed: input.newsletters_subscribe ?? false,
    });
    const data = { user_id: customer.id, email: customer.email, source: customer.source ?? null, unclaimed };
    recordEvent(tx, { type: 'NewUserEvent', customerId: customer.id, data });
    if (!unclaimed) recordEvent(tx, { type: 'UserRegisteredEvent', customerId: customer.id, data });
    return customer;
  });
}

/** REMP `users/update`: e-mail, password, ext_id and locale, with one UserUpdatedEvent naming what changed. */
export async function updateRempUser(em: EntityManager, customer: CustomerRow, input: Omit<UpdateUserInput, 'user_id'>): Promise<CustomerRow> {
  const changed: string[] = [];
  if (input.email !== undefined && input.email !== customer.email) {
    if (!input.disable_email_validation && !isDeliverableEmail(input.email)) throw undeliverable();
    // A new address is not yet verified, nor known to bounce.
    if (normalizeEmail(input.email) !== customer.emailNormalized) Object.assign(customer, { emailVerifiedAt: null, emailInvalidatedAt: null });
    Object.assign(customer, { email: input.email, emailNormalized: normalizeEmail(input.email) });
    changed.push('email');
  }
  if (input.password !== undefined) {
    customer.passwordHash = await hashPassword(input.password);
    changed.push('password');
  }
  if (input.ext_id !== undefined && input.ext_id !== customer.externalId) {
    customer.externalId = input.ext_id;
    changed.push('ext_id');
  }
  if (input.locale !== undefined && input.locale !== customer.locale) {
    customer.locale = input.locale;
    changed.push('locale');
  }
  if (changed.length === 0) return customer;
  customer.updatedAt = new Date();
  recordEvent(em, { type: 'UserUpdatedEvent', customerId: customer.id, data: { user_id: customer.id, changed } });
  try {
    await em.flush();
  } catch (error) {
    throw customerTaken(error, 'user');
  }
  return customer;
}

/**
 * REMP `users/list`: users named by numeric id or UUID; anonymised users never, deactivated ones
 * on request; LIST_PAGE_SIZE a page, in numeric id order (REMP's order).
 */
export async function listUsers(em: EntityManager, input: { ids: ReadonlyArray<UserRef>; page: number; includeDeactivated: boolean }) {
  const where = { ...refConditions(input.ids), anonymizedAt: null, ...(input.includeDeactivated ? {} : { deactivatedAt: null }) };
  const [rows, totalCount] = await Promise.all([
    em.find(CustomerEntity, where, { orderBy: { numericId: 'asc' }, limit: LIST_PAGE_SIZE, offset: (input.page - 1) * LIST_PAGE_SIZE }),
    em.count(CustomerEntity, where),
  ]);
  return { rows, totalCount, totalPages: Math.ceil(totalCount / LIST_PAGE_SIZE) };
}

/** REMP `users/confirm`: confirming also marks the e-mail verified. Confirming twice changes nothing. */
export async function confirmUser(em: EntityManager, customer: CustomerRow): Promise<void> {
  if (customer.confirmedAt) return;
  const now = new Date();
  Object.assign(customer, { confirmedAt: now, emailVerifiedAt: customer.emailVerifiedAt ?? now, updatedAt: now });
  recordEvent(em, { type: 'UserConfirmedEvent', customerId: customer.id, data: { user_id: customer.id } });
  await em.flush();
}

/** REMP `set-email-validated` / `set-email-invalidated` (a bounce): one clears the other. */
export async function setEmailValidity(em: EntityManager, customer: CustomerRow, valid: boolean): Promise<void> {
  const now = new Date();
  if (valid) Object.assign(customer, { emailVerifiedAt: customer.emailVerifiedAt ?? now, emailInvalidatedAt: null });
  else Object.assign(customer, { emailVerifiedAt: null, emailInvalidatedAt: now });
  customer.updatedAt = now;
  recordEvent(em, {
    type: 'UserUpdatedEvent',
    customerId: customer.id,
    data: { user_id: customer.id, changed: [valid ? 'email_validated' : 'email_invalidated'] },
  });
  await em.flush();
}

export class DeleteProtectedError extends Error {}

/**
 * Ends every sign-in of a customer inside the caller's transaction: their sessions and grants are
 * deleted, and the grant ids returned so that the caller revokes, once the transaction has
 * committed, the tokens issued under each (anonymisation, deactivation).
 */
export async function endSignIns(tx: EntityManager, customerId: string): Promise<string[]> {
  const grants = await tx
    .getConnection()
    .execute<Array<{ id: string }>>(
      `select grant_id as id from oidc_model where model = 'Grant' and payload->>'accountId' = ?`,
      [customerId],
      'all',
      tx.getTransactionContext(),
    );
  await tx
    .getConnection()
    .execute(`delete from oidc_model where model in ('Session', 'Grant') and payload->>'accountId' = ?`, [customerId], 'run', tx.getTransactionContext());
  return grants.map((grant) => grant.id);
}

/**
 * REMP `user/delete`: the account stays (orders, audit) but nothing identifies the person any
 * more. Returns the customer's grant ids, which the caller revokes with the provider once this
 * transaction has committed; null when there is no such (not yet anonymised) customer.
 */
export async function anonymizeCustomer(em: EntityManager, customerId: string): Promise<{ grantIds: string[] } | null> {
  return em.transactional(async (tx) => {
    const customer = await tx.findOne(CustomerEntity, { id: customerId, anonymizedAt: null }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!customer) return null;
    if (customer.deleteProtected) throw new DeleteProtectedError();
    const now = new Date();
    const placeholder = `deleted-${randomUUID()}@anonymized.invalid`;
    Object.assign(customer, {
      email: placeholder,
      emailNormalized: placeholder,
      emailVerifiedAt: null,
      emailInvalidatedAt: null,
      passwordHash: null,
      firstName: null,
      lastName: null,
      externalId: null,
      externalIdType: null,
      crossReferenceCode: null,
      title: null,
      gender: null,
      dateOfBirth: null,
      phoneNumber: null,
      phoneVerifiedAt: null,
      addressLine1: null,
      addressLine2: null,
      addressCity: null,
      addressZip: null,
      addressCountryIso: null,
      referer: null,
      note: null,
      referrerCode: null,
      newslettersSubscribed: false,
      anonymizedAt: now,
      updatedAt: now,
    } satisfies Partial<CustomerRow>);
    await tx.nativeDelete(CustomerPhoneEntity, { customerId });
    await tx.nativeDelete(CustomerIdentityEntity, { customerId });
    await tx.nativeDelete(UserMetaEntity, { customerId });
    await tx.nativeDelete(AddressChangeRequestEntity, { customerId });
    await tx.nativeDelete(AddressEntity, { customerId });
    await tx.nativeDelete(UserGroupMemberEntity, { customerId });
    await tx.nativeDelete(AutologinTokenEntity, { customerId });
    await tx.nativeDelete(OtpChallengeEntity, { customerId });
    await tx.nativeDelete(SessionmProfileEntity, { customerId });
    await tx.nativeUpdate(DeviceTokenEntity, { customerId, revokedAt: null }, { revokedAt: now });
    // The sign-in log is kept for security, but no longer points at the person.
    await tx.nativeUpdate(LoginAttemptEntity, { customerId }, { customerId: null });
    const grantIds = await endSignIns(tx, customerId);
    recordEvent(tx, { type: 'UserDeletedEvent', customerId, data: { user_id: customerId } });
    return { grantIds };
  });
}

import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { hashPassword } from '../../platform/crypto/passwords.js';
import { constantTimeEqual } from '../../platform/crypto/secrets.js';
import type { Config } from '../../platform/config.js';
import { type Orm, detachedEntityManager } from '../../platform/db/orm.js';
import { CustomerEntity, CustomerIdentityEntity, type CustomerRow } from '../customers/entities.js';
import { findCustomerByEmail, findCustomerById, findCustomerByPhone, normalizeEmail } from '../customers/service.js';
import { channelUnavailable, type Notifier } from '../../platform/notify/notifier.js';
import type { OtpKeys } from '../credentials/otp/codes.js';
import { OtpChallengeEntity } from '../credentials/otp/entities.js';
import type { OtpIdentifier } from '../credentials/otp/identifier.js';
import { requestOtp } from '../credentials/otp/service.js';
import type { FacebookSignIn } from '../credentials/social/facebook.js';
import { recordEvent } from '../events/outbox.js';
import { ContactPendingIdentityEntity } from './entities.js';
import { contactIdOf, findPersonByContactId } from '../customers/contact-lookup.js';
import { normalizeContactPhone } from './phone.js';
import { resolveIdentity, type ResolvedIdentity } from './registration.js';
import type { AddIdentityInput, ContactKeyInput } from './schemas.js';

export interface AddIdentityDependencies {
  em: EntityManager;
  config: Config;
  notifier: Notifier;
  otpKeys: OtpKeys;
  facebook?: FacebookSignIn;
}

const sameText = (a: string | null | undefined, b: string) => constantTimeEqual((a ?? '').trim().toLowerCase(), b.trim().toLowerCase());

/**
 * The contact the key data names, or null. Id + cross-reference code is the strong key (the
 * business hands both to its customer); e-mail or phone + last name is the weak one, so with it
 * the new credential must use that same e-mail or phone (see `codeChannel`).
 */
async function matchContact(em: EntityManager, key: ContactKeyInput): Promise<{ customer: CustomerRow; strongKey: boolean } | null> {
  if (key.id && key.cross_reference_code) {
    const customer = await findPersonByContactId(em, key.id);
    return customer?.crossReferenceCode && constantTimeEqual(customer.crossReferenceCode, key.cross_reference_code) ? { customer, strongKey: true } : null;
  }
  let customer: CustomerRow | null = null;
  if (key.email) customer = await findCustomerByEmail(em, key.email);
  else if (key.phone_number) {
    let phone: string | undefined;
    try {
      phone = normalizeContactPhone(key.phone_number, key.country_code, 'contact.country_code');
    } catch {
      return null;
    }
    customer = await findCustomerByPhone(em, phone);
  }
  return customer && key.last_name && sameText(customer.lastName, key.last_name) ? { customer, strongKey: false } : null;
}

/** Where the code proving the request goes: the new e-mail or phone itself, or (Facebook) the contact's own. */
function codeChannel(identity: ResolvedIdentity, key: ContactKeyInput, customer: CustomerRow | undefined): OtpIdentifier | undefined {
  if (identity.provider === 'EMAIL') return { channel: 'email', value: normalizeEmail(identity.email!) };
  if (identity.provider === 'PHONE') return identity.otp;
  const email = customer?.emailNormalized ?? (key.email ? normalizeEmail(key.email) : undefined);
  if (email) return { channel: 'email', value: email };
  return customer?.phoneNumber ? { channel: 'sms', value: customer.phoneNumber } : undefined;
}

/** Is the credential acceptable for this contact? Failing this looks exactly like a mismatch. */
async function acceptable(em: EntityManager, identity: ResolvedIdentity, match: { customer: CustomerRow; strongKey: boolean }): Promise<boolean> {
  const { customer, strongKey } = match;
  if (identity.provider === 'EMAIL') {
    const email = normalizeEmail(identity.email!);
    if (customer.emailNormalized === email) return true;
    if (!strongKey) return false;
    return !(await em.findOne(CustomerEntity, { emailNormalized: email }, { fields: ['id'] }));
  }
  if (identity.provider === 'PHONE') {
    if (customer.phoneNumber === identity.phoneNumber) return true;
    if (!strongKey) return false;
    return !(await em.findOne(CustomerEntity, { phoneNumber: identity.phoneNumber! }, { fields: ['id'] }));
  }
  if (!customer.emailNormalized && !customer.phoneNumber) return false;
  return !(await em.findOne(CustomerIdentityEntity, { provider: 'facebook', subject: identity.facebook!.subject }));
}

/**
 * CRM.COM "add authentication credentials to an existing contact" (Back-Office Step 2): a contact
 * created by the back office gets a password, an OTP identity or a Facebook login. The answer is
 * the same whether or not the key data matched: a code is issued either way (limits included),
 * but only a match gets it delivered and a pending credential that the code activates at
 * validate-otp. The password is hashed before matching so both paths cost the same. `matched`
 * is for the caller's brute-force limiter only, never for the response.
 */
export async function requestIdentityAddition(deps: AddIdentityDependencies, input: AddIdentityInput, ip?: string): Promise<{ matched: boolean }> {
  const identity = await resolveIdentity(input.identity, deps.facebook);
  const passwordHash = identity.password ? await hashPassword(identity.password) : null;
  const match = await matchContact(deps.em, input.contact);
  const accepted = match && (await acceptable(deps.em, identity, match)) ? match.customer : undefined;
  const channel = codeChannel(identity, input.contact, accepted);
  if (!channel) return { matched: false };
  if (!deps.notifier.supports(channel.channel)) throw channelUnavailable(channel.channel);
  // A mismatch still issues (and throttles) a code, but it is never delivered.
  const notifier = accepted ? deps.notifier : { ...deps.notifier, dispatch: () => {} };
  await deps.em.transactional(async (tx) => {
    const { challengeId, expiresAt } = await requestOtp(
      { em: tx, keys: deps.otpKeys, settings: deps.config.otp, notifier },
      { identifier: channel, purpose: 'verify', ip, customerId: accepted?.id },
    );
    if (!accepted) return;
    tx.create(ContactPendingIdentityEntity, {
      id: randomUUID(),
      customerId: accepted.id,
      provider: identity.provider,
      challengeId,
      email: identity.provider === 'EMAIL' ? identity.email! : null,
      phoneNumber: identity.phoneNumber ?? null,
      passwordHash,
      facebookSubject: identity.facebook?.subject ?? null,
      expiresAt,
      createdAt: new Date(),
    });
    await tx.flush();
  });
  return { matched: Boolean(accepted) };
}

/**
 * After a successful validate-otp: the credentials whose own challenge was the one just consumed
 * take effect (a newer code retires the older challenge, so an ordinary sign-in never activates a
 * credential somebody else requested). Runs in the caller's transaction.
 */
export async function applyPendingIdentities(tx: EntityManager, customerId: string): Promise<void> {
  const now = new Date();
  await tx.nativeDelete(ContactPendingIdentityEntity, { customerId, expiresAt: { $lte: now } });
  const pending = await tx.find(ContactPendingIdentityEntity, { customerId });
  if (pending.length === 0) return;
  const consumed = await tx.find(
    OtpChallengeEntity,
    { id: { $in: pending.map((each) => each.challengeId) }, customerId, consumedAt: { $ne: null } },
    { fields: ['id'] },
  );
  const consumedIds = new Set(consumed.map((each) => each.id));
  const customer = await findCustomerById(tx, customerId);
  if (!customer) return;
  for (const each of pending.filter((row) => consumedIds.has(row.challengeId))) {
    if (each.provider === 'EMAIL' && each.email) {
      const email = normalizeEmail(each.email);
      if (customer.emailNormalized !== email && !(await tx.findOne(CustomerEntity, { emailNormalized: email }, { fields: ['id'] }))) {
        Object.assign(customer, { email: each.email, emailNormalized: email, emailInvalidatedAt: null });
      }
      if (customer.emailNormalized === email) customer.emailVerifiedAt ??= now;
      if (each.passwordHash && customer.emailNormalized === email) customer.passwordHash = each.passwordHash;
    } else if (each.provider === 'PHONE' && each.phoneNumber) {
      if (customer.phoneNumber !== each.phoneNumber && !(await tx.findOne(CustomerEntity, { phoneNumber: each.phoneNumber }, { fields: ['id'] }))) {
        customer.phoneNumber = each.phoneNumber;
      }
      if (customer.phoneNumber === each.phoneNumber) customer.phoneVerifiedAt ??= now;
    } else if (each.provider === 'FACEBOOK' && each.facebookSubject) {
      if (!(await tx.findOne(CustomerIdentityEntity, { provider: 'facebook', subject: each.facebookSubject }))) {
        tx.create(CustomerIdentityEntity, { provider: 'facebook', subject: each.facebookSubject, customerId, email: null, createdAt: now, lastUsedAt: null });
      }
    }
    customer.updatedAt = now;
    recordEvent(tx, {
      type: 'ContactChangedEvent',
      customerId,
      data: { contact_id: contactIdOf(customer), type: 'PERSON', action: 'identity_added', provider: each.provider },
    });
    tx.remove(each);
  }
  await tx.flush();
}

/** Requests whose code was never validated; run with the other purges. */
export async function purgeExpiredPendingIdentities(orm: Orm): Promise<number> {
  return detachedEntityManager(orm).nativeDelete(ContactPendingIdentityEntity, { expiresAt: { $lt: new Date() } });
}

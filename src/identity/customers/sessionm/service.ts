import { randomBytes, randomUUID } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { ReadMostlyOptions } from '../../../platform/db/read-replica.js';
import { CustomerEntity, CustomerPhoneEntity, type CustomerPhoneRow, type CustomerRow } from '../entities.js';
import { normalizePhoneNumber } from '../phone.js';
import { findCustomerByEmail, findCustomerById, insertCustomer, normalizeEmail } from '../service.js';
import { Invalid, conflict } from '../../../platform/errors.js';
import { recordEvent } from '../../events/outbox.js';
import { SessionmProfileEntity, type SessionmProfileRow } from './entities.js';
import { customerTaken } from '../taken.js';
import type { CreateProfileInput, PhoneNumberInput, SearchQuery, UpdateProfileInput } from './schemas.js';

/** A SessionM profile: the shared customer record, its phone numbers and the SessionM-only fields. */
export interface SessionmProfile {
  customer: CustomerRow;
  phones: CustomerPhoneRow[];
  extra: SessionmProfileRow | null;
}

interface NormalizedPhone {
  phoneNumber: string;
  phoneType: string;
  preferenceFlags: string[];
  /** In E.164: it may become the customer's phone (OTP by SMS needs one). Otherwise kept as given. */
  isE164: boolean;
}

/** What a SessionM profile may hold that does not parse: digits, perhaps a leading +, 4 to 20 of them. */
const AS_GIVEN = /^\+?[0-9]{4,19}$/;

const usable = { deactivatedAt: null, anonymizedAt: null } as const;
const SOURCE = 'sessionm';

/** Where a search's finds run: the read replica, when src/platform/db/read-replica.ts sends the search there. */
type ReadOptions = ReadMostlyOptions;

export async function findCustomerByExternalId(
  em: EntityManager,
  externalId: string,
  externalIdType?: string,
  options: ReadOptions = {},
): Promise<CustomerRow | null> {
  if (externalId.length > 36) return null;
  const customer = await em.findOne(CustomerEntity, { externalId, ...usable }, options);
  return customer && (externalIdType === undefined || customer.externalIdType === externalIdType) ? customer : null;
}

/** Spec: "external IDs are featured in the specification of endpoints, but internal IDs can also be used." */
export async function findProfileCustomer(em: EntityManager, id: string): Promise<CustomerRow | null> {
  return (await findCustomerById(em, id)) ?? (await findCustomerByExternalId(em, id));
}

/** Every usable profile matching the search, a page at a time, oldest first. */
export async function searchProfileCustomers(
  em: EntityManager,
  query: SearchQuery,
  options: ReadOptions = {},
): Promise<{ customers: CustomerRow[]; total: number }> {
  if (query.email !== undefined || query.external_id !== undefined) {
    const one =
      query.email !== undefined
        ? await findCustomerByEmail(em, query.email, options)
        : await findCustomerByExternalId(em, query.external_id!, query.external_id_type, options);
    return { customers: one && query.page === 1 ? [one] : [], total: one ? 1 : 0 };
  }
  const where =
    query.dob !== undefined
      ? { dateOfBirth: query.dob, ...usable }
      : { firstName: { $ilike: escapeLike(query.first_name!) }, lastName: { $ilike: escapeLike(query.last_name!) }, ...usable };
  const [customers, total] = await em.findAndCount(CustomerEntity, where, {
    orderBy: { createdAt: 'asc', id: 'asc' },
    limit: query.per_page,
    offset: (query.page - 1) * query.per_page,
    ...options,
  });
  return { customers, total };
}

/** A name matched case-insensitively and literally: `%` and `_` in it are no wildcards. */
const escapeLike = (value: string) => value.replace(/[\\%_]/g, (character) => `\\${character}`);

export async function loadProfile(em: EntityManager, customer: CustomerRow, options: ReadOptions = {}): Promise<SessionmProfile> {
  const [profile] = await loadProfiles(em, [customer], options);
  return profile!;
}

/** The profiles of several customers in two queries (a search page), in the customers' order. */
export async function loadProfiles(em: EntityManager, customers: readonly CustomerRow[], options: ReadOptions = {}): Promise<SessionmProfile[]> {
  if (customers.length === 0) return [];
  const customerIds = customers.map((customer) => customer.id);
  const [phones, extras] = await Promise.all([
    em.find(CustomerPhoneEntity, { customerId: { $in: customerIds } }, { orderBy: { createdAt: 'asc', phoneNumber: 'asc' }, ...options }),
    em.find(SessionmProfileEntity, { customerId: { $in: customerIds } }, options),
  ]);
  return customers.map((customer) => ({
    customer,
    phones: phones.filter((phone) => phone.customerId === customer.id),
    extra: extras.find((extra) => extra.customerId === customer.id) ?? null,
  }));
}

export interface ProfileSearchResult {
  /** The first match of the whole search (SessionM's `user`); null when nothing matches. */
  first: SessionmProfile | null;
  /** The requested page of matches. */
  page: SessionmProfile[];
  total: number;
}

/**
 * Step 1 with paging: SessionM answers one `user`, which stays the first match overall whatever
 * page is asked, and the page of matches comes beside it.
 */
export async function searchProfiles(em: EntityManager, query: SearchQuery, options: ReadOptions = {}): Promise<ProfileSearchResult> {
  const { customers, total } = await searchProfileCustomers(em, query, options);
  const firstCustomer =
    query.page === 1 ? customers[0] : total > 0 ? (await searchProfileCustomers(em, { ...query, page: 1, per_page: 1 }, options)).customers[0] : undefined;
  const page = await loadProfiles(em, customers, options);
  const first = firstCustomer ? (page.find((profile) => profile.customer.id === firstCustomer.id) ?? (await loadProfile(em, firstCustomer, options))) : null;
  return { first, page, total };
}

/**
 * Phone numbers in E.164, read in the profile's country when they carry no +prefix. Each number
 * once per profile; at most one "primary", which becomes the customer's primary phone.
 */
function normalizePhones(phones: PhoneNumberInput[], countryAlpha2: string | null | undefined): NormalizedPhone[] {
  const seen = new Set<string>();
  const normalized = phones.map((phone, index) => {
    let phoneNumber: string;
    let isE164 = true;
    try {
      phoneNumber = normalizePhoneNumber(phone.phone_number, countryAlpha2 ?? undefined);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      // SessionM stores what the app sends (its own example, "1234123123", is no valid number in
      // any country): keep such a number as given, without separators, never verified and never
      // the customer's SMS number (issue #13 §1).
      const asGiven = phone.phone_number.replace(/[\s().-]/g, '');
      if (!AS_GIVEN.test(asGiven)) {
        throw new Invalid('invalid_request', `user.phone_numbers.${index}.phone_number: not a phone number`);
      }
      phoneNumber = asGiven;
      isE164 = false;
    }
    if (seen.has(phoneNumber)) throw new Invalid('invalid_request', `user.phone_numbers.${index}.phone_number: the number is listed twice`);
    seen.add(phoneNumber);
    return { phoneNumber, phoneType: phone.phone_type, preferenceFlags: phone.preference_flags, isE164 };
  });
  if (normalized.filter((phone) => phone.preferenceFlags.includes('primary')).length > 1) {
    throw new Invalid('invalid_request', 'user.phone_numbers: only one number can have the "primary" preference flag');
  }
  return normalized;
}

const primaryOf = (phones: NormalizedPhone[]) => phones.find((phone) => phone.isE164 && phone.preferenceFlags.includes('primary'))?.phoneNumber ?? null;

function createPhoneRows(em: EntityManager, customerId: string, phones: NormalizedPhone[], verified: Map<string, Date | null | undefined>): CustomerPhoneRow[] {
  const now = Date.now();
  // A millisecond apart, so reading them back by created_at keeps the order the integrator sent.
  return phones.map((phone, index) =>
    em.create(CustomerPhoneEntity, {
      id: randomUUID(),
      customerId,
      ...phone,
      verifiedAt: verified.get(phone.phoneNumber) ?? null,
      createdAt: new Date(now + index),
    }),
  );
}

/** SessionM-style referrer code ("JOHNS-708C6E"): name letters and 24 random bits, re-drawn on the rare clash. */
async function newReferrerCode(em: EntityManager, firstName?: string | null, lastName?: string | null): Promise<string | null> {
  const letters = (value?: string | null) =>
    (value ?? '')
      .normalize('NFD')
      .replace(/[^A-Za-z]/g, '')
      .toUpperCase();
  const stem = `${letters(firstName).slice(0, 4)}${letters(lastName).slice(0, 1)}` || 'GH';
  for (let draw = 0; draw < 5; draw += 1) {
    const code = `${stem}-${randomBytes(3).toString('hex').toUpperCase()}`;
    if ((await em.count(CustomerEntity, { referrerCode: code })) === 0) return code;
  }
  return null;
}

/** Step 2: one customer, its phone numbers, SessionM's extra fields and NewUserEvent + UserRegisteredEvent, in one transaction. */
export async function createProfile(em: EntityManager, input: CreateProfileInput): Promise<SessionmProfile> {
  const phones = normalizePhones(input.phone_numbers ?? [], input.country);
  const externalId = input.identifiers?.[0]?.external_id ?? input.external_id;
  const externalIdType = input.identifiers?.[0]?.external_id_type ?? input.external_id_type;
  try {
    return await em.transactional(async (tx) => {
      const customer = await insertCustomer(tx, {
        email: input.email ?? null,
        password: input.password,
        firstName: input.first_name ?? null,
        lastName: input.last_name ?? null,
        gender: input.gender ?? null,
        dateOfBirth: input.dob ?? null,
        addressLine1: input.address ?? null,
        addressLine2: input.address2 ?? null,
        addressCity: input.city ?? null,
        addressZip: input.zip ?? null,
        addressCountryIso: input.country ?? null,
        locale: input.locale ?? null,
        externalId: externalId ?? null,
        externalIdType: externalIdType ?? null,
        emailOptOut: input.opted_in === undefined ? false : !input.opted_in,
        phoneNumber: primaryOf(phones),
        source: SOURCE,
        referrerCode: await newReferrerCode(tx, input.first_name, input.last_name),
      });
      const phoneRows = createPhoneRows(tx, customer.id, phones, new Map());
      const extra = input.state ? tx.create(SessionmProfileEntity, { customerId: customer.id, state: input.state, updatedAt: customer.createdAt }) : null;
      const data = {
        user_id: customer.id,
        email: customer.email ?? null,
        external_id: customer.externalId ?? null,
        external_id_type: customer.externalIdType ?? null,
        source: SOURCE,
      };
      // REMP: NewUserEvent for every new user, UserRegisteredEvent for regular (claimed) ones — both here.
      recordEvent(tx, { type: 'NewUserEvent', customerId: customer.id, data });
      recordEvent(tx, { type: 'UserRegisteredEvent', customerId: customer.id, data });
      await tx.flush();
      return { customer, phones: phoneRows, extra };
    });
  } catch (error) {
    throw customerTaken(error);
  }
}

const customerFieldOf = {
  first_name: 'firstName',
  last_name: 'lastName',
  gender: 'gender',
  dob: 'dateOfBirth',
  address: 'addressLine1',
  address2: 'addressLine2',
  city: 'addressCity',
  zip: 'addressZip',
  country: 'addressCountryIso',
  locale: 'locale',
  external_id: 'externalId',
  external_id_type: 'externalIdType',
} as const satisfies Partial<Record<keyof UpdateProfileInput, keyof CustomerRow>>;

const samePhones = (current: CustomerPhoneRow[], next: NormalizedPhone[]) =>
  JSON.stringify(current.map(({ phoneNumber, phoneType, preferenceFlags }) => ({ phoneNumber, phoneType, preferenceFlags }))) === JSON.stringify(next);

/**
 * Step 6: changes only the fields sent, under a row lock so concurrent updates do not lose each
 * other's changes. Emits UserUpdatedEvent naming the fields that actually changed (none: no event).
 */
export async function updateProfile(em: EntityManager, customerId: string, input: UpdateProfileInput): Promise<SessionmProfile> {
  try {
    return await em.transactional(async (tx) => {
      const customer = await tx.findOneOrFail(CustomerEntity, { id: customerId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      const current = await loadProfile(tx, customer);
      const changed: string[] = [];

      if (input.email !== undefined && normalizeEmail(input.email) !== customer.emailNormalized) {
        customer.email = input.email.trim();
        customer.emailNormalized = normalizeEmail(input.email);
        // A new address is unproven until it is verified again.
        customer.emailVerifiedAt = null;
        changed.push('email');
      }
      for (const [field, property] of Object.entries(customerFieldOf) as Array<
        [keyof typeof customerFieldOf, (typeof customerFieldOf)[keyof typeof customerFieldOf]]
      >) {
        const value = input[field];
        if (value === undefined || (customer[property] ?? null) === value) continue;
        customer[property] = value;
        changed.push(field);
      }
      if (input.opted_in !== undefined && customer.emailOptOut === input.opted_in) {
        customer.emailOptOut = !input.opted_in;
        changed.push('opted_in');
      }

      let phones = current.phones;
      if (input.phone_numbers !== undefined) {
        const next = normalizePhones(input.phone_numbers, customer.addressCountryIso);
        if (!samePhones(current.phones, next)) {
          // Ownership already proven for a number stays proven when the list is rewritten.
          const verified = new Map(current.phones.map((phone) => [phone.phoneNumber, phone.verifiedAt]));
          await tx.nativeDelete(CustomerPhoneEntity, { customerId });
          phones = createPhoneRows(tx, customerId, next, verified);
          const primary = primaryOf(next);
          if ((customer.phoneNumber ?? null) !== primary) {
            customer.phoneNumber = primary;
            customer.phoneVerifiedAt = primary ? (verified.get(primary) ?? null) : null;
          }
          changed.push('phone_numbers');
        }
      }

      let extra = current.extra;
      if (input.state !== undefined && (extra?.state ?? null) !== input.state) {
        extra ??= tx.create(SessionmProfileEntity, { customerId, state: null, updatedAt: new Date() });
        extra.state = input.state;
        extra.updatedAt = new Date();
        changed.push('state');
      }

      if (changed.length > 0) {
        customer.updatedAt = new Date();
        recordEvent(tx, { type: 'UserUpdatedEvent', customerId, data: { user_id: customerId, changed, source: SOURCE } });
      }
      await tx.flush();
      return { customer, phones, extra };
    });
  } catch (error) {
    throw customerTaken(error);
  }
}

import { EntitySchema } from '@mikro-orm/core';

/**
 * One customer record: a REMP user, a SessionM profile and a CRM.COM person contact are the
 * same row seen through different APIs (spec README, "One customer record").
 */
export interface CustomerRow {
  id: string;
  /**
   * The stable integer REMP paths show and accept as the user's `id` (REMP ids are integers);
   * numbered by the database, so absent on a row not yet inserted.
   */
  numericId?: number;
  email?: string | null;
  /** Lower-cased e-mail; unique, so e-mail matching is case-insensitive. */
  emailNormalized?: string | null;
  emailVerifiedAt?: Date | null;
  passwordHash?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  locale?: string | null;
  externalId?: string | null;
  externalIdType?: string | null;
  crossReferenceCode?: string | null;
  title?: string | null;
  gender?: string | null;
  dateOfBirth?: string | null;
  /** Primary phone, E.164. */
  phoneNumber?: string | null;
  phoneVerifiedAt?: Date | null;
  addressLine1?: string | null;
  addressLine2?: string | null;
  addressCity?: string | null;
  addressZip?: string | null;
  addressCountryIso?: string | null;
  emailOptOut: boolean;
  smsOptOut: boolean;
  newslettersSubscribed: boolean;
  serviceAcceptanceAt?: Date | null;
  source?: string | null;
  referer?: string | null;
  note?: string | null;
  unclaimed: boolean;
  roles: string[];
  confirmedAt?: Date | null;
  registeredAt?: Date | null;
  anonymizedAt?: Date | null;
  referrerCode?: string | null;
  deleteProtected: boolean;
  emailInvalidatedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
  deactivatedAt?: Date | null;
}

export interface CustomerPhoneRow {
  id: string;
  customerId: string;
  phoneNumber: string;
  phoneType: string;
  preferenceFlags: string[];
  verifiedAt?: Date | null;
  createdAt: Date;
}

export const CustomerPhoneEntity = new EntitySchema<CustomerPhoneRow>({
  name: 'CustomerPhone',
  tableName: 'customer_phone',
  properties: {
    id: { type: 'uuid', primary: true },
    customerId: { type: 'uuid' },
    phoneNumber: { type: 'string' },
    phoneType: { type: 'string' },
    preferenceFlags: { type: 'string[]' },
    verifiedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
  },
});

export type IdentityProvider = 'google' | 'apple' | 'facebook';

/** A federated credential: the provider's stable subject linked to a customer. */
export interface CustomerIdentityRow {
  provider: IdentityProvider;
  subject: string;
  customerId: string;
  email?: string | null;
  createdAt: Date;
  lastUsedAt?: Date | null;
}

export const CustomerIdentityEntity = new EntitySchema<CustomerIdentityRow>({
  name: 'CustomerIdentity',
  tableName: 'customer_identity',
  properties: {
    provider: { type: 'string', primary: true },
    subject: { type: 'string', primary: true },
    customerId: { type: 'uuid' },
    email: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    lastUsedAt: { type: 'Date', nullable: true },
  },
});

export const CustomerEntity = new EntitySchema<CustomerRow>({
  name: 'Customer',
  tableName: 'customer',
  properties: {
    id: { type: 'uuid', primary: true },
    numericId: { type: 'integer', generated: 'by default as identity', unique: true },
    email: { type: 'string', nullable: true },
    emailNormalized: { type: 'string', nullable: true, unique: true },
    emailVerifiedAt: { type: 'Date', nullable: true },
    passwordHash: { type: 'string', nullable: true, hidden: true },
    firstName: { type: 'string', nullable: true },
    lastName: { type: 'string', nullable: true },
    locale: { type: 'string', nullable: true },
    externalId: { type: 'string', nullable: true },
    externalIdType: { type: 'string', nullable: true },
    crossReferenceCode: { type: 'string', nullable: true },
    title: { type: 'string', nullable: true },
    gender: { type: 'string', nullable: true },
    dateOfBirth: { type: 'string', columnType: 'date', nullable: true },
    phoneNumber: { type: 'string', nullable: true },
    phoneVerifiedAt: { type: 'Date', nullable: true },
    addressLine1: { type: 'string', nullable: true },
    addressLine2: { type: 'string', nullable: true },
    addressCity: { type: 'string', nullable: true },
    addressZip: { type: 'string', nullable: true },
    addressCountryIso: { type: 'string', nullable: true },
    emailOptOut: { type: 'boolean', default: false },
    smsOptOut: { type: 'boolean', default: false },
    newslettersSubscribed: { type: 'boolean', default: false },
    serviceAcceptanceAt: { type: 'Date', nullable: true },
    source: { type: 'string', nullable: true },
    referer: { type: 'string', nullable: true },
    note: { type: 'text', nullable: true },
    unclaimed: { type: 'boolean', default: false },
    roles: { type: 'string[]', default: [] },
    confirmedAt: { type: 'Date', nullable: true },
    registeredAt: { type: 'Date', nullable: true },
    anonymizedAt: { type: 'Date', nullable: true },
    referrerCode: { type: 'string', nullable: true },
    deleteProtected: { type: 'boolean', default: false },
    emailInvalidatedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    deactivatedAt: { type: 'Date', nullable: true },
  },
});

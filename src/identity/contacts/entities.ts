import { EntitySchema } from '@mikro-orm/core';

/**
 * A B2B contact (CRM.COM "organisation", `org_type` e.g. BUSINESS). Persons are customer rows
 * (spec README, "One customer record"); organisations have no credentials and never sign in.
 */
export interface OrganisationRow {
  id: string;
  /** The caller-supplied contact id (≤ 36, typically a GUID); null when Gatehouse generated `id`. */
  externalId?: string | null;
  name: string;
  orgType: string;
  crossReferenceCode?: string | null;
  email?: string | null;
  /** E.164. */
  phoneNumber?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const OrganisationEntity = new EntitySchema<OrganisationRow>({
  name: 'Organisation',
  tableName: 'organisation',
  properties: {
    id: { type: 'uuid', primary: true },
    externalId: { type: 'string', nullable: true },
    name: { type: 'string' },
    orgType: { type: 'string' },
    crossReferenceCode: { type: 'string', nullable: true },
    email: { type: 'string', nullable: true },
    phoneNumber: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

/** JOINED: the person belongs to the organisation; SHARED: the person's record is shared with it. */
export type OrganisationRelation = 'JOINED' | 'SHARED';

export interface ContactOrganisationRow {
  customerId: string;
  organisationId: string;
  relation: OrganisationRelation;
  createdAt: Date;
}

export const ContactOrganisationEntity = new EntitySchema<ContactOrganisationRow>({
  name: 'ContactOrganisation',
  tableName: 'contact_organisation',
  properties: {
    customerId: { type: 'uuid', primary: true },
    organisationId: { type: 'uuid', primary: true },
    relation: { type: 'string' },
    createdAt: { type: 'Date' },
  },
});

export type PendingIdentityProvider = 'EMAIL' | 'PHONE' | 'FACEBOOK';

/**
 * A credential asked for an existing contact by its key data (CRM.COM "add authentication
 * credentials"), waiting for the one-time code sent with `challengeId`. It takes effect only when
 * that very challenge is consumed, so a later ordinary sign-in by the owner cannot activate a
 * credential somebody else requested.
 */
export interface ContactPendingIdentityRow {
  id: string;
  customerId: string;
  provider: PendingIdentityProvider;
  challengeId: string;
  /** The e-mail address (normalised) or E.164 number the identity adds, when it adds one. */
  email?: string | null;
  phoneNumber?: string | null;
  passwordHash?: string | null;
  facebookSubject?: string | null;
  expiresAt: Date;
  createdAt: Date;
}

export const ContactPendingIdentityEntity = new EntitySchema<ContactPendingIdentityRow>({
  name: 'ContactPendingIdentity',
  tableName: 'contact_pending_identity',
  properties: {
    id: { type: 'uuid', primary: true },
    customerId: { type: 'uuid' },
    provider: { type: 'string' },
    challengeId: { type: 'uuid' },
    email: { type: 'string', nullable: true },
    phoneNumber: { type: 'string', nullable: true },
    passwordHash: { type: 'string', nullable: true, hidden: true },
    facebookSubject: { type: 'string', nullable: true },
    expiresAt: { type: 'Date' },
    createdAt: { type: 'Date' },
  },
});

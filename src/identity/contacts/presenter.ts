import type { CustomerRow } from '../customers/entities.js';
import { contactIdOf } from '../customers/contact-lookup.js';
import type { ContactRecord, OrganisationMembership } from './service.js';

/** The contact block of validate-otp / authenticate / refresh (spec Step 3). Gatehouse has no avatars. */
export function contactSummaryOf(customer: CustomerRow) {
  return {
    title: customer.title ?? null,
    avatar: null,
    first_name: customer.firstName ?? null,
    last_name: customer.lastName ?? null,
    is_verified: Boolean(customer.emailVerifiedAt || customer.phoneVerifiedAt),
  };
}

/** Back-office view. Credentials (password, identities, access tokens) are never part of it. */
export function contactViewOf(record: ContactRecord, organisations: OrganisationMembership[] = []) {
  if (record.type === 'PERSON') {
    const { customer } = record;
    return {
      id: contactIdOf(customer),
      type: 'PERSON' as const,
      title: customer.title ?? null,
      first_name: customer.firstName ?? null,
      last_name: customer.lastName ?? null,
      name: null,
      org_type: null,
      email: customer.email ?? null,
      phone_number: customer.phoneNumber ?? null,
      cross_reference_code: customer.crossReferenceCode ?? null,
      email_opt_out: customer.emailOptOut,
      sms_opt_out: customer.smsOptOut,
      locale: customer.locale ?? null,
      is_verified: Boolean(customer.emailVerifiedAt || customer.phoneVerifiedAt),
      organisations,
      created_at: customer.createdAt.toISOString(),
      updated_at: customer.updatedAt.toISOString(),
    };
  }
  const { organisation } = record;
  return {
    id: contactIdOf(organisation),
    type: 'ORGANISATION' as const,
    title: null,
    first_name: null,
    last_name: null,
    name: organisation.name,
    org_type: organisation.orgType,
    email: organisation.email ?? null,
    phone_number: organisation.phoneNumber ?? null,
    cross_reference_code: organisation.crossReferenceCode ?? null,
    email_opt_out: null,
    sms_opt_out: null,
    locale: null,
    is_verified: null,
    organisations: [],
    created_at: organisation.createdAt.toISOString(),
    updated_at: organisation.updatedAt.toISOString(),
  };
}

import { toAlpha3 } from '../../identity/customers/sessionm/countries.js';
import type { SessionmProfile } from '../../identity/customers/sessionm/service.js';

/** SessionM writes times as "2018-10-25 00:57:11" (UTC). */
const sessionmTime = (date: Date | null | undefined) => (date ? date.toISOString().slice(0, 19).replace('T', ' ') : null);

/**
 * The `user` object of SessionM responses. Fields SessionM computes from its own programme data
 * have fixed values here: Gatehouse has no loyalty tiers, proxies, photos, test accounts or DMA
 * codes; `suspended` reflects deactivation and `activated` a confirmed e-mail.
 */
export function sessionmUser(profile: SessionmProfile) {
  const { customer, phones, extra } = profile;
  return {
    id: customer.id,
    external_id: customer.externalId ?? null,
    opted_in: !customer.emailOptOut,
    activated: Boolean(customer.confirmedAt ?? customer.emailVerifiedAt),
    proxy_ids: [],
    identifiers: customer.externalId ? [{ external_id: customer.externalId, external_id_type: customer.externalIdType ?? null }] : [],
    email: customer.email ?? null,
    gender: customer.gender ?? null,
    dob: customer.dateOfBirth ?? null,
    created_at: sessionmTime(customer.createdAt)!,
    updated_at: sessionmTime(customer.updatedAt)!,
    address: customer.addressLine1 ?? null,
    address2: customer.addressLine2 ?? null,
    city: customer.addressCity ?? null,
    zip: customer.addressZip ?? null,
    dma: null,
    state: extra?.state ?? null,
    country: toAlpha3(customer.addressCountryIso),
    suspended: Boolean(customer.deactivatedAt),
    last_name: customer.lastName ?? null,
    first_name: customer.firstName ?? null,
    registered_at: sessionmTime(customer.registeredAt ?? customer.createdAt),
    profile_photo_url: null,
    test_account: false,
    account_status: 'good',
    tier_levels: [],
    referrer_code: customer.referrerCode ?? null,
    locale: customer.locale ?? null,
    phone_numbers: phones.map((phone) => ({
      phone_number: phone.phoneNumber,
      phone_type: phone.phoneType,
      preference_flags: phone.preferenceFlags,
      verified_ownership: Boolean(phone.verifiedAt),
    })),
  };
}

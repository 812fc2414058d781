import { z } from 'zod';
import { passwordPolicy } from '../../../platform/crypto/passwords.js';
import { toAlpha2 } from './countries.js';

/** Endpoint ids an API key must be whitelisted for (`api-keys:create --endpoint sessionm.users.read`). */
export const SESSIONM_ENDPOINTS = {
  search: 'sessionm.users.search',
  create: 'sessionm.users.create',
  read: 'sessionm.users.read',
  update: 'sessionm.users.update',
} as const;

/** SessionM's `opted_in` arrives as a boolean or, in the spec's own example, the string "true". */
const booleanish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((value) => value === true || value === 'true' || value === '1');

const text = (max: number) => z.string().trim().max(max);

const country = z
  .string()
  .trim()
  .refine((value) => toAlpha2(value) !== undefined, 'must be an ISO 3166-1 alpha-3 (or alpha-2) country code')
  .transform((value) => toAlpha2(value)!);

const flag = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z][a-z0-9_-]{0,29}$/, 'must be a word of letters, digits, _ or -');

export const phoneNumberInput = z.strictObject({
  phone_number: z.string().trim().min(3).max(32),
  phone_type: flag.max(20).default('mobile'),
  preference_flags: z
    .array(flag)
    .max(10)
    .default([])
    .transform((flags) => [...new Set(flags)]),
});
export type PhoneNumberInput = z.output<typeof phoneNumberInput>;

const identifier = z.strictObject({ external_id: text(36).min(1), external_id_type: text(50).min(1).optional() });

/** Profile fields shared by create and update (spec Step 2 and Step 6). */
const profileFields = {
  email: z.email().max(254),
  first_name: text(100),
  last_name: text(100),
  gender: text(20).toLowerCase(),
  dob: z.iso.date(),
  address: text(200),
  address2: text(200),
  city: text(100),
  state: text(100),
  zip: text(20),
  country,
  locale: z
    .string()
    .trim()
    .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/, 'must be a language tag such as en-US')
    .max(35),
  opted_in: booleanish,
  external_id: text(36).min(1),
  external_id_type: text(50).min(1),
  phone_numbers: z.array(phoneNumberInput).max(10),
};

// The spec's create example sends "Gender" (capitalised) where every response says "gender".
const acceptCapitalisedGender = (value: unknown) => {
  if (!value || typeof value !== 'object' || Array.isArray(value) || !('Gender' in value) || 'gender' in value) return value;
  const { Gender, ...rest } = value as Record<string, unknown>;
  return { ...rest, gender: Gender };
};

export const createProfileInput = z
  .strictObject(profileFields)
  .partial()
  .extend({
    password: z.string().min(passwordPolicy.minLength).max(passwordPolicy.maxLength).optional(),
    // SessionM's create response lists identifiers; one is accepted here as an alternative to external_id(_type).
    identifiers: z.array(identifier).max(1, 'a profile has one external id').optional(),
  })
  .refine((user) => user.email !== undefined || user.external_id !== undefined || user.identifiers?.length, {
    message: 'email or external_id is required',
    path: ['email'],
  })
  .refine((user) => !(user.identifiers?.length && (user.external_id !== undefined || user.external_id_type !== undefined)), {
    message: 'give external_id and external_id_type, or identifiers, not both',
    path: ['identifiers'],
  });
export type CreateProfileInput = z.output<typeof createProfileInput>;

/** Step 6: only the fields sent change; null clears an optional field. E-mail and external id can change but not be removed. */
export const updateProfileInput = z.strictObject({
  email: profileFields.email.optional(),
  first_name: profileFields.first_name.nullable().optional(),
  last_name: profileFields.last_name.nullable().optional(),
  gender: profileFields.gender.nullable().optional(),
  dob: profileFields.dob.nullable().optional(),
  address: profileFields.address.nullable().optional(),
  address2: profileFields.address2.nullable().optional(),
  city: profileFields.city.nullable().optional(),
  state: profileFields.state.nullable().optional(),
  zip: profileFields.zip.nullable().optional(),
  country: profileFields.country.nullable().optional(),
  locale: profileFields.locale.nullable().optional(),
  opted_in: profileFields.opted_in.optional(),
  external_id: profileFields.external_id.optional(),
  external_id_type: profileFields.external_id_type.nullable().optional(),
  phone_numbers: profileFields.phone_numbers.optional(),
});
export type UpdateProfileInput = z.output<typeof updateProfileInput>;

export const createProfileBody = z.strictObject({ user: z.preprocess(acceptCapitalisedGender, createProfileInput) });
export const updateProfileBody = z.strictObject({ user: z.preprocess(acceptCapitalisedGender, updateProfileInput) });

export const apiKeyParams = z.object({ api_key: z.string().min(1).max(200) });
export const profileParams = apiKeyParams.extend({ id: z.string().min(1).max(100) });

/**
 * Spec Step 1: search "by one of the typical attributes of a customer profile, such as date of
 * birth, first name/last name combination, or an email address" (or the external id). The e-mail
 * and the external id name one profile; the others may match several, paged.
 */
export const searchQuery = z
  .object({
    email: z.email().max(254).optional(),
    external_id: text(36).min(1).optional(),
    external_id_type: text(50).min(1).optional(),
    dob: z.iso.date().optional(),
    first_name: text(100).min(1).optional(),
    last_name: text(100).min(1).optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    per_page: z.coerce.number().int().min(1).max(100).default(20),
  })
  .refine((query) => [query.email, query.external_id, query.dob, query.first_name ?? query.last_name].filter((each) => each !== undefined).length === 1, {
    message: 'search by one of: email, external_id, dob, or first_name and last_name',
    path: ['email'],
  })
  .refine((query) => (query.first_name === undefined) === (query.last_name === undefined), {
    message: 'first_name and last_name go together',
    path: ['first_name'],
  });
export type SearchQuery = z.output<typeof searchQuery>;

const phoneNumberView = z.object({
  phone_number: z.string(),
  phone_type: z.string(),
  preference_flags: z.array(z.string()),
  verified_ownership: z.boolean(),
});

const nullableText = z.string().nullable();

/** The `user` object of every SessionM response (spec Steps 1, 2, 5, 6); parsed before it is sent, so nothing else leaks. */
export const sessionmUserView = z.object({
  id: z.uuid(),
  external_id: nullableText,
  opted_in: z.boolean(),
  activated: z.boolean(),
  proxy_ids: z.array(z.string()),
  identifiers: z.array(z.object({ external_id: z.string(), external_id_type: nullableText })),
  email: nullableText,
  gender: nullableText,
  dob: nullableText,
  created_at: z.string(),
  updated_at: z.string(),
  address: nullableText,
  address2: nullableText,
  city: nullableText,
  zip: nullableText,
  dma: nullableText,
  state: nullableText,
  country: nullableText,
  suspended: z.boolean(),
  last_name: nullableText,
  first_name: nullableText,
  registered_at: nullableText,
  profile_photo_url: nullableText,
  test_account: z.boolean(),
  account_status: z.string(),
  tier_levels: z.array(z.unknown()),
  referrer_code: nullableText,
  locale: nullableText,
  phone_numbers: z.array(phoneNumberView),
});

export const sessionmUserResponse = z.object({ status: z.literal('ok'), user: sessionmUserView });

/** Step 1's answer: SessionM's `user` (the first match), and beside it the page of matches (an extension). */
export const sessionmSearchResponse = sessionmUserResponse.extend({
  users: z.array(sessionmUserView),
  page: z.number().int(),
  per_page: z.number().int(),
  total: z.number().int(),
});

/** Gatehouse's SessionM error body; the spec shows none, so it mirrors the `status` envelope of its successes. */
export const sessionmError = z.object({
  status: z.literal('error'),
  errors: z.object({ code: z.string(), message: z.string() }).loose(),
});

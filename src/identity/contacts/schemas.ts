import { z } from 'zod';
import { passwordPolicy } from '../../platform/crypto/passwords.js';

/**
 * Shapes of the CRM.COM contacts API (crm-com-contacts-self-service). Booleans may come as the
 * strings "true"/"false" ("service_acceptance": "true" in the spec's example).
 */
export const stringBoolean = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((value) => value === true || value === 'true' || value === '1');

const name = z.string().trim().min(1).max(100);
const email = z.email().max(254);
const phoneNumber = z.string().trim().min(3).max(32);
const countryCode = z.string().trim().min(1).max(8);
/** "max 36 typically a guid" (Back-Office Step 1). */
export const contactId = z
  .string()
  .trim()
  .min(1)
  .max(36)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'letters, digits and . _ : - only');
const crossReferenceCode = z.string().trim().min(1).max(100);
const orgType = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z][A-Z_]{1,29}$/, 'an upper-case type such as BUSINESS');

// ── Self-service ────────────────────────────────────────────────────────────

/** `identity` of a registration: EMAIL with or without password (OTP), PHONE (OTP), FACEBOOK. */
export const identityInput = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('EMAIL'), email, password: z.string().min(passwordPolicy.minLength).max(passwordPolicy.maxLength).optional() }).strict(),
  z.object({ provider: z.literal('PHONE'), phone_number: phoneNumber, country_code: countryCode.optional() }).strict(),
  z.object({ provider: z.literal('FACEBOOK'), access_token: z.string().trim().min(1).max(4096) }).strict(),
]);
export type IdentityInput = z.output<typeof identityInput>;

export const registerInput = z
  .object({
    first_name: name,
    last_name: name,
    title: z.string().trim().min(1).max(50).optional(),
    identity: identityInput,
    service_acceptance: stringBoolean.optional(),
    email_opt_out: stringBoolean.optional(),
    sms_opt_out: stringBoolean.optional(),
  })
  .strict();
export type RegisterInput = z.output<typeof registerInput>;

/** CRM.COM `credentials: [{name, value}]`: EMAIL, PHONE (+ COUNTRY_CODE), PASSWORD, IDENTIFIER, PASS_CODE. */
export const credentialsInput = z
  .array(
    z
      .object({
        name: z
          .string()
          .trim()
          .toUpperCase()
          .pipe(z.enum(['EMAIL', 'PHONE', 'PHONE_NUMBER', 'COUNTRY_CODE', 'PASSWORD', 'IDENTIFIER', 'PASS_CODE'])),
        value: z.string().max(1024),
      })
      .strict(),
  )
  .min(1)
  .max(4);
export type CredentialsInput = z.output<typeof credentialsInput>;

export const validateOtpInput = z.object({ credentials: credentialsInput, code: z.string().trim().min(1).max(32) }).strict();
export const requestOtpInput = z.object({ credentials: credentialsInput }).strict();
export const authenticateInput = z.object({ credentials: credentialsInput }).strict();
export const refreshInput = z.object({ refresh_token: z.string().trim().min(1).max(512) }).strict();

/** Key data of an existing contact: its id + cross-reference code, or e-mail / phone + last name. */
export const contactKeyInput = z
  .object({
    id: contactId.optional(),
    cross_reference_code: crossReferenceCode.optional(),
    email: email.optional(),
    phone_number: phoneNumber.optional(),
    country_code: countryCode.optional(),
    last_name: name.optional(),
  })
  .strict()
  .refine((key) => (key.id && key.cross_reference_code) || ((key.email || key.phone_number) && key.last_name), {
    message: 'give id and cross_reference_code, or email or phone_number with last_name',
  });
export type ContactKeyInput = z.output<typeof contactKeyInput>;

export const addIdentityInput = z.object({ contact: contactKeyInput, identity: identityInput }).strict();
export type AddIdentityInput = z.output<typeof addIdentityInput>;

export const contactSummary = z
  .object({
    title: z.string().nullable(),
    avatar: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    is_verified: z.boolean().nullable(),
  })
  .meta({ id: 'ContactSummary' });

export const organisationSummary = z.object({ name: z.string(), id: z.string(), org_type: z.string() }).meta({ id: 'OrganisationSummary' });

/** validate-otp, authenticate and refresh (spec Step 3); `exp` is the access token's expiry in milliseconds. */
export const authenticationResponse = z
  .object({
    contact: contactSummary,
    organisations: z.array(organisationSummary),
    access_token: z.string(),
    refresh_token: z.string(),
    exp: z.number().int(),
  })
  .meta({ id: 'ContactAuthentication' });

export const registrationResponse = z
  .union([
    authenticationResponse.extend({ id: z.string() }),
    z.object({
      id: z.string(),
      /** VALIDATE_OTP: a code went out by SMS or e-mail; VERIFY_ACCESS_TOKEN: the access token's verification code did. */
      next_step: z.enum(['VALIDATE_OTP', 'VERIFY_ACCESS_TOKEN']),
    }),
  ])
  .meta({ id: 'ContactRegistration' });

export const acceptedResponse = z.object({ status: z.literal('ok'), message: z.string() }).meta({ id: 'Accepted' });

// ── Back office ─────────────────────────────────────────────────────────────

const contactFields = {
  title: z.string().trim().min(1).max(50).nullable(),
  first_name: name.nullable(),
  last_name: name.nullable(),
  name: z.string().trim().min(1).max(200),
  org_type: orgType,
  email: email.nullable(),
  phone_number: phoneNumber.nullable(),
  country_code: countryCode,
  cross_reference_code: crossReferenceCode.nullable(),
  email_opt_out: stringBoolean,
  sms_opt_out: stringBoolean,
  locale: z.string().trim().min(2).max(20).nullable(),
};

const PERSON_ONLY = ['title', 'first_name', 'last_name', 'sms_opt_out', 'email_opt_out', 'locale'] as const;
const ORGANISATION_ONLY = ['name', 'org_type'] as const;

/**
 * No credential fields: "Creating a contact … cannot be used to store / change authentication
 * credentials" (Back-Office API). `.strict()` makes `password` or `identity` a 400 naming the field.
 */
export const createContactInput = z
  .object(contactFields)
  .partial()
  .extend({ id: contactId.optional(), type: z.enum(['PERSON', 'ORGANISATION']).default('PERSON') })
  .strict()
  .superRefine((input, context) => {
    const misplaced = (input.type === 'PERSON' ? ORGANISATION_ONLY : PERSON_ONLY).filter((key) => input[key] !== undefined);
    for (const key of misplaced) context.addIssue({ code: 'custom', path: [key], message: `not a field of a ${input.type} contact` });
    if (input.type === 'PERSON' && !input.first_name && !input.last_name)
      context.addIssue({ code: 'custom', path: ['last_name'], message: 'a person needs first_name or last_name' });
    if (input.type === 'ORGANISATION' && !input.name) context.addIssue({ code: 'custom', path: ['name'], message: 'an organisation needs a name' });
  });
export type CreateContactInput = z.output<typeof createContactInput>;

export const updateContactInput = z.object(contactFields).partial().strict();
export type UpdateContactInput = z.output<typeof updateContactInput>;

export const contactIdParams = z.object({ id: contactId });
export const membershipParams = z.object({ id: contactId, organisation_id: contactId });
export const membershipInput = z.object({ organisation_id: contactId, relation: z.enum(['JOINED', 'SHARED']).default('JOINED') }).strict();

export const listContactsQuery = z
  .object({
    type: z.enum(['PERSON', 'ORGANISATION']).default('PERSON'),
    /** Any of e-mail, phone number, cross-reference code, contact id or name. */
    search: z.string().trim().min(1).max(200).optional(),
    email: z.string().trim().min(1).max(254).optional(),
    phone_number: phoneNumber.optional(),
    country_code: countryCode.optional(),
    cross_reference_code: crossReferenceCode.optional(),
    name: z.string().trim().min(1).max(200).optional(),
    /** Persons identified by this access-token identifier (not while the token is pending verification). */
    access_token: z.string().trim().min(1).max(254).optional(),
    page: z.coerce.number().int().min(1).max(10_000).default(1),
    size: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();
export type ListContactsQuery = z.output<typeof listContactsQuery>;

const timestamp = z.iso.datetime();

export const contactView = z
  .object({
    id: z.string(),
    type: z.enum(['PERSON', 'ORGANISATION']),
    title: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    name: z.string().nullable(),
    org_type: z.string().nullable(),
    email: z.string().nullable(),
    phone_number: z.string().nullable(),
    cross_reference_code: z.string().nullable(),
    email_opt_out: z.boolean().nullable(),
    sms_opt_out: z.boolean().nullable(),
    locale: z.string().nullable(),
    is_verified: z.boolean().nullable(),
    organisations: z.array(organisationSummary.extend({ relation: z.enum(['JOINED', 'SHARED']) })),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Contact' });

export const contactListView = z
  .object({
    content: z.array(contactView),
    paging: z.object({ page: z.number(), size: z.number(), total: z.number() }),
  })
  .meta({ id: 'ContactList' });

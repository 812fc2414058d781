import { z } from 'zod';
import { MAX_INT, email, integer, text } from '../remp-fields.js';
import { isCountryIso } from '../../../platform/countries.js';
import { countryOfRempCountryId } from './country-ids.js';

const addressType = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[A-Za-z0-9_.-]+$/, 'must be an address type such as print or invoice');
const countryIso = z.string().trim().toUpperCase().refine(isCountryIso, 'must be an ISO 3166-1 alpha-2 country code');

/** Fields both `users/address` and `users/change-address-request` take, under the same names. */
const commonFields = {
  email,
  type: addressType,
  first_name: text(100),
  last_name: text(100),
  company_name: text(200),
  address: text(200),
  number: text(50),
  zip: text(20),
  city: text(100),
  country_iso: countryIso.optional(),
  // REMP: "phone number (not validated)".
  phone_number: text(30),
  company_id: text(50),
};

/** `GET /api/v1/users/addresses`. */
export const listAddressesQuery = z.object({ email, type: addressType.optional() }).strict();

/** `POST /api/v1/users/address`. */
export const createAddressInput = z.object({ ...commonFields, tax_id: text(50), vat_id: text(50) }).strict();

/**
 * REMP: "Deprecated and will be removed. Replaced with country_iso." Still accepted, as REMP does:
 * an ISO 3166-1 numeric code (or an alpha-2/alpha-3 code), see country-ids.ts.
 */
const countryId = z.union([z.string().trim().min(1).max(3), z.number().int().min(0).max(999)]).transform((value, context) => {
  const country = countryOfRempCountryId(value);
  if (!country) context.addIssue({ code: 'custom', message: 'must be an ISO 3166-1 numeric country code (or send country_iso)' });
  return country ?? z.NEVER;
});

/** `POST /api/v1/users/change-address-request` (REMP names the tax ids company_tax_id / company_vat_id here). */
export const changeAddressRequestInput = z
  .object({
    ...commonFields,
    country_id: countryId.optional(),
    company_tax_id: text(50),
    company_vat_id: text(50),
  })
  .strict()
  .refine((input) => !input.country_id || !input.country_iso || input.country_id === input.country_iso, {
    message: 'names another country than country_iso',
    path: ['country_id'],
  })
  // From here on only country_iso says the country.
  .transform(({ country_id, ...input }) => ({ ...input, country_iso: input.country_iso ?? country_id }));

export const changeRequestPath = z.object({ id: integer(1, MAX_INT) });

const nullableText = z.string().nullable();

export const addressView = z
  .object({
    id: z.number().int(),
    /** The user's integer id, as REMP answers it. */
    user_id: z.number().int(),
    type: z.string(),
    created_at: z.string(),
    email: nullableText,
    company_name: nullableText,
    phone_number: nullableText,
    company_id: nullableText,
    tax_id: nullableText,
    vat_id: nullableText,
    first_name: nullableText,
    last_name: nullableText,
    address: nullableText,
    number: nullableText,
    zip: nullableText,
    city: nullableText,
    /** User-friendly name, as REMP returns it. */
    country: nullableText,
    country_iso: nullableText,
  })
  .meta({ id: 'Address' });

export const listAddressesResponse = z.object({ status: z.literal('ok'), addresses: z.array(addressView) }).meta({ id: 'AddressList' });
export const createAddressResponse = z.object({ status: z.literal('ok'), address: z.object({ id: z.number().int() }) }).meta({ id: 'CreatedAddress' });
export const changeRequestView = z
  .object({ id: z.number().int(), address_id: z.number().int(), type: z.string(), status: z.enum(['new', 'accepted', 'rejected']) })
  .meta({ id: 'AddressChangeRequest' });
/** `address.id` is the address, as REMP documents; `change_request` is what approve and reject take. */
export const changeAddressRequestResponse = createAddressResponse.extend({ change_request: changeRequestView }).meta({ id: 'RequestedAddressChange' });
export const resolveChangeRequestResponse = z.object({ status: z.literal('ok'), change_request: changeRequestView }).meta({ id: 'ResolvedAddressChange' });

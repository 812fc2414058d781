import { isCountryIso } from '../../platform/countries.js';
import { normalizePhoneNumberAsGiven } from '../customers/phone.js';
import { Invalid } from '../../platform/errors.js';
import { toAlpha2 } from '../customers/sessionm/countries.js';

const invalidCountryCode = (field: string) =>
  new Invalid('invalid_country_code', `${field}: not an ISO 3166 country code or a calling code`, {
    fields: { [field]: ['Give an ISO 3166 alpha-3 ("CYP") or alpha-2 ("CY") country code, or a calling code ("357").'] },
  });

/**
 * CRM.COM sends `phone_number` with a `country_code` that is ISO 3166 alpha-3 in its own example
 * ("CYP"); alpha-2 and calling codes ("357", "+357") are accepted too. Returns E.164 — or, for a
 * number no plan allocates (the spec's own "9947823" is a digit short for Cyprus), the number as
 * read in the country, which is stored unverified like any new number and is verified only by the
 * one-time code sent to it. Throws 400 `invalid_phone_number` / `invalid_country_code`.
 */
export function normalizeContactPhone(phoneNumber: string, countryCode?: string | null, field = 'country_code'): string {
  const code = countryCode?.trim();
  if (!code) return normalizePhoneNumberAsGiven(phoneNumber).number;
  if (/^[A-Za-z]{3}$/.test(code)) {
    const alpha2 = toAlpha2(code);
    if (!alpha2) throw invalidCountryCode(field);
    return normalizePhoneNumberAsGiven(phoneNumber, alpha2).number;
  }
  if (/^[A-Za-z]{2}$/.test(code)) {
    if (!isCountryIso(code.toUpperCase())) throw invalidCountryCode(field);
    return normalizePhoneNumberAsGiven(phoneNumber, code.toUpperCase()).number;
  }
  if (/^\+?\d{1,4}$/.test(code)) return normalizePhoneNumberAsGiven(phoneNumber, code).number;
  throw invalidCountryCode(field);
}

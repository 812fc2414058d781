import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { Invalid } from '../../platform/errors.js';

/**
 * Normalises a phone number to E.164. `countryCode` is either an ISO 3166 alpha-2 region ("GB")
 * or a calling code ("44", "+44"), as CRM.COM's `phone_number` + `country_code` pair allows.
 */
export function normalizePhoneNumber(phoneNumber: string, countryCode?: string): string {
  const parsed = parse(phoneNumber, countryCode);
  if (!parsed || !parsed.isValid()) {
    throw new Invalid('invalid_phone_number', 'phone_number: not a valid phone number', { fields: { phone_number: ['The phone number is invalid.'] } });
  }
  return parsed.number;
}

function parse(phoneNumber: string, countryCode?: string) {
  const raw = phoneNumber.trim();
  if (countryCode && /^[A-Za-z]{2}$/.test(countryCode)) return parsePhoneNumberFromString(raw, countryCode.toUpperCase() as CountryCode);
  if (countryCode && /^\+?\d{1,4}$/.test(countryCode) && !raw.startsWith('+')) {
    return parsePhoneNumberFromString(`+${countryCode.replace('+', '')}${raw.replace(/^0+/, '')}`);
  }
  return parsePhoneNumberFromString(raw);
}

/**
 * For the products whose own examples carry numbers no numbering plan allocates (CRM.COM's
 * "9947823" with "CYP" is a digit short for Cyprus; spec README, "When a spec's example and its
 * own rules disagree"): E.164 when the number is valid; otherwise the number as read in its
 * country (calling code and digits, "+3579947823"), flagged not valid, so the caller keeps it
 * unverified. Only what cannot be a phone number at all (letters, fewer than four digits) is refused.
 */
export function normalizePhoneNumberAsGiven(phoneNumber: string, countryCode?: string): { number: string; valid: boolean } {
  const parsed = parse(phoneNumber, countryCode);
  if (parsed?.isValid()) return { number: parsed.number, valid: true };
  if (parsed && /^\+\d{5,15}$/.test(parsed.number) && parsed.nationalNumber.length >= 4) return { number: parsed.number, valid: false };
  throw new Invalid('invalid_phone_number', 'phone_number: not a phone number', { fields: { phone_number: ['The phone number is invalid.'] } });
}

import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { Invalid } from '../../platform/errors.js';

/**
 * Normalises a phone number to E.164. `countryCode` is either an ISO 3166 alpha-2 region ("GB")
 * or a calling code ("44", "+44"), as CRM.COM's `phone_number` + `country_code` pair allows.
 */
export function normalizePhoneNumber(phoneNumber: string, countryCode?: string): string {
  const raw = phoneNumber.trim();
  let parsed: ReturnType<typeof parsePhoneNumberFromString>;
  if (countryCode && /^[A-Za-z]{2}$/.test(countryCode)) {
    parsed = parsePhoneNumberFromString(raw, countryCode.toUpperCase() as CountryCode);
  } else if (countryCode && /^\+?\d{1,4}$/.test(countryCode) && !raw.startsWith('+')) {
    parsed = parsePhoneNumberFromString(`+${countryCode.replace('+', '')}${raw.replace(/^0+/, '')}`);
  } else {
    parsed = parsePhoneNumberFromString(raw);
  }
  if (!parsed || !parsed.isValid()) {
    throw new Invalid('invalid_phone_number', 'phone_number: not a valid phone number', { fields: { phone_number: ['The phone number is invalid.'] } });
  }
  return parsed.number;
}

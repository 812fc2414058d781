import { parsePhoneNumberFromString } from 'libphonenumber-js';

/** Digits with the separators people type in phone numbers, optionally international (+). */
const PHONE_LIKE = /^\+?[\d\s().\-/]*\d[\d\s().\-/]*$/;

/**
 * The customer types the number on the website and the agent types it in the CRM, each in their
 * own style: both must land on the same key. Phone-like keys keep only digits (and a leading +,
 * parsed to E.164 when libphonenumber finds it a possible number, so "+44 (0) 7700 900123" matches
 * "+447700900123"). Other keys (the spec's own sample is "birth place") are compared
 * case-insensitively with whitespace collapsed.
 */
export function normalizePassKey(raw: string): string {
  const key = raw.normalize('NFKC').trim();
  if (PHONE_LIKE.test(key)) {
    if (key.startsWith('+')) {
      const phone = parsePhoneNumberFromString(key);
      // Possible, not valid: validity follows number allocations (the UK's 07700 900nnn drama range
      // is "invalid"), and both sides only need the same canonical form.
      if (phone?.isPossible()) return phone.number;
      return `+${key.replace(/\D/g, '')}`;
    }
    return key.replace(/\D/g, '');
  }
  return key.replace(/\s+/g, ' ').toLowerCase();
}

import { z } from 'zod';
import { normalizeEmail } from '../../customers/service.js';
import { normalizePhoneNumber } from '../../customers/phone.js';
import { Invalid } from '../../../platform/errors.js';
import type { OtpChannel } from './entities.js';

/** Where a code goes: a normalised e-mail address, or a phone number in E.164. */
export interface OtpIdentifier {
  channel: OtpChannel;
  value: string;
}

/** The contact fields as the APIs take them (spec README: `email` or `phone_number` [+`country_code`]). */
export const otpContactInput = z.object({
  email: z.email().max(254).optional(),
  phone_number: z.string().trim().min(3).max(32).optional(),
  country_code: z.string().trim().min(1).max(8).optional(),
});
export type OtpContact = z.input<typeof otpContactInput>;

/** Validates and normalises; Invalid (`invalid_request` / `invalid_phone_number`) when malformed. */
export function parseOtpIdentifier(raw: OtpContact): OtpIdentifier {
  const contact = otpContactInput.parse(raw);
  if (contact.email && contact.phone_number) {
    throw new Invalid('invalid_request', 'Give either email or phone_number, not both', { fields: { body: ['Give either email or phone_number, not both.'] } });
  }
  if (contact.email) return { channel: 'email', value: normalizeEmail(contact.email) };
  if (contact.phone_number) return { channel: 'sms', value: normalizePhoneNumber(contact.phone_number, contact.country_code) };
  throw new Invalid('invalid_request', 'email or phone_number is required', { fields: { body: ['email or phone_number is required.'] } });
}

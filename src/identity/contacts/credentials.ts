import { z } from 'zod';
import { normalizeEmail } from '../customers/service.js';
import { Invalid } from '../../platform/errors.js';
import type { OtpIdentifier } from '../credentials/otp/identifier.js';
import { normalizeContactPhone } from './phone.js';
import type { CredentialsInput } from './schemas.js';

const missing = (message: string) => new Invalid('invalid_request', `credentials: ${message}`, { fields: { credentials: [message] } });

const credentialValue = (credentials: CredentialsInput, ...names: string[]) => credentials.find((each) => names.includes(each.name))?.value.trim() || undefined;

/** The e-mail address or phone number (with COUNTRY_CODE: alpha-3, alpha-2 or calling code) a code goes to. */
export function otpIdentifierFromCredentials(credentials: CredentialsInput): OtpIdentifier {
  const email = credentialValue(credentials, 'EMAIL');
  const phone = credentialValue(credentials, 'PHONE', 'PHONE_NUMBER');
  if (email && phone) throw missing('give EMAIL or PHONE, not both');
  if (email) {
    if (!z.email().max(254).safeParse(email).success)
      throw new Invalid('invalid_request', 'credentials: EMAIL is not an e-mail address', { fields: { credentials: ['EMAIL is not an e-mail address'] } });
    return { channel: 'email', value: normalizeEmail(email) };
  }
  if (phone) return { channel: 'sms', value: normalizeContactPhone(phone, credentialValue(credentials, 'COUNTRY_CODE'), 'credentials.COUNTRY_CODE') };
  throw missing('EMAIL or PHONE is required');
}

/** EMAIL + PASSWORD (a contact's password), or IDENTIFIER + PASS_CODE (an access token's). */
export function passwordFromCredentials(credentials: CredentialsInput): { identifier: string; secret: string } {
  const identifier = credentialValue(credentials, 'EMAIL', 'IDENTIFIER', 'PHONE', 'PHONE_NUMBER');
  const secret = credentials.find((each) => each.name === 'PASSWORD' || each.name === 'PASS_CODE')?.value;
  if (!identifier || !secret) throw missing('EMAIL and PASSWORD (or IDENTIFIER and PASS_CODE) are required');
  return { identifier, secret };
}

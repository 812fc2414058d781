import { z } from 'zod';
import { otpContactInput } from './identifier.js';

/** POST /api/v1/otp/request: `email`, or `phone_number` with an optional `country_code` (ISO alpha-2 or calling code). */
export const otpRequestInput = otpContactInput;

/** The one answer for every identifier, registered or not. */
export const otpRequestAccepted = z.object({ status: z.literal('ok'), message: z.string() }).meta({ id: 'OtpRequestAccepted' });

export const OTP_REQUEST_ACCEPTED = { status: 'ok', message: 'If the identifier is registered, a code has been sent.' } as const;

import type { ApiOperation } from '../../platform/openapi/operation.js';
import { rempError } from '../../platform/openapi/shapes.js';
import { otpRequestAccepted, otpRequestInput } from '../../identity/credentials/otp/schemas.js';

export const otpOperations: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/otp/request',
    tags: ['One-time codes'],
    summary: 'Send a one-time sign-in code by e-mail or SMS, for grant_type=urn:gatehouse:grant-type:otp',
    description:
      'Give `email`, or `phone_number` with an optional `country_code` (ISO 3166 alpha-2 or calling code). ' +
      'The answer is the same whether or not the identifier is registered. A new code retires the previous one; ' +
      'codes are sent at most once per OTP_RESEND_SECONDS and OTP_MAX_PER_HOUR times an hour per identifier.',
    body: otpRequestInput,
    bodyTypes: ['json', 'form'],
    responses: {
      202: { description: 'Accepted; a code was sent if the identifier is registered', schema: otpRequestAccepted },
      400: { description: 'Malformed e-mail address or phone number', schema: rempError },
      429: { description: 'Asked again too soon, or hourly cap reached; see Retry-After', schema: rempError },
      503: { description: 'No provider is configured for the channel', schema: rempError },
    },
  },
];

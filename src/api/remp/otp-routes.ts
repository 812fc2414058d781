import { requestEntityManager } from '../../platform/db/orm.js';
import type { Config } from '../../platform/config.js';
import type { Orm } from '../../platform/db/orm.js';
import type { Notifier } from '../../platform/notify/notifier.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { rempErrors, rempFailure } from '../../platform/openapi/shapes.js';
import { createOtpKeys } from '../../identity/credentials/otp/codes.js';
import { parseOtpIdentifier } from '../../identity/credentials/otp/identifier.js';
import { OTP_REQUEST_ACCEPTED, otpRequestAccepted, otpRequestInput } from '../../identity/credentials/otp/schemas.js';
import { requestOtp } from '../../identity/credentials/otp/service.js';

export interface OtpRouteDependencies {
  config: Config;
  orm: Orm;
  notifier: Notifier;
}

/**
 * POST /api/v1/otp/request (issue #3 §3): sends a sign-in code for the `urn:gatehouse:grant-type:otp`
 * grant. 202 with the same body whether or not the identifier is registered; 429 with Retry-After
 * when the resend interval or an hourly cap is hit (for unknown identifiers too); 400 when the
 * e-mail address or phone number is malformed.
 */
export function createOtpRoutes(deps: OtpRouteDependencies) {
  const keys = createOtpKeys(deps.config.secret);

  return routerFor([
    route({
      method: 'post',
      path: '/api/v1/otp/request',
      tags: ['One-time codes'],
      summary: 'Send a one-time sign-in code by e-mail or SMS, for grant_type=urn:gatehouse:grant-type:otp',
      description:
        'Public. Give `email`, or `phone_number` with an optional `country_code` (ISO 3166 alpha-2 or calling code). ' +
        'The answer is the same whether or not the identifier is registered. A new code retires the previous one; ' +
        'codes are sent at most once per OTP_RESEND_SECONDS and OTP_MAX_PER_HOUR times an hour per identifier.',
      security: [],
      request: { body: otpRequestInput, bodyTypes: ['json', 'form'], example: { phone_number: '99123456', country_code: 'CY' } },
      responses: {
        202: { description: 'Accepted; a code was sent if the identifier is registered', schema: otpRequestAccepted, example: OTP_REQUEST_ACCEPTED },
        400: rempFailure('Malformed e-mail address or phone number, or both or neither given', {
          code: 'invalid_phone_number',
          message: 'phone_number: not a valid phone number',
        }),
        429: { ...rempErrors.tooManyRequests, description: 'Asked again too soon, or hourly cap reached; see Retry-After' },
        503: rempFailure('No provider is configured for the channel', { code: 'channel_unavailable', message: 'SMS delivery is not configured' }),
      },
      async handler(ctx, { body }) {
        const identifier = parseOtpIdentifier(body);
        await requestOtp(
          { em: requestEntityManager(deps.orm), keys, settings: deps.config.otp, notifier: deps.notifier },
          { identifier, purpose: 'login', ip: ctx.ip },
        );
        ctx.status = 202;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = OTP_REQUEST_ACCEPTED;
      },
    }),
  ]);
}

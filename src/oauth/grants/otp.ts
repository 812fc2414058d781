import { requestEntityManager } from '../../platform/db/orm.js';
import { GRANT_TYPES } from '../clients/grant-types.js';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { DomainError } from '../../platform/errors.js';
import { CredentialRejected } from '../../identity/sign-in.js';
import { createOtpKeys } from '../../identity/credentials/otp/codes.js';
import { parseOtpIdentifier, type OtpIdentifier } from '../../identity/credentials/otp/identifier.js';
import { verifyOtp } from '../../identity/credentials/otp/service.js';
import { param, requireParam, signInAndRespond, type GrantDefinition } from './context.js';

export const OTP_GRANT_TYPE = GRANT_TYPES.otp;

function identifierFromParams(ctx: KoaContextWithOIDC): OtpIdentifier {
  try {
    return parseOtpIdentifier({ email: param(ctx, 'email'), phone_number: param(ctx, 'phone_number'), country_code: param(ctx, 'country_code') });
  } catch (error) {
    if (error instanceof DomainError) throw new errors.InvalidRequest(error.message);
    throw error;
  }
}

/**
 * One-time code grant: `email` or `phone_number` [+`country_code`] and the `code` sent by
 * POST /api/v1/otp/request. Unknown identifier, wrong, reused, expired or exhausted code: one
 * error, invalid_grant. Failures count towards the OTP limiter (5 per identifier, per-IP allowance).
 */
export const otpGrant: GrantDefinition = {
  grantType: OTP_GRANT_TYPE,
  parameters: ['email', 'phone_number', 'country_code', 'code', 'scope', 'device_token', 'source'],
  buildHandler: (deps) => {
    const keys = createOtpKeys(deps.config.secret);
    return async (ctx) => {
      const identifier = identifierFromParams(ctx);
      const code = requireParam(ctx, 'code');
      await signInAndRespond(ctx, deps, OTP_GRANT_TYPE, {
        limiter: deps.limiters.otp,
        limiterKey: `${identifier.channel}:${identifier.value}`,
        method: 'otp',
        verify: async () => {
          const customerId = await verifyOtp({ em: requestEntityManager(deps.orm), keys }, { identifier, code });
          if (!customerId) throw new CredentialRejected('invalid or expired code');
          return { customerId };
        },
      });
    };
  },
};

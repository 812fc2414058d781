import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../platform/config.js';
import type { Orm } from '../../platform/db/orm.js';
import type { Notifier } from '../../platform/notify/notifier.js';
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
  const router = new Router();
  const keys = createOtpKeys(deps.config.secret);

  router.post('/api/v1/otp/request', async (ctx) => {
    const identifier = parseOtpIdentifier(otpRequestInput.parse(ctx.request.body ?? {}));
    await requestOtp(
      { em: deps.orm.em.fork() as EntityManager, keys, settings: deps.config.otp, notifier: deps.notifier },
      { identifier, purpose: 'login', ip: ctx.ip },
    );
    ctx.status = 202;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = otpRequestAccepted.parse(OTP_REQUEST_ACCEPTED);
  });

  return router;
}

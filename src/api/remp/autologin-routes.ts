import { requestEntityManager } from '../../platform/db/orm.js';
import { CredentialRejected, signIn } from '../../identity/sign-in.js';
import { z } from 'zod';
import { findCustomerById } from '../../identity/customers/service.js';
import { ApiError, tooManyRequests } from '../../platform/http/errors.js';
import type { CredentialLimiter } from '../../identity/limits/credential-limiter.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { rempErrors, rempFailure, rempUserShape } from '../../platform/openapi/shapes.js';
import { issueRempUserToken, type SessionRouteDependencies } from './session-routes.js';
import { rempUser } from './user-presenter.js';
import { consumeAutologinToken } from '../../identity/credentials/autologin/service.js';
import { exampleUser, exampleUserToken, invalidInputOrDevice, rempBodyTypes } from './declarations.js';

const autologinInput = z.object({
  autologin_token: z.string().min(1).max(200),
  device_token: z.string().min(1).max(200),
  source: z.string().max(100).optional(),
});

const autologinResponse = z.object({ status: z.literal('ok'), user: rempUserShape, access: z.object({ token: z.string() }) }).meta({ id: 'RempAutologin' });

/** REMP `POST /api/v1/users/autologin-token-login`; the same credential as the autologin grant. */
export function createAutologinRoutes(deps: Omit<SessionRouteDependencies, 'loginLimiter'> & { tokenLimiter: CredentialLimiter }) {
  return routerFor([
    route({
      method: 'post',
      path: '/api/v1/users/autologin-token-login',
      tags: ['REMP users'],
      summary: 'Exchange an autologin token (with a device token) for a user token',
      description: 'Public. The autologin token is single use; failures are limited per IP (429 with Retry-After).',
      security: [],
      request: {
        body: autologinInput,
        bodyTypes: rempBodyTypes,
        mergeQueryAndBody: true,
        example: { autologin_token: 'al_5d1f0e9c8b7a6f5e4d3c2b1a', device_token: 'dt_9f8e7d6c5b4a39281706f5e4d3c2b1a0' },
      },
      responses: {
        200: {
          description: 'Signed in',
          schema: autologinResponse,
          example: { status: 'ok', user: { ...exampleUser, public_name: exampleUser.email }, access: { token: exampleUserToken } },
        },
        400: invalidInputOrDevice,
        403: rempFailure('invalid_token: unknown, used or expired autologin token', { code: 'invalid_token', message: 'Invalid token' }),
        429: rempErrors.tooManyRequests,
      },
      async handler(ctx, { body: { autologin_token, device_token, source } }) {
        const em = requestEntityManager(deps.orm);
        const limiterKey = `autologin:${ctx.ip}`;
        const attempt = { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, source: source ? `api+${source}` : 'api' };
        const outcome = await signIn(em, {
          limiter: deps.tokenLimiter,
          limiterKey,
          method: 'autologin',
          attempt,
          onSuccess: 'refund',
          verify: async () => {
            const customerId = await consumeAutologinToken(em, autologin_token);
            const found = customerId ? await findCustomerById(em, customerId) : null;
            if (!found) throw new CredentialRejected('Invalid token');
            return { customerId: found.id, customer: found };
          },
        });
        if (outcome.result === 'locked') throw tooManyRequests(outcome.retryAfterSeconds);
        if (outcome.result === 'failed') throw new ApiError(403, 'invalid_token', 'Invalid token');
        const { customer } = outcome;
        const token = await issueRempUserToken(deps, customer.id, 'urn:gatehouse:grant-type:autologin-token', device_token);
        ctx.body = { status: 'ok', user: rempUser(customer, { publicName: true }), access: { token } };
      },
    }),
  ]);
}

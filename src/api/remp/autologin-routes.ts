import { CredentialRejected, signIn } from '../../identity/sign-in.js';
import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { findCustomerById } from '../../identity/customers/service.js';
import { input } from '../../platform/http/body.js';
import { ApiError, tooManyRequests } from '../../platform/http/errors.js';
import type { CredentialLimiter } from '../../identity/limits/credential-limiter.js';
import { recordLoginAttempt } from '../../identity/login-attempts/service.js';
import { issueRempUserToken, type SessionRouteDependencies } from './session-routes.js';
import { rempUser } from './user-presenter.js';
import { consumeAutologinToken } from '../../identity/credentials/autologin/service.js';

const autologinInput = z.object({
  autologin_token: z.string().min(1).max(200),
  device_token: z.string().min(1).max(200),
  source: z.string().max(100).optional(),
});

/** REMP `POST /api/v1/users/autologin-token-login`; the same credential as the autologin grant. */
export function createAutologinRoutes(deps: Omit<SessionRouteDependencies, 'loginLimiter'> & { tokenLimiter: CredentialLimiter }) {
  const router = new Router({ prefix: '/api/v1/users' });
  router.post('/autologin-token-login', async (ctx) => {
    const { autologin_token, device_token, source } = autologinInput.parse(input(ctx));
    const em = deps.orm.em.fork() as EntityManager;
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
  });
  return router;
}

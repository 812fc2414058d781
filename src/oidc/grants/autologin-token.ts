import type { EntityManager } from '@mikro-orm/postgresql';
import { errors } from 'oidc-provider';
import { consumeAutologinToken } from '../../autologin/service.js';
import { findCustomerById } from '../../customers/service.js';
import { recordLoginAttempt } from '../../login-attempts/service.js';
import { attemptContext, enforceLimit, requireParam, respondWithCustomerTokens, type GrantDefinition } from './context.js';

/** REMP autologin: `autologin_token` + `device_token` (required, as in REMP) → tokens paired with the device. */
export const autologinTokenGrant: GrantDefinition = {
  grantType: 'urn:gatehouse:grant-type:autologin-token',
  parameters: ['autologin_token', 'device_token', 'scope', 'source'],
  buildHandler: (deps) => async (ctx) => {
    const token = requireParam(ctx, 'autologin_token');
    requireParam(ctx, 'device_token');
    await enforceLimit(ctx, deps.limiters.token, `autologin:${ctx.ip}`, deps, 'autologin');
    const em = deps.orm.em.fork() as EntityManager;
    const customerId = await consumeAutologinToken(em, token);
    const customer = customerId ? await findCustomerById(em, customerId) : null;
    if (!customer) {
      await deps.limiters.token.recordFailure(`autologin:${ctx.ip}`, ctx.ip);
      await recordLoginAttempt(em, { method: 'autologin', result: 'failure', ...attemptContext(ctx) });
      throw new errors.InvalidGrant('autologin token is invalid, expired or used up');
    }
    await recordLoginAttempt(em, { customerId: customer.id, method: 'autologin', result: 'success', ...attemptContext(ctx) });
    await respondWithCustomerTokens(ctx, deps, customer.id, 'urn:gatehouse:grant-type:autologin-token');
  },
};

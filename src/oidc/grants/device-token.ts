import type { EntityManager } from '@mikro-orm/postgresql';
import { errors } from 'oidc-provider';
import { findCustomerById } from '../../customers/service.js';
import { findActiveDeviceToken } from '../../devices/service.js';
import { recordLoginAttempt } from '../../login-attempts/service.js';
import { attemptContext, enforceLimit, requireParam, respondWithCustomerTokens, type GrantDefinition } from './context.js';

/**
 * Exchanges a paired device token for fresh tokens (mobile apps re-authenticating silently).
 * The device must already be paired with a customer by an earlier grant; the new grant joins it.
 */
export const deviceTokenGrant: GrantDefinition = {
  grantType: 'urn:gatehouse:grant-type:device-token',
  parameters: ['device_token', 'scope', 'source'],
  buildHandler: (deps) => async (ctx) => {
    const token = requireParam(ctx, 'device_token');
    await enforceLimit(ctx, deps.limiters.token, `device:${ctx.ip}`, deps, 'device_token');
    const em = deps.orm.em.fork() as EntityManager;
    const device = await findActiveDeviceToken(em, token);
    const customer = device?.customerId ? await findCustomerById(em, device.customerId) : null;
    if (!customer) {
      await deps.limiters.token.recordFailure(`device:${ctx.ip}`, ctx.ip);
      await recordLoginAttempt(em, { method: 'device_token', result: 'failure', ...attemptContext(ctx) });
      throw new errors.InvalidGrant('device token is not paired with a customer or was revoked');
    }
    await recordLoginAttempt(em, { customerId: customer.id, method: 'device_token', result: 'success', ...attemptContext(ctx) });
    await respondWithCustomerTokens(ctx, deps, customer.id, 'urn:gatehouse:grant-type:device-token');
  },
};

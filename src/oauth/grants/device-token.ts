import { requestEntityManager } from '../../platform/db/orm.js';
import { GRANT_TYPES } from '../clients/grant-types.js';
import { findCustomerById } from '../../identity/customers/service.js';
import { findActiveDeviceToken } from '../../identity/credentials/devices/service.js';
import { CredentialRejected } from '../../identity/sign-in.js';
import { requireParam, signInAndRespond, type GrantDefinition } from './context.js';

/**
 * Exchanges a paired device token for fresh tokens (mobile apps re-authenticating silently).
 * The device must already be paired with a customer by an earlier grant; the new grant joins it.
 */
export const deviceTokenGrant: GrantDefinition = {
  grantType: GRANT_TYPES.deviceToken,
  parameters: ['device_token', 'scope', 'source'],
  buildHandler: (deps) => async (ctx) => {
    const token = requireParam(ctx, 'device_token');
    await signInAndRespond(ctx, deps, GRANT_TYPES.deviceToken, {
      limiter: deps.limiters.token,
      limiterKey: `device:${ctx.ip}`,
      method: 'device_token',
      onSuccess: 'refund',
      verify: async () => {
        const em = requestEntityManager(deps.orm);
        const device = await findActiveDeviceToken(em, token);
        const customer = device?.customerId ? await findCustomerById(em, device.customerId) : null;
        if (!customer) throw new CredentialRejected('device token is not paired with a customer or was revoked');
        return { customerId: customer.id };
      },
    });
  },
};

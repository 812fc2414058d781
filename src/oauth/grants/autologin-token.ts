import { requestEntityManager } from '../../platform/db/orm.js';
import { GRANT_TYPES } from '../clients/grant-types.js';
import { consumeAutologinToken } from '../../identity/credentials/autologin/service.js';
import { findCustomerById } from '../../identity/customers/service.js';
import { CredentialRejected } from '../../identity/sign-in.js';
import { requireParam, signInAndRespond, type GrantDefinition } from './context.js';

/** REMP autologin: `autologin_token` + `device_token` (required, as in REMP) → tokens paired with the device. */
export const autologinTokenGrant: GrantDefinition = {
  grantType: GRANT_TYPES.autologinToken,
  parameters: ['autologin_token', 'device_token', 'scope', 'source'],
  buildHandler: (deps) => async (ctx) => {
    const token = requireParam(ctx, 'autologin_token');
    requireParam(ctx, 'device_token');
    await signInAndRespond(ctx, deps, GRANT_TYPES.autologinToken, {
      limiter: deps.limiters.token,
      limiterKey: `autologin:${ctx.ip}`,
      method: 'autologin',
      onSuccess: 'refund',
      verify: async () => {
        const em = requestEntityManager(deps.orm);
        const customerId = await consumeAutologinToken(em, token);
        const customer = customerId ? await findCustomerById(em, customerId) : null;
        if (!customer) throw new CredentialRejected('autologin token is invalid, expired or used up');
        return { customerId: customer.id };
      },
    });
  },
};

import { requestEntityManager } from '../../platform/db/orm.js';
import { GRANT_TYPES } from '../clients/grant-types.js';
import { errors } from 'oidc-provider';
import { passwordOrPassCodeLookup, verifyPasswordOrPassCode } from '../../identity/credentials/credential-tokens/authentication.js';
import { CredentialRejected } from '../../identity/sign-in.js';
import { param, requireParam, signInAndRespond, type GrantDefinition } from './context.js';

/**
 * Resource-owner password grant (SessionM's S2S login): `username` or `email` + `password`, or
 * the identifier + pass code of an Effective CRM.COM access token (src/identity/credentials/credential-tokens/).
 * Unknown e-mail and wrong password cost the same argon2 work and give the same error.
 */
export const passwordGrant: GrantDefinition = {
  grantType: GRANT_TYPES.password,
  parameters: ['username', 'email', 'password', 'scope', 'device_token', 'source'],
  buildHandler: (deps) => async (ctx) => {
    const identifier = param(ctx, 'email') ?? param(ctx, 'username');
    if (!identifier) throw new errors.InvalidRequest("missing required parameter 'username' or 'email'");
    const password = requireParam(ctx, 'password');
    await signInAndRespond(ctx, deps, GRANT_TYPES.password, {
      limiter: deps.limiters.password,
      limiterKey: identifier,
      method: 'password',
      lookup: passwordOrPassCodeLookup(identifier),
      verify: async ([found]) => {
        const customer = await verifyPasswordOrPassCode(requestEntityManager(deps.orm), found, password);
        if (!customer) throw new CredentialRejected('invalid credentials');
        // The verified row carries the ID token's claims: no second read of the customer.
        return { customerId: customer.id, customer };
      },
    });
  },
};

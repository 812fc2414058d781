import { requestEntityManager } from '../../platform/db/orm.js';
import { GRANT_TYPES } from '../clients/grant-types.js';
import { customerForAuthenticationCode } from '../../identity/credentials/credential-tokens/authentication.js';
import { CredentialRejected } from '../../identity/sign-in.js';
import { requireParam, signInAndRespond, type GrantDefinition } from './context.js';

export const ACCESS_TOKEN_CODE_GRANT_TYPE = GRANT_TYPES.accessTokenCode;

/**
 * Signs in with the authentication code of a CRM.COM access token (a customer credential, not an
 * OAuth token: crm-com-access-tokens, "Authentication Code … usually used by apps and 3rd party
 * Systems"). Only an Effective token linked to an active customer works; unknown, Pending
 * Verification and Not Effective codes give the same invalid_grant. The code carries 256 bits,
 * so the limiter (per client IP, like device tokens) only stops a flood, not a guess.
 */
export const accessTokenCodeGrant: GrantDefinition = {
  grantType: ACCESS_TOKEN_CODE_GRANT_TYPE,
  parameters: ['authentication_code', 'scope', 'device_token', 'source'],
  buildHandler: (deps) => async (ctx) => {
    const code = requireParam(ctx, 'authentication_code');
    await signInAndRespond(ctx, deps, ACCESS_TOKEN_CODE_GRANT_TYPE, {
      limiter: deps.limiters.token,
      limiterKey: `access-token-code:${ctx.ip}`,
      method: 'access_token',
      onSuccess: 'refund',
      verify: async () => {
        const customer = await customerForAuthenticationCode(requestEntityManager(deps.orm), code);
        if (!customer) throw new CredentialRejected('invalid authentication code');
        return { customerId: customer.id };
      },
    });
  },
};

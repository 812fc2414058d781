import type { EntityManager } from '@mikro-orm/postgresql';
import { errors } from 'oidc-provider';
import { customerForAuthenticationCode } from '../../access-tokens/authentication.js';
import { recordLoginAttempt } from '../../login-attempts/service.js';
import { attemptContext, enforceLimit, requireParam, respondWithCustomerTokens, type GrantDefinition } from './context.js';

export const ACCESS_TOKEN_CODE_GRANT_TYPE = 'urn:gatehouse:grant-type:access-token-code';

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
    const limiterKey = `access-token-code:${ctx.ip}`;
    await enforceLimit(ctx, deps.limiters.token, limiterKey, deps, 'access_token');
    const em = deps.orm.em.fork() as EntityManager;
    const customer = await customerForAuthenticationCode(em, code);
    if (!customer) {
      await deps.limiters.token.recordFailure(limiterKey, ctx.ip);
      await recordLoginAttempt(em, { method: 'access_token', result: 'failure', ...attemptContext(ctx) });
      throw new errors.InvalidGrant('invalid authentication code');
    }
    await recordLoginAttempt(em, { customerId: customer.id, method: 'access_token', result: 'success', ...attemptContext(ctx) });
    await respondWithCustomerTokens(ctx, deps, customer.id, ACCESS_TOKEN_CODE_GRANT_TYPE);
  },
};

import type { EntityManager } from '@mikro-orm/postgresql';
import { errors } from 'oidc-provider';
import { authenticateWithCredentialToken } from '../../access-tokens/authentication.js';
import { authenticateWithPassword } from '../../customers/service.js';
import { recordLoginAttempt } from '../../login-attempts/service.js';
import { attemptContext, enforceLimit, param, requireParam, respondWithCustomerTokens, type GrantDefinition } from './context.js';

/**
 * Resource-owner password grant (SessionM's S2S login): `username` or `email` + `password`.
 * Unknown e-mail and wrong password cost the same argon2 work and give the same error.
 */
export const passwordGrant: GrantDefinition = {
  grantType: 'password',
  parameters: ['username', 'email', 'password', 'scope', 'device_token', 'source'],
  buildHandler: (deps) => async (ctx) => {
    const identifier = param(ctx, 'email') ?? param(ctx, 'username');
    if (!identifier) throw new errors.InvalidRequest("missing required parameter 'username' or 'email'");
    const password = requireParam(ctx, 'password');
    await enforceLimit(ctx, deps.limiters.password, identifier, deps, 'password');

    const em = deps.orm.em.fork() as EntityManager;
    // Else the identifier + pass code of an Effective CRM.COM access token (src/access-tokens/).
    // Every failure runs both checks (one argon2 verification each), so it costs the same
    // whichever credential was unknown, wrong or not yet effective, and gives the same error.
    const customer = (await authenticateWithPassword(em, identifier, password)) ?? (await authenticateWithCredentialToken(em, identifier, password));
    if (!customer) {
      await deps.limiters.password.recordFailure(identifier, ctx.ip);
      await recordLoginAttempt(em, { method: 'password', result: 'failure', ...attemptContext(ctx) });
      throw new errors.InvalidGrant('invalid credentials');
    }
    await deps.limiters.password.recordSuccess(identifier);
    await recordLoginAttempt(em, { customerId: customer.id, method: 'password', result: 'success', ...attemptContext(ctx) });
    await respondWithCustomerTokens(ctx, deps, customer.id, 'password');
  },
};

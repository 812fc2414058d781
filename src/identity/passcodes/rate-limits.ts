import type { Knex } from '@mikro-orm/postgresql';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../../platform/config.js';
import { Locked } from '../../platform/errors.js';

/**
 * Request-rate limits of the passcode endpoints (issue #6), kept in the shared `rate_limit`
 * table so every instance counts together. Unlike the credential limiter (failures only), every
 * request counts: a customer's key, an IP, and a whole tenant each get a budget per window.
 */
export function createPasscodeRateLimits(knex: Knex, config: Config['passcodes']) {
  const limiter = (name: string, points: number) =>
    new RateLimiterPostgres({
      storeClient: knex,
      storeType: 'knex',
      tableName: 'rate_limit',
      tableCreated: true,
      keyPrefix: `passcode:${name}`,
      points,
      duration: config.rateWindowSeconds,
      clearExpiredByTimeout: false,
    });
  const create = {
    key: limiter('create-key', config.createPerKey),
    ip: limiter('create-ip', config.createPerIp),
    tenant: limiter('create-tenant', config.createPerTenant),
  };
  const lookup = { key: limiter('lookup-key', config.lookupPerKey), tenant: limiter('lookup-tenant', config.lookupPerTenant) };

  /** Consumes one point from each budget in turn; throws the 429 (with Retry-After) of the first one spent. */
  const consume = async (...budgets: Array<[RateLimiterPostgres, string]>) => {
    for (const [budget, key] of budgets) {
      try {
        await budget.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        throw new Locked(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      }
    }
  };

  return {
    /** Before anything else, so floods from one address cost no database look-ups beyond this one. */
    creationByIp: (ip: string) => consume([create.ip, ip || 'unknown']),
    creation: (tenantId: string, keyHash: string) => consume([create.tenant, tenantId], [create.key, `${tenantId}:${keyHash}`]),
    lookup: (tenantId: string, keyHash: string) => consume([lookup.tenant, tenantId], [lookup.key, `${tenantId}:${keyHash}`]),
  };
}

export type PasscodeRateLimits = ReturnType<typeof createPasscodeRateLimits>;

import type { Config } from '../../platform/config.js';
import type { Budget } from '../../platform/db/window-counters.js';

/**
 * Request-rate budgets of the passcode endpoints (issue #6), in the shared `rate_limit` table so
 * every instance counts together. Unlike the credential limiter (failures only), every request
 * counts: an IP, a whole tenant and a customer's key each get so many per window. The service
 * counts them in the statement that does the endpoint's work (src/identity/passcodes/service.ts):
 * a submission's budgets, its tenant and its configuration are one round trip, a look-up's budgets,
 * the passcode it spends and its audit record another. Keys keep rate-limiter-flexible's
 * `prefix:key` form, which counted them before.
 */
export function passcodeBudgets(config: Config['passcodes']) {
  const budget = (name: string, id: string, allowance: number): Budget => ({ key: `passcode:${name}:${id}`, allowance });
  return {
    windowSeconds: config.rateWindowSeconds,
    /** Counted first: an address past its budget counts against no tenant and reads nothing more. */
    creationByIp: (ip: string) => budget('create-ip', ip || 'unknown', config.createPerIp),
    creation: (tenantId: string, keyHash: string) => [
      budget('create-tenant', tenantId, config.createPerTenant),
      budget('create-key', `${tenantId}:${keyHash}`, config.createPerKey),
    ],
    lookup: (tenantId: string, keyHash: string) => [
      budget('lookup-tenant', tenantId, config.lookupPerTenant),
      budget('lookup-key', `${tenantId}:${keyHash}`, config.lookupPerKey),
    ],
  };
}

export type PasscodeBudgets = ReturnType<typeof passcodeBudgets>;

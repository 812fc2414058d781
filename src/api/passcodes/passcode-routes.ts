import Router from '@koa/router';
import cors from '@koa/cors';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import type { Config } from '../../platform/config.js';
import type { Orm } from '../../platform/db/orm.js';
import { ApiError } from '../../platform/http/errors.js';
import { createCredentialLimiter } from '../../identity/limits/credential-limiter.js';
import type { ResolveAccessToken } from '../../oauth/callers/access-token-resolver.js';
import { currentTenantAdmin, requireTenantAdmin } from '../../oauth/callers/tenant-admin.js';
import { specTimestamp } from '../../identity/tenants/schemas.js';
import { requireOwnedActiveTenant } from '../../identity/tenants/service.js';
import { createPasscodeRateLimits } from '../../identity/passcodes/rate-limits.js';
import { passcodeConfigInput, passcodeSubmissionInput, passKeyParam } from '../../identity/passcodes/schemas.js';
import { derivePasscodeKeys, getPasscodeConfig, invalidTenant, lookUpPasscode, savePasscodeConfig, submitPasscode, type EffectivePasscodeConfig } from '../../identity/passcodes/service.js';

export interface PasscodeRouteDependencies {
  config: Config;
  orm: Orm;
  resolveAccessToken: ResolveAccessToken;
}

const configDetails = (config: EffectivePasscodeConfig) => ({
  pass_key_expires: config.passKeyExpires,
  pass_phrase: config.passPhraseMode,
  // The spec's responses name the allowed characters `pass_phrase_method`.
  pass_phrase_method: config.allowedCharacters,
  pass_phrase_length: config.passPhraseLength,
});

const timestamp = (date: Date | undefined) => (date ? specTimestamp(date) : null);

/**
 * The passcode service (spec step 4): tenant configuration (tenant admin's bearer token), the
 * customer's public submission and the agent's look-up with the tenant's API key. The two trust
 * flow endpoints allow any origin: the widgets call them from the tenant's own sites, and no
 * cookie is involved (the agent's credential is the x-api-key header).
 */
export function createPasscodeRoutes(deps: PasscodeRouteDependencies) {
  const router = new Router({ prefix: '/api/v2' });
  const tenantAdmin = requireTenantAdmin(deps);
  const keys = derivePasscodeKeys(deps.config.secret);
  const knex = (deps.orm.em.fork() as EntityManager).getKnex();
  const limits = createPasscodeRateLimits(knex, deps.config.passcodes);
  const apiKeyLimiter = createCredentialLimiter(knex, {
    name: 'passcode-api-key',
    failuresPerIdentifier: 10,
    failuresPerIp: 50,
    windowSeconds: 15 * 60,
    baseLockSeconds: 30,
    maxLockSeconds: 3600,
  });
  const configSchema = passcodeConfigInput(deps.config.passcodes);
  const em = () => deps.orm.em.fork() as EntityManager;
  const widgetCors = cors({
    origin: '*',
    allowMethods: ['GET', 'POST'],
    allowHeaders: ['content-type', 'x-api-key', 'accept'],
    exposeHeaders: ['Retry-After'],
    maxAge: 600,
  });

  // Registered before the agent's look-up, whose `:key` would otherwise also match "config".
  router.get('/:tenantId/identity/passcode/config', tenantAdmin, async (ctx) => {
    const tenant = await requireOwnedActiveTenant(em(), {
      tenantId: String(ctx.params.tenantId),
      ownerId: currentTenantAdmin(ctx).id,
      invalidMessage: 'The selected tenant id is invalid.',
    });
    const config = await getPasscodeConfig(em(), tenant.id);
    ctx.body = {
      id: config.id ?? null,
      tenant_id: tenant.id,
      tenant_config_details: configDetails(config),
      status: 1,
      created_by: config.createdBy ?? null,
      updated_at: timestamp(config.updatedAt),
      created_at: timestamp(config.createdAt),
    };
  });

  router.post('/:tenantId/identity/passcode/config', tenantAdmin, async (ctx) => {
    const admin = currentTenantAdmin(ctx);
    const manager = em();
    const tenant = await requireOwnedActiveTenant(manager, { tenantId: String(ctx.params.tenantId), ownerId: admin.id, invalidMessage: 'The tenant id is invalid.' });
    const input = configSchema.parse(ctx.request.body ?? {});
    const { row, created } = await savePasscodeConfig(manager, { tenantId: tenant.id, adminId: admin.id, config: input });
    ctx.body = {
      status: 'Success',
      data: {
        status: 'Success',
        message: created ? 'Tenant Configuration created successfully' : 'Tenant Configuration updated successfully',
        data: {
          tenantDetails: {
            tenant_id: tenant.id,
            tenant_config_details: configDetails(row),
            created_by: row.createdBy,
            updated_at: specTimestamp(row.updatedAt),
            created_at: specTimestamp(row.createdAt),
            id: row.id,
          },
        },
      },
    };
  });

  router.options('/:tenantId/identity/passcode', widgetCors);
  router.options('/:tenantId/identity/passcode/:key', widgetCors);

  router.post('/:tenantId/identity/passcode', widgetCors, async (ctx) => {
    const input = passcodeSubmissionInput.parse(ctx.request.body ?? {});
    const created = await submitPasscode(
      { em: em(), keys, limits },
      { tenantId: String(ctx.params.tenantId), passKey: input.pass_key, passPhrase: input.pass_phrase, ip: ctx.ip },
    );
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'Success', data: { pass_key: input.pass_key, pass_phrase: created.passPhrase, expires_in: created.expiresIn } };
  });

  router.get('/:tenantId/identity/passcode/:key', widgetCors, async (ctx: Context) => {
    const passKey = passKeyParam.safeParse(ctx.params.key);
    if (!passKey.success) throw new ApiError(404, 'not_found', 'Pass Key not found');
    const lookup = await lookUpPasscode(
      { em: em(), keys, limits, apiKeyLimiter },
      { tenantId: String(ctx.params.tenantId), apiKey: ctx.get('x-api-key'), passKey: passKey.data, ip: ctx.ip, requestId: ctx.state.requestId },
    );
    ctx.set('Cache-Control', 'no-store');
    switch (lookup.result) {
      case 'found':
        ctx.body = { status: 'Success', pass_phrase: lookup.passPhrase };
        return;
      case 'expired':
        throw new ApiError(410, 'pass_key_expired', 'Pass Key Expired');
      case 'not_found':
        throw new ApiError(404, 'not_found', 'Pass Key not found');
      case 'unauthorized':
        throw new ApiError(401, 'unauthorized', 'Unauthorized');
      case 'invalid_tenant':
        throw invalidTenant();
    }
  });

  return router;
}

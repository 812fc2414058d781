import { CredentialRejected, signIn } from '../../identity/sign-in.js';
import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Config } from '../../platform/config.js';
import type { Orm } from '../../platform/db/orm.js';
import { ApiError, tooManyRequests } from '../../platform/http/errors.js';
import { createCredentialLimiter } from '../../identity/limits/credential-limiter.js';
import { ipRateLimit } from '../../platform/http/ip-rate-limit.js';
import type { ResolveAccessToken } from '../../oauth/callers/access-token-resolver.js';
import { mintAccessToken } from '../../oauth/token-minter.js';
import { currentTenantAdmin, requireServiceAdmin, requireTenantAdmin, TENANT_ADMIN_SCOPE, tenantAdminSubject } from '../../oauth/callers/tenant-admin.js';
import type { TenantRow, TenantStatus } from '../../identity/tenants/entities.js';
import { createTenantInput, specTimestamp, tenantAdminLoginInput, tenantAdminSignUpInput } from '../../identity/tenants/schemas.js';
import { authenticateTenantAdmin, createTenant, fieldError, refreshApiKey, requireOwnedActiveTenant, setTenantStatus, signUpTenantAdmin } from '../../identity/tenants/service.js';

export interface TenantRouteDependencies {
  config: Config;
  orm: Orm;
  resolveAccessToken: ResolveAccessToken;
  provider: () => Provider;
}

const em = (orm: Orm) => orm.em.fork() as EntityManager;

const tenantView = (tenant: TenantRow) => ({ tenant_id: tenant.id, tenant_name: tenant.name, tenant_status: tenant.status });

/**
 * Tenant administration (spec steps 1–3): tenant admin sign-up and login, tenant creation, API
 * key refresh, and activation by the service operator. Errors take the tenant family's shape
 * (src/platform/http/error-handler.ts).
 */
export function createTenantRoutes(deps: TenantRouteDependencies) {
  const router = new Router({ prefix: '/api/v2' });
  const tenantAdmin = requireTenantAdmin(deps);
  const serviceAdmin = requireServiceAdmin(deps);
  const loginLimiter = createCredentialLimiter(em(deps.orm).getKnex(), {
    name: 'tenant-login',
    failuresPerIdentifier: 5,
    failuresPerIp: 50,
    windowSeconds: 15 * 60,
    baseLockSeconds: 30,
    maxLockSeconds: 3600,
  });

  // The spec documents "The email has already been taken." as this route's answer for a registered
  // address, so the answer itself stays; the per-IP allowance is what stops bulk enumeration.
  const signUpLimit = ipRateLimit(em(deps.orm).getKnex(), {
    name: 'tenant-sign-up',
    points: deps.config.enumeration.tenantSignUpsPerIp,
    windowSeconds: deps.config.enumeration.tenantSignUpWindowSeconds,
  });

  router.post('/tenant/user', signUpLimit, async (ctx) => {
    const input = tenantAdminSignUpInput.parse(ctx.request.body ?? {});
    const admin = await signUpTenantAdmin(em(deps.orm), input);
    ctx.body = {
      status: 'SUCCESS',
      message: 'User created successfully',
      data: {
        first_name: admin.name,
        username: admin.email,
        email: admin.email,
        updated_at: specTimestamp(admin.updatedAt),
        created_at: specTimestamp(admin.createdAt),
      },
    };
  });

  router.post('/login', async (ctx) => {
    const { email, password } = tenantAdminLoginInput.parse(ctx.request.body ?? {});
    const outcome = await signIn(em(deps.orm), {
      limiter: loginLimiter,
      limiterKey: email,
      method: 'tenant_admin_password',
      attempt: { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, source: 'tenant' },
      verify: async () => {
        const found = await authenticateTenantAdmin(em(deps.orm), email, password);
        if (!found) throw new CredentialRejected('Invalid credentials');
        return { customerId: undefined, admin: found };
      },
    });
    if (outcome.result === 'locked') throw tooManyRequests(outcome.retryAfterSeconds);
    if (outcome.result === 'failed') throw new ApiError(401, 'invalid_credentials', 'Invalid credentials');
    const { admin } = outcome;
    const minted = await mintAccessToken(deps.provider(), deps.config, {
      accountId: tenantAdminSubject(admin.id),
      scope: TENANT_ADMIN_SCOPE,
      ttlSeconds: deps.config.tenantAdminTokenTtlSeconds,
      grantType: 'urn:gatehouse:tenant-admin-login',
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { success: true, token: minted.accessToken, token_type: 'Bearer', expires_in: minted.expiresIn };
  });

  router.post('/tenant', tenantAdmin, async (ctx) => {
    const { tenant_name } = createTenantInput.parse(ctx.request.body ?? {});
    const tenant = await createTenant(em(deps.orm), { name: tenant_name, ownerId: currentTenantAdmin(ctx).id });
    ctx.body = { status: 'Success', message: 'Tenant created successfully', data: tenantView(tenant) };
  });

  router.post('/tenant/:tenantId/api_key/refresh', tenantAdmin, async (ctx) => {
    const manager = em(deps.orm);
    const tenant = await requireOwnedActiveTenant(manager, {
      tenantId: ctx.params.tenantId!,
      ownerId: currentTenantAdmin(ctx).id,
      invalidMessage: 'The tenant id is invalid.',
    });
    const apiKey = await refreshApiKey(manager, tenant);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'Success', api_key: apiKey };
  });

  const changeStatus = (status: TenantStatus) => async (ctx: Context) => {
    const tenant = await setTenantStatus(em(deps.orm), String(ctx.params.tenantId), status);
    // The service operator may know which tenants exist; tenant isolation concerns tenant admins and API keys.
    if (!tenant) throw fieldError('tenant_id', 'The selected tenant id is invalid.');
    ctx.body = { status: 'Success', message: status === 'ACTIVE' ? 'Tenant activated successfully' : 'Tenant deactivated successfully', data: tenantView(tenant) };
  };
  router.post('/tenant/:tenantId/activate', serviceAdmin, changeStatus('ACTIVE'));
  router.post('/tenant/:tenantId/deactivate', serviceAdmin, changeStatus('INACTIVE'));

  return router;
}

import { requestEntityManager } from '../../platform/db/orm.js';
import { CredentialRejected, signIn } from '../../identity/sign-in.js';
import type Provider from 'oidc-provider';
import { z } from 'zod';
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
import { route, routerFor, type DeclaredRoute } from '../../platform/openapi/route.js';
import { retryAfter, tenantFailureResponse, tenantInvalid } from '../../platform/openapi/shapes.js';
import { tenantIdPath, tenantRefused, exampleTenantId } from './declarations.js';
import {
  authenticateTenantAdmin,
  createTenant,
  fieldError,
  refreshApiKey,
  requireOwnedActiveTenant,
  setTenantStatus,
  signUpTenantAdmin,
} from '../../identity/tenants/service.js';

export interface TenantRouteDependencies {
  config: Config;
  orm: Orm;
  resolveAccessToken: ResolveAccessToken;
  provider: () => Provider;
}

const em = (orm: Orm) => requestEntityManager(orm);

const tags: ['Tenants'] = ['Tenants'];
const tenantExample = { tenant_id: exampleTenantId, tenant_name: 'Acme Telecom', tenant_status: 'INACTIVE' };

const signUpResponse = z
  .object({
    status: z.literal('SUCCESS'),
    message: z.string(),
    data: z.object({ first_name: z.string(), username: z.string(), email: z.string(), updated_at: z.string(), created_at: z.string() }),
  })
  .meta({ id: 'TenantAdminSignUp' });
const loginResponse = z
  .object({ success: z.literal(true), token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int() })
  .meta({ id: 'TenantAdminToken' });
const tenantView = z.object({ tenant_id: z.uuid(), tenant_name: z.string(), tenant_status: z.enum(['ACTIVE', 'INACTIVE']) }).meta({ id: 'Tenant' });
const tenantChange = z.object({ status: z.literal('Success'), message: z.string(), data: tenantView }).meta({ id: 'TenantChange' });
const apiKeyResponse = z.object({ status: z.literal('Success'), api_key: z.string() }).meta({ id: 'TenantApiKey' });

const tenantFields = (tenant: TenantRow) => ({ tenant_id: tenant.id, tenant_name: tenant.name, tenant_status: tenant.status });

/**
 * Tenant administration (spec steps 1–3): tenant admin sign-up and login, tenant creation, API
 * key refresh, and activation by the service operator. Errors take the tenant family's shape
 * (src/platform/http/error-handler.ts).
 */
export function createTenantRoutes(deps: TenantRouteDependencies) {
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

  const changeStatus = (action: 'activate' | 'deactivate', status: TenantStatus): DeclaredRoute =>
    route({
      method: 'post',
      path: `/api/v2/tenant/{tenantId}/${action}`,
      tags,
      summary: `${action === 'activate' ? 'Activate' : 'Deactivate'} a tenant (service admin: client-credentials token with tenants:admin)`,
      security: [{ bearer: [TENANT_ADMIN_SCOPE] }],
      middleware: [serviceAdmin],
      request: { params: tenantIdPath },
      responses: {
        200: {
          description: 'Status changed',
          schema: tenantChange,
          example: {
            status: 'Success',
            message: status === 'ACTIVE' ? 'Tenant activated successfully' : 'Tenant deactivated successfully',
            data: { ...tenantExample, tenant_status: status },
          },
        },
        400: tenantInvalid({ field: 'tenant_id', message: 'The selected tenant id is invalid.' }),
        ...tenantRefused,
      },
      async handler(ctx, { params }) {
        const tenant = await setTenantStatus(em(deps.orm), params.tenantId, status);
        // The service operator may know which tenants exist; tenant isolation concerns tenant admins and API keys.
        if (!tenant) throw fieldError('tenant_id', 'The selected tenant id is invalid.');
        ctx.body = {
          status: 'Success',
          message: status === 'ACTIVE' ? 'Tenant activated successfully' : 'Tenant deactivated successfully',
          data: tenantFields(tenant),
        };
      },
    });

  return routerFor([
    route({
      method: 'post',
      path: '/api/v2/tenant/user',
      tags,
      summary: 'Tenant admin sign-up',
      description: 'Public; limited per IP (TENANT_SIGNUPS_PER_IP).',
      security: [],
      middleware: [signUpLimit],
      request: {
        body: tenantAdminSignUpInput,
        bodyTypes: ['json'],
        example: { name: "Mary-Jane O'Neil", email: 'mary@acme.example', password: 'correct horse battery staple' },
      },
      responses: {
        200: {
          description: 'User created successfully',
          schema: signUpResponse,
          example: {
            status: 'SUCCESS',
            message: 'User created successfully',
            data: {
              first_name: "Mary-Jane O'Neil",
              username: 'mary@acme.example',
              email: 'mary@acme.example',
              updated_at: '2026-11-26 10:21:14',
              created_at: '2026-11-26 10:21:14',
            },
          },
        },
        400: tenantInvalid({ field: 'email', message: 'The email has already been taken.' }),
        429: tenantFailureResponse('Too many sign-ups from this IP; see Retry-After', 'Too many attempts, try again later', retryAfter),
      },
      async handler(ctx, { body }) {
        const admin = await signUpTenantAdmin(em(deps.orm), body);
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
      },
    }),
    route({
      method: 'post',
      path: '/api/v2/login',
      tags,
      summary: 'Tenant admin login: a bearer token scoped to tenant administration',
      description: 'Public. The token lives TENANT_ADMIN_TOKEN_TTL (30 days by default). Failures are limited per e-mail address and per IP.',
      security: [],
      request: { body: tenantAdminLoginInput, bodyTypes: ['json'], example: { email: 'mary@acme.example', password: 'correct horse battery staple' } },
      responses: {
        200: {
          description: 'Token',
          schema: loginResponse,
          example: {
            success: true,
            token: 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ0ZW5hbnQtYWRtaW46In0.c2ln',
            token_type: 'Bearer',
            expires_in: 2592000,
          },
        },
        400: tenantInvalid({ field: 'email', message: 'The email field is required.' }),
        401: tenantFailureResponse('Invalid credentials', 'Invalid credentials'),
        429: tenantFailureResponse('Too many attempts; see Retry-After', 'Too many attempts, try again later', retryAfter),
      },
      async handler(ctx, { body: { email, password } }) {
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
      },
    }),
    route({
      method: 'post',
      path: '/api/v2/tenant',
      tags,
      summary: 'Create a tenant (INACTIVE until a service admin activates it)',
      security: [{ tenantAdmin: [TENANT_ADMIN_SCOPE] }],
      middleware: [tenantAdmin],
      request: { body: createTenantInput, bodyTypes: ['json'], example: { tenant_name: 'Acme Telecom' } },
      responses: {
        200: {
          description: 'Tenant created successfully',
          schema: tenantChange,
          example: { status: 'Success', message: 'Tenant created successfully', data: tenantExample },
        },
        400: tenantInvalid({ field: 'tenant_name', message: 'The tenant name field is required.' }),
        ...tenantRefused,
      },
      async handler(ctx, { body }) {
        const tenant = await createTenant(em(deps.orm), { name: body.tenant_name, ownerId: currentTenantAdmin(ctx).id });
        ctx.body = { status: 'Success', message: 'Tenant created successfully', data: tenantFields(tenant) };
      },
    }),
    route({
      method: 'post',
      path: '/api/v2/tenant/{tenantId}/api_key/refresh',
      tags,
      summary: 'New tenant API key (shown once; the previous key stops working at once)',
      security: [{ tenantAdmin: [TENANT_ADMIN_SCOPE] }],
      middleware: [tenantAdmin],
      request: { params: tenantIdPath },
      responses: {
        200: { description: 'The new key', schema: apiKeyResponse, example: { status: 'Success', api_key: 'tk_3Jp9xQ2mV7nB4cR8sT1wY6zA0dF5gH' } },
        400: tenantInvalid({ field: 'tenant_id', message: 'The tenant id is invalid.' }),
        ...tenantRefused,
      },
      async handler(ctx, { params }) {
        const manager = em(deps.orm);
        const tenant = await requireOwnedActiveTenant(manager, {
          tenantId: params.tenantId,
          ownerId: currentTenantAdmin(ctx).id,
          invalidMessage: 'The tenant id is invalid.',
        });
        const apiKey = await refreshApiKey(manager, tenant);
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { status: 'Success', api_key: apiKey };
      },
    }),
    changeStatus('activate', 'ACTIVE'),
    changeStatus('deactivate', 'INACTIVE'),
  ]);
}

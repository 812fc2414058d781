import { requestEntityManager } from '../../platform/db/orm.js';
import cors from '@koa/cors';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { Config } from '../../platform/config.js';
import type { Orm } from '../../platform/db/orm.js';
import { ApiError } from '../../platform/http/errors.js';
import { createCredentialLimiter } from '../../identity/limits/credential-limiter.js';
import type { ResolveAccessToken } from '../../oauth/callers/access-token-resolver.js';
import { currentTenantAdmin, requireTenantAdmin, TENANT_ADMIN_SCOPE } from '../../oauth/callers/tenant-admin.js';
import { specTimestamp } from '../../identity/tenants/schemas.js';
import { requireOwnedActiveTenant } from '../../identity/tenants/service.js';
import { passcodeBudgets } from '../../identity/passcodes/rate-limits.js';
import { passcodeConfigInput, passcodeSubmissionInput, passKeyParam } from '../../identity/passcodes/schemas.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { retryAfter, tenantFailureResponse, tenantInvalid } from '../../platform/openapi/shapes.js';
import { exampleTenantId, tenantIdPath, tenantRefused } from './declarations.js';
import type { TenantRow } from '../../identity/tenants/entities.js';
import {
  configCreatorNumber,
  derivePasscodeKeys,
  getPasscodeConfig,
  invalidTenant,
  lookUpPasscode,
  savePasscodeConfig,
  submitPasscode,
  type EffectivePasscodeConfig,
} from '../../identity/passcodes/service.js';

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

const tags: ['Passcodes'] = ['Passcodes'];

const configDetailsView = z.object({
  pass_key_expires: z.number().int(),
  pass_phrase: z.string(),
  pass_phrase_method: z.string(),
  pass_phrase_length: z.number().int(),
});
const configView = z
  .object({
    id: z.number().int().nullable(),
    tenant_id: z.string(),
    tenant_config_details: configDetailsView,
    status: z.literal(1),
    /** The integer id of the tenant admin who created it (spec: `"created_by": 1400`); null for the defaults. */
    created_by: z.number().int().nullable(),
    updated_at: z.string().nullable(),
    created_at: z.string().nullable(),
  })
  .meta({ id: 'PasscodeConfig' });
const savedConfigView = z
  .object({
    status: z.literal('Success'),
    data: z.object({
      status: z.literal('Success'),
      message: z.string(),
      data: z.object({
        tenantDetails: z.object({
          tenant_id: z.string(),
          tenant_config_details: configDetailsView,
          created_by: z.number().int(),
          updated_at: z.string(),
          created_at: z.string(),
          id: z.number().int(),
        }),
      }),
    }),
  })
  .meta({ id: 'SavedPasscodeConfig' });
const submittedPasscode = z
  .object({ status: z.literal('Success'), data: z.object({ pass_key: z.string(), pass_phrase: z.string(), expires_in: z.number().int() }) })
  .meta({ id: 'SubmittedPasscode' });
const lookedUpPasscode = z.object({ status: z.literal('Success'), pass_phrase: z.string() }).meta({ id: 'PasscodeLookup' });

/** Tenant admins are numbered as the spec's `created_by` shows them. */
const exampleAdminNumber = 1400;
const exampleConfigDetails = { pass_key_expires: 300, pass_phrase: 'system', pass_phrase_method: 'numeric', pass_phrase_length: 6 };
const tooManyRequests = tenantFailureResponse('Too many requests; see Retry-After', 'Too many attempts, try again later', retryAfter);

/**
 * The passcode service (spec step 4): tenant configuration (tenant admin's bearer token), the
 * customer's public submission and the agent's look-up with the tenant's API key. The two trust
 * flow endpoints allow any origin: the widgets call them from the tenant's own sites, and no
 * cookie is involved (the agent's credential is the x-api-key header).
 */
export function createPasscodeRoutes(deps: PasscodeRouteDependencies) {
  const tenantAdmin = requireTenantAdmin(deps);
  const keys = derivePasscodeKeys(deps.config.secret);
  const knex = requestEntityManager(deps.orm).getKnex();
  const budgets = passcodeBudgets(deps.config.passcodes);
  const apiKeyLimiter = createCredentialLimiter(knex, {
    name: 'passcode-api-key',
    failuresPerIdentifier: 10,
    failuresPerIp: 50,
    windowSeconds: 15 * 60,
    baseLockSeconds: 30,
    maxLockSeconds: 3600,
  });
  const configSchema = passcodeConfigInput(deps.config.passcodes);
  const em = () => requestEntityManager(deps.orm);
  const widgetCors = cors({
    origin: '*',
    allowMethods: ['GET', 'POST'],
    allowHeaders: ['content-type', 'x-api-key', 'accept'],
    exposeHeaders: ['Retry-After'],
    maxAge: 600,
  });
  // The tenant is checked before the configuration is read: an unknown or foreign tenant is
  // refused as such whatever the body holds.
  const ownedActiveTenant =
    (invalidMessage: string): Middleware =>
    async (ctx, next) => {
      ctx.state.tenant = await requireOwnedActiveTenant(em(), { tenantId: String(ctx.params.tenantId), ownerId: currentTenantAdmin(ctx).id, invalidMessage });
      await next();
    };

  const router = routerFor([
    // Registered before the agent's look-up, whose `{key}` would otherwise also match "config".
    route({
      method: 'get',
      path: '/api/v2/{tenantId}/identity/passcode/config',
      tags,
      summary: 'Passcode configuration (the spec defaults until one is posted)',
      security: [{ tenantAdmin: [TENANT_ADMIN_SCOPE] }],
      middleware: [tenantAdmin, ownedActiveTenant('The selected tenant id is invalid.')],
      request: { params: tenantIdPath },
      responses: {
        200: {
          description: 'Configuration',
          schema: configView,
          example: {
            id: 4,
            tenant_id: exampleTenantId,
            tenant_config_details: exampleConfigDetails,
            status: 1,
            created_by: exampleAdminNumber,
            updated_at: '2026-11-26 10:21:14',
            created_at: '2026-11-26 10:21:14',
          },
        },
        400: tenantInvalid({ field: 'tenant_id', message: 'The selected tenant id is invalid.' }),
        ...tenantRefused,
      },
      async handler(ctx) {
        const tenant = ctx.state.tenant as TenantRow;
        const fork = em();
        const config = await getPasscodeConfig(fork, tenant.id);
        ctx.body = {
          id: config.id ?? null,
          tenant_id: tenant.id,
          tenant_config_details: configDetails(config),
          status: 1,
          created_by: await configCreatorNumber(fork, config),
          updated_at: timestamp(config.updatedAt),
          created_at: timestamp(config.createdAt),
        };
      },
    }),
    route({
      method: 'post',
      path: '/api/v2/{tenantId}/identity/passcode/config',
      tags,
      summary: 'Create or replace the passcode configuration',
      description: 'The spec spells `pass_pharse_allowed_characters`; `pass_phrase_allowed_characters` is accepted too.',
      security: [{ tenantAdmin: [TENANT_ADMIN_SCOPE] }],
      middleware: [tenantAdmin, ownedActiveTenant('The tenant id is invalid.')],
      request: {
        params: tenantIdPath,
        body: configSchema,
        bodyTypes: ['json'],
        example: { tenant_config_details: { pass_key_expires: 300, pass_phrase: 'system', pass_pharse_allowed_characters: 'numeric', pass_phrase_length: 6 } },
      },
      responses: {
        200: {
          description: 'Tenant Configuration created (or updated) successfully',
          schema: savedConfigView,
          example: {
            status: 'Success',
            data: {
              status: 'Success',
              message: 'Tenant Configuration created successfully',
              data: {
                tenantDetails: {
                  tenant_id: exampleTenantId,
                  tenant_config_details: exampleConfigDetails,
                  created_by: exampleAdminNumber,
                  updated_at: '2026-11-26 10:21:14',
                  created_at: '2026-11-26 10:21:14',
                  id: 4,
                },
              },
            },
          },
        },
        400: tenantInvalid({ field: 'tenant_config_details.pass_key_expires', message: 'The tenant config details.pass key expires must be an integer.' }),
        ...tenantRefused,
      },
      async handler(ctx, { body: input }) {
        const admin = currentTenantAdmin(ctx);
        const tenant = ctx.state.tenant as TenantRow;
        const fork = em();
        const { row, created } = await savePasscodeConfig(fork, { tenantId: tenant.id, adminId: admin.id, config: input });
        ctx.body = {
          status: 'Success',
          data: {
            status: 'Success',
            message: created ? 'Tenant Configuration created successfully' : 'Tenant Configuration updated successfully',
            data: {
              tenantDetails: {
                tenant_id: tenant.id,
                tenant_config_details: configDetails(row),
                created_by: (await configCreatorNumber(fork, row))!,
                updated_at: specTimestamp(row.updatedAt),
                created_at: specTimestamp(row.createdAt),
                id: row.id,
              },
            },
          },
        };
      },
    }),
    route({
      method: 'post',
      path: '/api/v2/{tenantId}/identity/passcode',
      tags,
      summary: 'Customer passcode submission (public, rate limited; CORS enabled for the widget)',
      description: 'Without `pass_phrase` (configuration `system`) one is generated. The tenant must be active.',
      security: [],
      middleware: [widgetCors],
      request: { params: tenantIdPath, body: passcodeSubmissionInput, bodyTypes: ['json'], example: { pass_key: '23456', pass_phrase: '481516' } },
      responses: {
        200: {
          description: 'Passcode',
          schema: submittedPasscode,
          example: { status: 'Success', data: { pass_key: '23456', pass_phrase: '481516', expires_in: 300 } },
        },
        400: tenantInvalid({ field: 'pass_key', message: 'The pass key field is required.' }),
        409: tenantFailureResponse('Key already taken by another user', 'Key already taken by another user'),
        429: tooManyRequests,
      },
      async handler(ctx, { params, body: input }) {
        const created = await submitPasscode(
          { em: em(), keys, budgets },
          { tenantId: params.tenantId, passKey: input.pass_key, passPhrase: input.pass_phrase, ip: ctx.ip },
        );
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { status: 'Success', data: { pass_key: input.pass_key, pass_phrase: created.passPhrase, expires_in: created.expiresIn } };
      },
    }),
    route({
      method: 'get',
      path: '/api/v2/{tenantId}/identity/passcode/{key}',
      tags,
      summary: 'Agent look-up of the passcode for a key (x-api-key)',
      description: 'The key a customer submitted; one that cannot be a key is simply not found (and audited as such). Failed keys are limited per IP.',
      security: [{ xApiKey: [] }],
      middleware: [widgetCors],
      request: { params: tenantIdPath.extend({ key: z.string().describe('The pass key the customer gave') }) },
      responses: {
        200: { description: 'Passcode', schema: lookedUpPasscode, example: { status: 'Success', pass_phrase: '481516' } },
        400: tenantFailureResponse('The tenant id is invalid.', 'The tenant id is invalid.'),
        401: tenantFailureResponse('Missing or wrong tenant API key', 'Unauthorized'),
        404: tenantFailureResponse('Pass Key not found', 'Pass Key not found'),
        410: tenantFailureResponse('Pass Key Expired', 'Pass Key Expired'),
        429: tooManyRequests,
      },
      async handler(ctx, { params }) {
        // The spec answers a key that cannot exist like any unknown one: 404, not a validation error.
        const passKey = passKeyParam.safeParse(params.key);
        if (!passKey.success) throw new ApiError(404, 'not_found', 'Pass Key not found');
        const lookup = await lookUpPasscode(
          { em: em(), keys, budgets, apiKeyLimiter },
          { tenantId: params.tenantId, apiKey: ctx.get('x-api-key'), passKey: passKey.data, ip: ctx.ip, requestId: ctx.state.requestId },
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
      },
    }),
  ]);
  // CORS preflights of the two widget endpoints (no operation of their own).
  router.options('/api/v2/:tenantId/identity/passcode', widgetCors);
  router.options('/api/v2/:tenantId/identity/passcode/:key', widgetCors);
  return router;
}

import { requestEntityManager } from '../../platform/db/orm.js';
import type { Orm } from '../../platform/db/orm.js';
import { currentCaller, type Authenticator, type Caller } from '../../oauth/callers/authenticator.js';
import { notFound } from '../../platform/http/errors.js';
import type { Logger } from '../../platform/logger.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { rempErrors, rempFailure } from '../../platform/openapi/shapes.js';
import { apiKeyIdParams, apiKeyListView, apiKeyView, createApiKeyInput, createdApiKeyView } from '../../identity/api-keys/schemas.js';
import { apiKeyFields, createApiKey, listApiKeys, revokeApiKey } from '../../identity/api-keys/service.js';
import type { ApiKeyVerifier } from '../../identity/api-keys/verifier.js';

export interface ApiKeyRouteDependencies {
  orm: Orm;
  logger: Logger;
  auth: Authenticator;
  apiKeys: Pick<ApiKeyVerifier, 'forget'>;
}

const ADMIN_PATH = '/api/v1/admin/api-keys';
const em = (orm: Orm) => requestEntityManager(orm);

const callerForAudit = (caller: Caller) =>
  caller.kind === 'user'
    ? { customerId: caller.customerId, clientId: caller.clientId }
    : caller.kind === 'client'
      ? { clientId: caller.clientId }
      : { keyId: caller.keyId };

const tags: ['API keys'] = ['API keys'];
const adminOnly = 'Needs a user or client-credentials token with the users:admin scope; API keys cannot manage API keys.';
const security = [{ bearer: ['users:admin'] }];
const refused = { 401: rempErrors.unauthorized, 403: rempErrors.forbidden };

const keyExample = {
  id: '9b2e4f1a-6c3d-4e8b-a5f7-1d0c2b3a4e5f',
  name: 'newsletter sync',
  prefix: 'gh_Xk3q9',
  endpoints: ['users.list', 'user-meta.list'],
  scopes: [],
  created_at: '2026-11-26T10:21:14.000Z',
  last_used_at: null,
  revoked_at: null,
};

/**
 * Administration of API keys (REMP "API tokens" admin, CRM.COM `api_key`): create (the key is
 * shown once), list (never the key or its hash), revoke. Only a user or client token with
 * users:admin may call them; API keys cannot manage API keys.
 */
export function createApiKeyRoutes(deps: ApiKeyRouteDependencies) {
  const admin = deps.auth.authenticate({ scopes: ['users:admin'] });

  return routerFor([
    route({
      method: 'post',
      path: ADMIN_PATH,
      tags,
      summary: 'Create an API key whitelisted for the given endpoint ids; the key is shown only in this response',
      description: `${adminOnly} With no endpoints the key may call nothing (REMP); "*" whitelists every endpoint.`,
      security,
      middleware: [admin],
      request: { body: createApiKeyInput, bodyTypes: ['json'], example: { name: 'newsletter sync', endpoints: ['users.list', 'user-meta.list'] } },
      responses: {
        201: { description: 'Created', schema: createdApiKeyView, example: { ...keyExample, key: 'gh_Xk3q9Vb7mN2pL5sR8tW1yZ4cF6hJ0dG3' } },
        400: rempErrors.invalid,
        ...refused,
      },
      async handler(ctx, { body }) {
        const { key, row } = await createApiKey(em(deps.orm), body);
        deps.logger.info({ keyId: row.id, endpoints: row.endpoints, by: callerForAudit(currentCaller(ctx)) }, 'API key created');
        ctx.status = 201;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { ...apiKeyFields(row), key };
      },
    }),
    route({
      method: 'get',
      path: ADMIN_PATH,
      tags,
      summary: 'List API keys (never the key or its hash)',
      description: adminOnly,
      security,
      middleware: [admin],
      responses: {
        200: { description: 'Every key, revoked ones included', schema: apiKeyListView, example: { api_keys: [keyExample] } },
        400: rempErrors.malformed,
        ...refused,
      },
      async handler(ctx) {
        const rows = await listApiKeys(em(deps.orm));
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { api_keys: rows.map(apiKeyFields) };
      },
    }),
    route({
      method: 'delete',
      path: `${ADMIN_PATH}/{id}`,
      tags,
      summary: 'Revoke an API key',
      description: `${adminOnly} Refused at once on the instance that revoked it, within API_KEY_CACHE_SECONDS (default 5) on the others.`,
      security,
      middleware: [admin],
      request: { params: apiKeyIdParams },
      responses: {
        200: { description: 'Revoked', schema: apiKeyView, example: { ...keyExample, revoked_at: '2026-11-27T08:00:00.000Z' } },
        400: rempErrors.invalid,
        ...refused,
        404: rempFailure('No such key', { code: 'not_found', message: 'API key not found' }),
      },
      async handler(ctx, { params }) {
        const row = await revokeApiKey(em(deps.orm), params.id);
        if (!row) throw notFound('API key not found');
        deps.apiKeys.forget(row.id);
        deps.logger.info({ keyId: row.id, by: callerForAudit(currentCaller(ctx)) }, 'API key revoked');
        ctx.body = apiKeyFields(row);
      },
    }),
  ]);
}

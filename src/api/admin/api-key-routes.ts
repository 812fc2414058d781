import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '../../platform/db/orm.js';
import { currentCaller, type Authenticator, type Caller } from '../../oauth/callers/authenticator.js';
import { notFound } from '../../platform/http/errors.js';
import type { Logger } from '../../platform/logger.js';
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
const em = (orm: Orm) => orm.em.fork() as EntityManager;

const callerForAudit = (caller: Caller) =>
  caller.kind === 'user' ? { customerId: caller.customerId, clientId: caller.clientId } : caller.kind === 'client' ? { clientId: caller.clientId } : { keyId: caller.keyId };

/**
 * Administration of API keys (REMP "API tokens" admin, CRM.COM `api_key`): create (the key is
 * shown once), list (never the key or its hash), revoke. Only a user or client token with
 * users:admin may call them; API keys cannot manage API keys.
 */
export function createApiKeyRoutes(deps: ApiKeyRouteDependencies) {
  const router = new Router();
  const admin = deps.auth.authenticate({ scopes: ['users:admin'] });

  router.post(ADMIN_PATH, admin, async (ctx) => {
    const input = createApiKeyInput.parse(ctx.request.body ?? {});
    const { key, row } = await createApiKey(em(deps.orm), input);
    deps.logger.info({ keyId: row.id, endpoints: row.endpoints, by: callerForAudit(currentCaller(ctx)) }, 'API key created');
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = createdApiKeyView.parse({ ...apiKeyFields(row), key });
  });

  router.get(ADMIN_PATH, admin, async (ctx) => {
    const rows = await listApiKeys(em(deps.orm));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = apiKeyListView.parse({ api_keys: rows.map(apiKeyFields) });
  });

  router.delete(`${ADMIN_PATH}/:id`, admin, async (ctx) => {
    const { id } = apiKeyIdParams.parse(ctx.params);
    const row = await revokeApiKey(em(deps.orm), id);
    if (!row) throw notFound('API key not found');
    deps.apiKeys.forget(row.id);
    deps.logger.info({ keyId: row.id, by: callerForAudit(currentCaller(ctx)) }, 'API key revoked');
    ctx.body = apiKeyView.parse(apiKeyFields(row));
  });

  return router;
}

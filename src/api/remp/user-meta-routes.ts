import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import { findCustomerById } from '../../identity/customers/service.js';
import type { Orm } from '../../platform/db/orm.js';
import { currentCaller, type Authenticator } from '../../oauth/callers/authenticator.js';
import { input } from '../../platform/http/body.js';
import { badRequest } from '../../platform/http/errors.js';
import { apiTokenEndpoint, assertMayActOn, requireAdminUser } from '../../oauth/callers/user-access.js';
import { deleteMetaInput, deleteMetaResponse, keyUsersInput, keyUsersResponse, listMetaInput, listMetaResponse, upsertMetaInput, upsertMetaResponse } from '../../identity/customers/meta/schemas.js';
import { deleteUserMetaRecorded, listUserMeta, upsertUserMetaRecorded, usersWithMeta } from '../../identity/customers/meta/service.js';

export interface UserMetaRouteDependencies {
  orm: Orm;
  auth: Authenticator;
}

/** REMP user meta API: `upsert`, `list` (public meta only), `key-users`, `delete`. */
export function createUserMetaRoutes(deps: UserMetaRouteDependencies) {
  const router = new Router({ prefix: '/api/v1/user-meta' });
  const em = () => deps.orm.em.fork() as EntityManager;

  router.post('/upsert', apiTokenEndpoint(deps.auth, 'user-meta.upsert', 'meta:write'), async (ctx) => {
    const body = upsertMetaInput.parse(input(ctx));
    const fork = em();
    const customer = assertMayActOn(currentCaller(ctx), await findCustomerById(fork, body.user_id));
    const row = await upsertUserMetaRecorded(fork, { customerId: customer.id, key: body.key, value: body.value, isPublic: body.is_public });
    ctx.body = upsertMetaResponse.parse({ key: row.key, value: row.value, is_public: row.isPublic });
  });

  // REMP documents POST, and its example lists with GET and a query string: both are served.
  const list = async (ctx: Context) => {
    const query = listMetaInput.parse(input(ctx));
    const caller = currentCaller(ctx);
    if (caller.kind !== 'user' && !query.user_id) throw badRequest('user_id: required with an API token', { fields: { user_id: ['required with an API token'] } });
    const fork = em();
    const customer = assertMayActOn(caller, await findCustomerById(fork, query.user_id ?? (caller.kind === 'user' ? caller.customerId : '')));
    const rows = await listUserMeta(fork, customer.id, { publicOnly: true, key: query.key });
    ctx.body = listMetaResponse.parse(rows.map((row) => ({ user_id: row.customerId, key: row.key, value: row.value })));
  };
  const listAuth = deps.auth.authenticate({ scopes: ['meta:read'], allowApiKey: { endpoint: 'user-meta.list' } });
  router.get('/list', listAuth, list);
  router.post('/list', listAuth, list);

  router.post('/key-users', apiTokenEndpoint(deps.auth, 'user-meta.key-users', 'meta:read'), async (ctx) => {
    requireAdminUser(currentCaller(ctx));
    const body = keyUsersInput.parse(input(ctx));
    const rows = await usersWithMeta(em(), { key: body.key, value: body.value });
    ctx.body = keyUsersResponse.parse(rows.map((row) => ({ user_id: row.customerId, value: row.value })));
  });

  router.post('/delete', apiTokenEndpoint(deps.auth, 'user-meta.delete', 'meta:write'), async (ctx) => {
    const body = deleteMetaInput.parse(input(ctx));
    const fork = em();
    const customer = assertMayActOn(currentCaller(ctx), await findCustomerById(fork, body.user_id));
    await deleteUserMetaRecorded(fork, { customerId: customer.id, key: body.key, value: body.value });
    ctx.body = deleteMetaResponse.parse({ status: 'ok' });
  });

  return router;
}

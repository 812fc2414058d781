import { requestEntityManager } from '../../platform/db/orm.js';
import { findCustomerByRef } from '../../identity/customers/service.js';
import { rempId } from './user-presenter.js';
import type { Orm } from '../../platform/db/orm.js';
import { currentCaller, type Authenticator } from '../../oauth/callers/authenticator.js';
import { badRequest } from '../../platform/http/errors.js';
import { route, routerFor, type DeclaredRoute } from '../../platform/openapi/route.js';
import { rempErrors } from '../../platform/openapi/shapes.js';
import { assertMayActOn } from '../../oauth/callers/user-access.js';
import {
  deleteMetaInput,
  deleteMetaResponse,
  keyUsersInput,
  keyUsersResponse,
  listMetaInput,
  listMetaResponse,
  upsertMetaInput,
  upsertMetaResponse,
} from '../../identity/customers/meta/schemas.js';
import { deleteUserMetaRecorded, listUserMeta, upsertUserMetaRecorded, usersWithMeta } from '../../identity/customers/meta/service.js';
import { apiToken, exampleUserId, rempBodyTypes, rempRefused } from './declarations.js';

export interface UserMetaRouteDependencies {
  orm: Orm;
  auth: Authenticator;
}

const tags: ['REMP user meta'] = ['REMP user meta'];

/** REMP user meta API: `upsert`, `list` (public meta only), `key-users`, `delete`. */
export function createUserMetaRoutes(deps: UserMetaRouteDependencies) {
  const em = () => requestEntityManager(deps.orm);

  // REMP documents POST, and its example lists with GET and a query string: both are served.
  const listAuth = deps.auth.authenticate({ scopes: ['meta:read'], allowApiKey: { endpoint: 'user-meta.list' } });
  const list = (method: 'get' | 'post'): DeclaredRoute =>
    route({
      method,
      path: '/api/v1/user-meta/list',
      tags,
      summary: "A user's public meta, optionally one key",
      description:
        "REMP user or API token: the customer's own access token with meta:read (lists its own meta; user_id of another user needs users:admin), an API key whitelisted for `user-meta.list`, " +
        'or a client-credentials token with meta:read (both need user_id). Public meta only.',
      security: [{ bearer: ['meta:read'] }, { apiKeyHeader: [] }, { xApiKey: [] }],
      middleware: [listAuth],
      request:
        method === 'get'
          ? { query: listMetaInput, mergeQueryAndBody: true }
          : { body: listMetaInput, bodyTypes: rempBodyTypes, mergeQueryAndBody: true, example: { user_id: exampleUserId, key: 'newsletter' } },
      responses: {
        200: { description: 'Public meta', schema: listMetaResponse, example: [{ user_id: exampleUserId, key: 'newsletter', value: 'weekly' }] },
        400: rempErrors.invalid,
        ...rempRefused,
        404: rempErrors.userNotFound,
      },
      async handler(ctx, input) {
        const query = (input.query ?? input.body)!;
        const caller = currentCaller(ctx);
        if (caller.kind !== 'user' && !query.user_id)
          throw badRequest('user_id: required with an API token', { fields: { user_id: ['required with an API token'] } });
        const fork = em();
        const customer = assertMayActOn(caller, await findCustomerByRef(fork, query.user_id ?? (caller.kind === 'user' ? caller.customerId : '')));
        const rows = await listUserMeta(fork, customer.id, { publicOnly: true, key: query.key });
        ctx.body = rows.map((row) => ({ user_id: rempId(customer), key: row.key, value: row.value }));
      },
    });

  return routerFor([
    route({
      method: 'post',
      path: '/api/v1/user-meta/upsert',
      tags,
      summary: 'Create or update a meta value of a user',
      ...apiToken(deps.auth, 'user-meta.upsert', 'meta:write'),
      request: {
        body: upsertMetaInput,
        bodyTypes: rempBodyTypes,
        mergeQueryAndBody: true,
        example: { user_id: exampleUserId, key: 'newsletter', value: 'weekly', is_public: true },
      },
      responses: {
        200: { description: 'The stored value', schema: upsertMetaResponse, example: { key: 'newsletter', value: 'weekly', is_public: true } },
        400: rempErrors.invalid,
        ...rempRefused,
        404: rempErrors.userNotFound,
      },
      async handler(ctx, { body }) {
        const fork = em();
        const customer = assertMayActOn(currentCaller(ctx), await findCustomerByRef(fork, body.user_id));
        const row = await upsertUserMetaRecorded(fork, { customerId: customer.id, key: body.key, value: body.value, isPublic: body.is_public });
        ctx.body = { key: row.key, value: row.value, is_public: row.isPublic };
      },
    }),
    list('get'),
    list('post'),
    route({
      method: 'post',
      path: '/api/v1/user-meta/key-users',
      tags,
      summary: 'Users having a meta key (optionally with a value)',
      ...apiToken(deps.auth, 'user-meta.key-users', 'meta:read', { admin: true }),
      request: { body: keyUsersInput, bodyTypes: rempBodyTypes, mergeQueryAndBody: true, example: { key: 'newsletter', value: 'weekly' } },
      responses: {
        200: { description: 'Users and their values', schema: keyUsersResponse, example: [{ user_id: exampleUserId, value: 'weekly' }] },
        400: rempErrors.invalid,
        ...rempRefused,
      },
      async handler(ctx, { body }) {
        const rows = await usersWithMeta(em(), { key: body.key, value: body.value });
        ctx.body = rows.map((row) => ({ user_id: row.numericId, value: row.value }));
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/user-meta/delete',
      tags,
      summary: 'Delete a meta key of a user (optionally only with a given value)',
      ...apiToken(deps.auth, 'user-meta.delete', 'meta:write'),
      request: { body: deleteMetaInput, bodyTypes: rempBodyTypes, mergeQueryAndBody: true, example: { user_id: exampleUserId, key: 'newsletter' } },
      responses: {
        200: { description: 'Deleted (also when nothing matched)', schema: deleteMetaResponse, example: { status: 'ok' } },
        400: rempErrors.invalid,
        ...rempRefused,
        404: rempErrors.userNotFound,
      },
      async handler(ctx, { body }) {
        const fork = em();
        const customer = assertMayActOn(currentCaller(ctx), await findCustomerByRef(fork, body.user_id));
        await deleteUserMetaRecorded(fork, { customerId: customer.id, key: body.key, value: body.value });
        ctx.body = { status: 'ok' };
      },
    }),
  ]);
}

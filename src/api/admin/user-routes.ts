import { requestEntityManager } from '../../platform/db/orm.js';
import type { Orm } from '../../platform/db/orm.js';
import { currentCaller, type Authenticator, type Caller } from '../../oauth/callers/authenticator.js';
import type { ProviderHolder } from '../../oauth/provider-holder.js';
import { revokeGrant } from '../../oauth/revoke-grant.js';
import type { Logger } from '../../platform/logger.js';
import { route, routerFor, type DeclaredRoute } from '../../platform/openapi/route.js';
import { rempErrors, rempFailure } from '../../platform/openapi/shapes.js';
import type { CustomerRow } from '../../identity/customers/entities.js';
import { adminUserParams, adminUserResponse, deleteProtectionInput, rolesInput } from '../../identity/remp-users/admin-schemas.js';
import {
  deactivateCustomer,
  findAdministeredCustomer,
  reactivateCustomer,
  setCustomerRoles,
  setDeleteProtection,
  type AdministeredCustomer,
} from '../../identity/remp-users/administration.js';

export interface AdminUserRouteDependencies {
  orm: Orm;
  logger: Logger;
  auth: Authenticator;
  providers: Pick<ProviderHolder, 'current'>;
}

const BASE = '/api/v1/admin/users/{id}';
const tags: ['Admin users'] = ['Admin users'];
const ADMIN_ENDPOINT = 'admin.users';
const refused = { 401: rempErrors.unauthorized, 403: rempErrors.forbidden };
const security = [{ bearer: ['users:admin'] }, { apiKeyHeader: [] }, { xApiKey: [] }];
const who =
  'A user or client-credentials token with users:admin, or an API key whitelisted for `admin.users`. `{id}` is the integer id REMP paths show, or the UUID.';
const notFoundResponse = { 404: rempFailure('No such user (anonymised users are gone)', { code: 'user_not_found', message: 'User not found' }) };

const exampleAdminUser = {
  id: '3f1c2a9e-8b4d-4c6e-9a7b-2d5e8f1a0c3b',
  numeric_id: 1042,
  email: 'jane@example.com',
  first_name: 'Jane',
  last_name: 'Doe',
  roles: ['redaktor'],
  delete_protected: false,
  deactivated_at: null,
  confirmed_at: '2026-11-26T10:21:14.000Z',
  created_at: '2026-11-26T10:21:14.000Z',
};
const answer = (description: string, user: Record<string, unknown> = {}) => ({
  200: { description, schema: adminUserResponse, example: { status: 'ok', user: { ...exampleAdminUser, ...user } } },
});

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);
const view = (customer: CustomerRow) => ({
  id: customer.id,
  numeric_id: customer.numericId!,
  email: customer.email ?? null,
  first_name: customer.firstName ?? null,
  last_name: customer.lastName ?? null,
  roles: customer.roles,
  delete_protected: customer.deleteProtected,
  deactivated_at: iso(customer.deactivatedAt),
  confirmed_at: iso(customer.confirmedAt),
  created_at: customer.createdAt.toISOString(),
});

const auditCaller = (caller: Caller) =>
  caller.kind === 'user'
    ? { customerId: caller.customerId, clientId: caller.clientId }
    : caller.kind === 'client'
      ? { clientId: caller.clientId }
      : { keyId: caller.keyId };

/**
 * What REMP's admin console does to a user, as an API (issue #13 §6): deactivate and reactivate
 * (REMP's `users/list` then tells them apart with `include_deactivated`), assign the admin roles
 * REMP's login answers, and protect an account from `user/delete`. Gatehouse's own paths: they
 * refuse as RFC 6750 says (401 for credentials).
 */
export function createAdminUserRoutes(deps: AdminUserRouteDependencies) {
  const em = () => requestEntityManager(deps.orm);
  const admin = deps.auth.authenticate({ scopes: ['users:admin'], allowApiKey: { endpoint: ADMIN_ENDPOINT } });

  async function respond(ctx: Parameters<DeclaredRoute['handler']>[0], action: string, result: AdministeredCustomer) {
    // After the commit: the tokens of ended sign-ins stop working (a deactivation).
    for (const grantId of result.grantIds) await revokeGrant(deps.providers.current, grantId);
    deps.logger.info({ customerId: result.customer.id, action, by: auditCaller(currentCaller(ctx)) }, 'user administered');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok', user: view(result.customer) };
  }

  const activation = (action: 'deactivate' | 'reactivate'): DeclaredRoute =>
    route({
      method: 'post',
      path: `${BASE}/${action}`,
      tags,
      summary:
        action === 'deactivate'
          ? 'Deactivate a user: no sign-in succeeds and every token of the user is revoked; the account and its data stay'
          : 'Reactivate a deactivated user',
      description: `${who} Repeating it changes nothing. Emits UserUpdatedEvent (\`changed: ["${action}d"]\`).`,
      security,
      middleware: [admin],
      request: { params: adminUserParams },
      responses: {
        ...answer(action === 'deactivate' ? 'Deactivated' : 'Active again', action === 'deactivate' ? { deactivated_at: '2026-11-30T09:00:00.000Z' } : {}),
        400: rempErrors.invalid,
        ...refused,
        ...notFoundResponse,
      },
      async handler(ctx, { params }) {
        await respond(ctx, action, action === 'deactivate' ? await deactivateCustomer(em(), params.id) : await reactivateCustomer(em(), params.id));
      },
    });

  return routerFor([
    route({
      method: 'get',
      path: BASE,
      tags,
      summary: 'A user’s ids, roles, delete protection and activation',
      description: who,
      security,
      middleware: [admin],
      request: { params: adminUserParams },
      responses: { ...answer('The user'), 400: rempErrors.invalid, ...refused, ...notFoundResponse },
      async handler(ctx, { params }) {
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { status: 'ok', user: view(await findAdministeredCustomer(em(), params.id)) };
      },
    }),
    activation('deactivate'),
    activation('reactivate'),
    route({
      method: 'put',
      path: `${BASE}/roles`,
      tags,
      summary: 'Set a user’s admin roles (REMP’s `roles` in users/login and users/create)',
      description: `${who} Replaces the list. The roles are REMP's labels: they grant nothing in Gatehouse, whose permissions are scopes.`,
      security,
      middleware: [admin],
      request: { params: adminUserParams, body: rolesInput, bodyTypes: ['json'], example: { roles: ['redaktor', 'superadmin'] } },
      responses: { ...answer('The roles set', { roles: ['redaktor', 'superadmin'] }), 400: rempErrors.invalid, ...refused, ...notFoundResponse },
      async handler(ctx, { params, body }) {
        await respond(ctx, 'roles', await setCustomerRoles(em(), params.id, body.roles));
      },
    }),
    route({
      method: 'put',
      path: `${BASE}/delete-protection`,
      tags,
      summary: 'Protect a user from self-service deletion, or lift the protection',
      description: `${who} While protected, \`POST /api/v1/user/delete\` answers 403 \`user_delete_protected\` and erases nothing.`,
      security,
      middleware: [admin],
      request: { params: adminUserParams, body: deleteProtectionInput, bodyTypes: ['json'], example: { delete_protected: true } },
      responses: { ...answer('Protection set', { delete_protected: true }), 400: rempErrors.invalid, ...refused, ...notFoundResponse },
      async handler(ctx, { params, body }) {
        await respond(ctx, 'delete_protection', await setDeleteProtection(em(), params.id, body.delete_protected));
      },
    }),
  ]);
}

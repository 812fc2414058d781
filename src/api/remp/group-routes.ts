import { requestEntityManager } from '../../platform/db/orm.js';
import { findCustomerByEmail } from '../../identity/customers/service.js';
import type { Orm } from '../../platform/db/orm.js';
import type { Authenticator } from '../../oauth/callers/authenticator.js';
import { ApiError } from '../../platform/http/errors.js';
import { route, routerFor, type DeclaredRoute } from '../../platform/openapi/route.js';
import { rempErrors, rempFailure, rempOk } from '../../platform/openapi/shapes.js';
import { noParameters } from '../../identity/customers/remp-schemas.js';
import { ADMIN_SCOPE, userNotFound } from '../../oauth/callers/user-access.js';
import { createGroupInput, createGroupResponse, groupMembershipInput, listGroupsResponse } from '../../identity/customers/groups/schemas.js';
import { addToGroup, createGroup, findGroup, listGroups, removeFromGroup } from '../../identity/customers/groups/service.js';
import type { UserGroupRow } from '../../identity/customers/groups/entities.js';
import { apiRefused, apiToken, exampleUser, rempBodyTypes, rempRefused } from './declarations.js';

export interface GroupRouteDependencies {
  orm: Orm;
  auth: Authenticator;
}

const groupView = (group: UserGroupRow) => ({ id: group.id, name: group.name, created_at: group.createdAt.toISOString() });

const tags: ['REMP users'] = ['REMP users'];
const adminOnly = 'A user or client-credentials token with users:admin.';
const groupExample = { id: 3, name: 'premium', created_at: '2026-11-26T10:21:14.000Z' };

/**
 * REMP `add-to-group` / `remove-from-group` (documented as GET in the heading and POST in the
 * example, so both are served) and group administration (`/api/v1/groups`, users:admin).
 */
export function createGroupRoutes(deps: GroupRouteDependencies) {
  const admin = deps.auth.authenticate({ scopes: [ADMIN_SCOPE] });

  const membership = (action: 'add-to-group' | 'remove-from-group', method: 'get' | 'post'): DeclaredRoute => {
    const change = action === 'add-to-group' ? addToGroup : removeFromGroup;
    const example = { email: exampleUser.email, group_id: 3 };
    return route({
      method,
      path: `/api/v1/users/${action}`,
      tags,
      summary: action === 'add-to-group' ? 'Add a user (by e-mail) to a group' : 'Remove a user (by e-mail) from a group',
      ...apiToken(deps.auth, `users.${action}`, 'groups:write', {
        admin: true,
        note: 'REMP documents GET in the heading and POST in the example: both are served (GET takes the query string).',
      }),
      request:
        method === 'get'
          ? { query: groupMembershipInput, mergeQueryAndBody: true }
          : { body: groupMembershipInput, bodyTypes: rempBodyTypes, mergeQueryAndBody: true, example },
      responses: {
        200: { description: 'Done (also when nothing had to change)', schema: rempOk, example: { status: 'ok' } },
        400: rempErrors.invalid,
        ...rempRefused,
        404: rempFailure('user_not_found or group_not_found', { code: 'group_not_found', message: 'User group not found' }),
      },
      async handler(ctx, input) {
        const { email, group_id } = (input.query ?? input.body)!;
        const em = requestEntityManager(deps.orm);
        const customer = await findCustomerByEmail(em, email);
        if (!customer) throw userNotFound();
        const group = await findGroup(em, group_id);
        if (!group) throw new ApiError(404, 'group_not_found', 'User group not found');
        await change(em, group, customer.id);
        ctx.body = { status: 'ok' };
      },
    });
  };

  return routerFor([
    membership('add-to-group', 'get'),
    membership('add-to-group', 'post'),
    membership('remove-from-group', 'get'),
    membership('remove-from-group', 'post'),
    route({
      method: 'post',
      path: '/api/v1/groups',
      tags,
      summary: 'Create a user group (also `npm run cli -- groups:create NAME`)',
      description: adminOnly,
      security: [{ bearer: [ADMIN_SCOPE] }],
      middleware: [admin],
      request: { body: createGroupInput, bodyTypes: rempBodyTypes, mergeQueryAndBody: true, example: { name: 'premium' } },
      responses: {
        201: { description: 'Created', schema: createGroupResponse, example: { status: 'ok', group: groupExample } },
        400: rempErrors.invalid,
        ...apiRefused,
        409: rempFailure('group_exists', { code: 'group_exists', message: 'A group with this name already exists' }),
      },
      async handler(ctx, { body }) {
        const group = await createGroup(requestEntityManager(deps.orm), body.name);
        ctx.status = 201;
        ctx.body = { status: 'ok', group: groupView(group) };
      },
    }),
    route({
      method: 'get',
      path: '/api/v1/groups',
      tags,
      summary: 'List user groups',
      description: `${adminOnly} Takes no parameters.`,
      security: [{ bearer: [ADMIN_SCOPE] }],
      middleware: [admin],
      request: { query: noParameters },
      responses: {
        200: { description: 'Every group', schema: listGroupsResponse, example: { status: 'ok', groups: [groupExample] } },
        400: rempErrors.invalid,
        ...apiRefused,
      },
      async handler(ctx) {
        const groups = await listGroups(requestEntityManager(deps.orm));
        ctx.body = { status: 'ok', groups: groups.map(groupView) };
      },
    }),
  ]);
}

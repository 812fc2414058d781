import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import { findCustomerByEmail } from '../../identity/customers/service.js';
import type { Orm } from '../../platform/db/orm.js';
import { currentCaller, type Authenticator } from '../../oauth/callers/authenticator.js';
import { input } from '../../platform/http/body.js';
import { ApiError } from '../../platform/http/errors.js';
import { rempOk } from '../../platform/openapi/shapes.js';
import { noParameters } from '../../identity/customers/remp-schemas.js';
import { ADMIN_SCOPE, apiTokenEndpoint, requireAdminUser, userNotFound } from '../../oauth/callers/user-access.js';
import { createGroupInput, createGroupResponse, groupMembershipInput, listGroupsResponse } from '../../identity/customers/groups/schemas.js';
import { addToGroup, createGroup, findGroup, listGroups, removeFromGroup } from '../../identity/customers/groups/service.js';
import type { UserGroupRow } from '../../identity/customers/groups/entities.js';

export interface GroupRouteDependencies {
  orm: Orm;
  auth: Authenticator;
}

const groupView = (group: UserGroupRow) => ({ id: group.id, name: group.name, created_at: group.createdAt.toISOString() });

/**
 * REMP `add-to-group` / `remove-from-group` (documented as GET in the heading and POST in the
 * example, so both are served) and group administration (`/api/v1/groups`, users:admin).
 */
export function createGroupRoutes(deps: GroupRouteDependencies) {
  const router = new Router();
  const admin = deps.auth.authenticate({ scopes: [ADMIN_SCOPE] });

  const membership = (change: typeof addToGroup) => async (ctx: Context) => {
    requireAdminUser(currentCaller(ctx));
    const { email, group_id } = groupMembershipInput.parse(input(ctx));
    const em = deps.orm.em.fork() as EntityManager;
    const customer = await findCustomerByEmail(em, email);
    if (!customer) throw userNotFound();
    const group = await findGroup(em, group_id);
    if (!group) throw new ApiError(404, 'group_not_found', 'User group not found');
    await change(em, group, customer.id);
    ctx.body = rempOk.parse({ status: 'ok' });
  };
  const add = [apiTokenEndpoint(deps.auth, 'users.add-to-group', 'groups:write'), membership(addToGroup)] as const;
  const remove = [apiTokenEndpoint(deps.auth, 'users.remove-from-group', 'groups:write'), membership(removeFromGroup)] as const;
  router.get('/api/v1/users/add-to-group', ...add);
  router.post('/api/v1/users/add-to-group', ...add);
  router.get('/api/v1/users/remove-from-group', ...remove);
  router.post('/api/v1/users/remove-from-group', ...remove);

  router.post('/api/v1/groups', admin, async (ctx) => {
    const { name } = createGroupInput.parse(input(ctx));
    const group = await createGroup(deps.orm.em.fork() as EntityManager, name);
    ctx.status = 201;
    ctx.body = createGroupResponse.parse({ status: 'ok', group: groupView(group) });
  });

  router.get('/api/v1/groups', admin, async (ctx) => {
    noParameters.parse(ctx.query);
    const groups = await listGroups(deps.orm.em.fork() as EntityManager);
    ctx.body = listGroupsResponse.parse({ status: 'ok', groups: groups.map(groupView) });
  });

  return router;
}

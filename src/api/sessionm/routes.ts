import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import type { Orm } from '../../platform/db/orm.js';
import { assertSelfOrScope, currentCaller, type Caller } from '../../oauth/callers/authenticator.js';
import { notFound } from '../../platform/http/errors.js';
import type { Logger } from '../../platform/logger.js';
import { sessionmAccess, type SessionmAccessDependencies } from './access.js';
import { sessionmErrors } from './errors.js';
import { sessionmUser } from './presenter.js';
import { createProfileBody, profileParams, searchQuery, SESSIONM_ENDPOINTS, sessionmUserResponse, updateProfileBody } from '../../identity/customers/sessionm/schemas.js';
import { createProfile, findProfileCustomer, loadProfile, searchProfileCustomer, updateProfile, type SessionmProfile } from '../../identity/customers/sessionm/service.js';

export interface SessionmRouteDependencies extends SessionmAccessDependencies {
  logger: Logger;
}

export const SESSIONM_USERS_PATH = '/priv/v1/apps/:api_key/users';

const fork = (orm: Orm) => orm.em.fork() as EntityManager;
const profileNotFound = () => notFound('User not found');

function respond(ctx: Context, profile: SessionmProfile) {
  ctx.set('Cache-Control', 'no-store');
  ctx.body = sessionmUserResponse.parse({ status: 'ok', user: sessionmUser(profile) });
}

const auditCaller = (ctx: Context) => {
  const caller: Caller = currentCaller(ctx);
  return { apiKeyId: ctx.state.apiKeyId as string, ...(caller.kind === 'user' ? { customerId: caller.customerId } : {}), clientId: 'clientId' in caller ? caller.clientId : undefined };
};

/** SessionM Standard Profile API, server to server (spec Steps 1, 2, 5, 6). */
export function createSessionmRoutes(deps: SessionmRouteDependencies) {
  const router = new Router();
  const errors = sessionmErrors();
  const access = (endpoint: string, scope: 'users:read' | 'users:write', allowUser: boolean) => sessionmAccess(deps, { endpoint, scope, allowUser });

  /** The profile a path id names; a user token reaches only its own (and learns nothing about others). */
  const resolve = async (ctx: Context, em: EntityManager) => {
    const { id } = profileParams.parse(ctx.params);
    const customer = await findProfileCustomer(em, id);
    const caller = currentCaller(ctx);
    if (caller.kind === 'user' && customer?.id !== caller.customerId) assertSelfOrScope(caller, customer?.id ?? id, 'users:admin');
    if (!customer) throw profileNotFound();
    return customer;
  };

  // Declared before `/:id`, which would otherwise take "search" for an id.
  router.get(`${SESSIONM_USERS_PATH}/search`, errors, access(SESSIONM_ENDPOINTS.search, 'users:read', false), async (ctx) => {
    const query = searchQuery.parse(ctx.query);
    const em = fork(deps.orm);
    const customer = await searchProfileCustomer(em, query);
    if (!customer) throw profileNotFound();
    respond(ctx, await loadProfile(em, customer));
  });

  router.post(SESSIONM_USERS_PATH, errors, access(SESSIONM_ENDPOINTS.create, 'users:write', false), async (ctx) => {
    const { user } = createProfileBody.parse(ctx.request.body ?? {});
    const profile = await createProfile(fork(deps.orm), user);
    deps.logger.info({ customerId: profile.customer.id, by: auditCaller(ctx) }, 'SessionM profile created');
    respond(ctx, profile);
  });

  router.get(`${SESSIONM_USERS_PATH}/:id`, errors, access(SESSIONM_ENDPOINTS.read, 'users:read', true), async (ctx) => {
    const em = fork(deps.orm);
    respond(ctx, await loadProfile(em, await resolve(ctx, em)));
  });

  router.put(`${SESSIONM_USERS_PATH}/:id`, errors, access(SESSIONM_ENDPOINTS.update, 'users:write', true), async (ctx) => {
    const { user } = updateProfileBody.parse(ctx.request.body ?? {});
    const em = fork(deps.orm);
    const customer = await resolve(ctx, em);
    const profile = await updateProfile(fork(deps.orm), customer.id, user);
    deps.logger.info({ customerId: customer.id, by: auditCaller(ctx) }, 'SessionM profile updated');
    respond(ctx, profile);
  });

  return router;
}

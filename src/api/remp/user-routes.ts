import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import { findCustomerByEmail, findCustomerById } from '../../identity/customers/service.js';
import { findActiveDeviceToken } from '../../identity/credentials/devices/service.js';
import { currentCaller, insufficientScope, type Authenticator } from '../../oauth/callers/authenticator.js';
import { input } from '../../platform/http/body.js';
import { ApiError } from '../../platform/http/errors.js';
import { ipRateLimit } from '../../platform/http/ip-rate-limit.js';
import type { CredentialLimiter } from '../../identity/limits/credential-limiter.js';
import { revokeGrant } from '../../oauth/revoke-grant.js';
import { rempOk } from '../../platform/openapi/shapes.js';
import { apiTokenEndpoint, assertMayActOn, assertMayActOnIds, isAdminUser, requireAdminUser, userNotFound, userTokenEndpoint } from '../../oauth/callers/user-access.js';
import { email as emailField } from '../../identity/customers/remp-fields.js';
import { readCustomerSummary } from '../../identity/customers/read-model.js';
import { rempUser } from './user-presenter.js';
import {
  createUserInput,
  createUserResponse,
  emailCheckInput,
  emailCheckResponse,
  emailOnlyInput,
  emailValidationResponse,
  listUsersInput,
  listUsersResponse,
  noParameters,
  rawEmailInput,
  updateUserInput,
  updateUserResponse,
  userInfoResponse,
} from '../../identity/customers/remp-schemas.js';
import { anonymizeCustomer, checkEmail, confirmUser, createRempUser, DeleteProtectedError, listUsers, setEmailValidity, updateRempUser } from '../../identity/remp-users/service.js';
import { issueRempUserToken, type SessionRouteDependencies } from './session-routes.js';

export interface UserRouteDependencies extends Pick<SessionRouteDependencies, 'config' | 'orm' | 'providers'> {
  auth: Authenticator;
  /** The login limiter: a password checked at users/email counts against the same allowance as a login. */
  loginLimiter: CredentialLimiter;
}

const invalidDeviceToken = () => new ApiError(400, 'invalid_device_token', 'device_token is invalid or revoked');

/**
 * The REMP users API (remp-crm-users-module, "API documentation"): user info, e-mail
 * availability, create, update, list, confirm, delete (anonymise) and e-mail (in)validation.
 */
export function createUserRoutes(deps: UserRouteDependencies) {
  const router = new Router();
  const em = () => deps.orm.em.fork() as EntityManager;

  router.get('/api/v1/user/info', userTokenEndpoint(deps.auth, 'users:read'), async (ctx) => {
    noParameters.parse(ctx.query);
    const caller = currentCaller(ctx);
    const customer = caller.kind === 'user' ? await readCustomerSummary(em(), caller.customerId) : null;
    if (!customer) throw userNotFound();
    ctx.body = userInfoResponse.parse({ status: 'ok', user: rempUser(customer), user_meta: customer.publicMeta });
  });

  // Public, as in REMP; a password check is limited like a login attempt on the same account.
  const emailCheck = async (ctx: Context) => {
    const body = emailCheckInput.parse(input(ctx));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = emailCheckResponse.parse(await checkEmail(em(), deps.loginLimiter, { ...body, ip: ctx.ip }));
  };
  // REMP answers taken (with the id) or available; the per-IP allowance keeps that answer for a
  // sign-up form while making bulk enumeration slow.
  const emailCheckLimit = ipRateLimit(em().getKnex(), {
    name: 'users-email',
    points: deps.config.enumeration.emailChecksPerIp,
    windowSeconds: deps.config.enumeration.emailCheckWindowSeconds,
  });
  router.post('/api/v1/users/email', emailCheckLimit, emailCheck);
  router.post('/api/v2/users/email', emailCheckLimit, emailCheck);

  router.post('/api/v1/users/create', apiTokenEndpoint(deps.auth, 'users.create', 'users:write'), async (ctx) => {
    requireAdminUser(currentCaller(ctx));
    const body = createUserInput.parse(input(ctx));
    const fork = em();
    // Checked before the user exists: a device already paired with someone cannot be paired with a new user.
    if (body.device_token) {
      const device = await findActiveDeviceToken(fork, body.device_token);
      if (!device || device.customerId) throw invalidDeviceToken();
    }
    // send_email: the welcome e-mail (with a generated password) waits for the notify module.
    const customer = await createRempUser(fork, body);
    const token = await issueRempUserToken(deps, customer.id, 'password', body.device_token);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = createUserResponse.parse({ status: 'ok', user: rempUser(customer, { roles: true }), access: { token } });
  });

  router.post('/api/v1/users/update', apiTokenEndpoint(deps.auth, 'users.update', 'users:write'), async (ctx) => {
    const { user_id, ...changes } = updateUserInput.parse(input(ctx));
    const caller = currentCaller(ctx);
    const fork = em();
    const customer = assertMayActOn(caller, await findCustomerById(fork, user_id));
    // ext_id links the account to another system's record: not for a user to set on itself.
    if (changes.ext_id !== undefined && caller.kind === 'user' && !isAdminUser(caller)) throw insufficientScope(['users:admin'], 'Only an administrator may set ext_id');
    const updated = await updateRempUser(fork, customer, changes);
    ctx.body = updateUserResponse.parse({ status: 'ok', user: rempUser(updated) });
  });

  router.post('/api/v1/users/list', apiTokenEndpoint(deps.auth, 'users.list', 'users:read'), async (ctx) => {
    const body = listUsersInput.parse(input(ctx));
    assertMayActOnIds(currentCaller(ctx), body.user_ids);
    const { rows, totalCount, totalPages } = await listUsers(em(), { ids: body.user_ids, page: body.page, includeDeactivated: body.include_deactivated ?? false });
    ctx.body = listUsersResponse.parse({
      status: 'ok',
      page: body.page,
      totalPages,
      totalCount,
      users: Object.fromEntries(rows.map((row) => [row.id, { id: row.id, email: row.email ?? null }])),
    });
  });

  router.post('/api/v1/users/confirm', apiTokenEndpoint(deps.auth, 'users.confirm', 'users:write'), async (ctx) => {
    requireAdminUser(currentCaller(ctx));
    const body = emailOnlyInput.parse(input(ctx));
    const fork = em();
    const customer = await findCustomerByEmail(fork, body.email);
    if (!customer) throw userNotFound();
    await confirmUser(fork, customer);
    ctx.body = rempOk.parse({ status: 'ok' });
  });

  router.post('/api/v1/user/delete', userTokenEndpoint(deps.auth, 'users:write'), async (ctx) => {
    noParameters.parse(input(ctx));
    const caller = currentCaller(ctx);
    if (caller.kind !== 'user') throw userNotFound();
    let result: Awaited<ReturnType<typeof anonymizeCustomer>>;
    try {
      result = await anonymizeCustomer(em(), caller.customerId);
    } catch (error) {
      if (!(error instanceof DeleteProtectedError)) throw error;
      throw new ApiError(403, 'user_delete_protected', 'Unable to delete user due to system protection configuration', {
        reason: 'Account cannot be deleted automatically. Please contact customer support.',
      });
    }
    if (!result) throw userNotFound();
    // After the commit: every token of the user stops working (the caller's own included).
    for (const grantId of result.grantIds) await revokeGrant(deps.providers.current, grantId);
    ctx.status = 204;
  });

  for (const [path, valid] of [['set-email-validated', true], ['set-email-invalidated', false]] as const) {
    router.post(`/api/v1/users/${path}`, apiTokenEndpoint(deps.auth, `users.${path}`, 'users:write'), async (ctx) => {
      requireAdminUser(currentCaller(ctx));
      // REMP tells a malformed request (invalid_request) from an e-mail that is not valid (invalid_param).
      const raw = rawEmailInput.parse(input(ctx));
      const address = emailField.safeParse(raw.email);
      if (!address.success) throw new ApiError(400, 'invalid_param', 'Email not valid');
      const fork = em();
      const customer = await findCustomerByEmail(fork, address.data);
      if (!customer) throw new ApiError(404, 'email_not_found', "Email isn't assigned to any user");
      await setEmailValidity(fork, customer, valid);
      ctx.body = emailValidationResponse.parse({ status: 'ok', message: valid ? 'Email has been validated' : 'Email has been invalidated', code: 'success' });
    });
  }

  return router;
}

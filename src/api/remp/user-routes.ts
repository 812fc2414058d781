import { requestEntityManager } from '../../platform/db/orm.js';
import { findCustomerByEmail, findCustomerById, findCustomerByRef } from '../../identity/customers/service.js';
import { findActiveDeviceToken } from '../../identity/credentials/devices/service.js';
import { currentCaller, insufficientScope, type Authenticator } from '../../oauth/callers/authenticator.js';
import { ApiError } from '../../platform/http/errors.js';
import { ipRateLimit } from '../../platform/http/ip-rate-limit.js';
import type { CredentialLimiter } from '../../identity/limits/credential-limiter.js';
import { revokeGrant } from '../../oauth/revoke-grant.js';
import { route, routerFor, type DeclaredRoute } from '../../platform/openapi/route.js';
import { rempErrors, rempFailure, rempOk } from '../../platform/openapi/shapes.js';
import { assertMayActOn, assertMayActOnIds, isAdminUser, userNotFound, userTokenEndpoint } from '../../oauth/callers/user-access.js';
import { email as emailField } from '../../identity/customers/remp-fields.js';
import { readCustomerSummaryReadMostly } from '../../identity/customers/read-model.js';
import { rempId, rempUser } from './user-presenter.js';
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
import {
  anonymizeCustomer,
  checkEmail,
  confirmUser,
  createRempUser,
  DeleteProtectedError,
  listUsers,
  setEmailValidity,
  updateRempUser,
} from '../../identity/remp-users/service.js';
import { issueRempUserToken, type SessionRouteDependencies } from './session-routes.js';
import { apiToken, exampleUser, exampleUserId, exampleUserToken, invalidInputOrDevice, rempBodyTypes, rempRefused } from './declarations.js';

export interface UserRouteDependencies extends Pick<SessionRouteDependencies, 'config' | 'orm' | 'providers'> {
  auth: Authenticator;
  /** The login limiter: a password checked at users/email counts against the same allowance as a login. */
  loginLimiter: CredentialLimiter;
}

const invalidDeviceToken = () => new ApiError(400, 'invalid_device_token', 'device_token is invalid or revoked');

const tags: ['REMP users'] = ['REMP users'];
const taken = rempFailure('email_taken or external_id_taken', { code: 'email_taken', message: 'A user with this e-mail already exists' });

/**
 * The REMP users API (remp-crm-users-module, "API documentation"): user info, e-mail
 * availability, create, update, list, confirm, delete (anonymise) and e-mail (in)validation.
 */
export function createUserRoutes(deps: UserRouteDependencies) {
  const em = () => requestEntityManager(deps.orm);

  // REMP answers taken (with the id) or available; the per-IP allowance keeps that answer for a
  // sign-up form while making bulk enumeration slow.
  const emailCheckLimit = ipRateLimit(em().getKnex(), {
    name: 'users-email',
    points: deps.config.enumeration.emailChecksPerIp,
    windowSeconds: deps.config.enumeration.emailCheckWindowSeconds,
  });
  // Public, as in REMP; a password check is limited like a login attempt on the same account.
  const emailCheck = (path: '/api/v1/users/email' | '/api/v2/users/email'): DeclaredRoute =>
    route({
      method: 'post',
      path,
      tags,
      summary: path.includes('v1')
        ? 'E-mail availability and optional password check (deprecated: use /api/v2/users/email)'
        : 'E-mail availability and optional password check',
      description:
        'Public. `password` is a boolean only when a password was sent and the e-mail is taken; password checks count against the login lock-out of the account. ' +
        'Checks are limited per IP (EMAIL_CHECKS_PER_IP).',
      security: [],
      middleware: [emailCheckLimit],
      request: {
        body: emailCheckInput,
        bodyTypes: rempBodyTypes,
        mergeQueryAndBody: true,
        example: { email: 'jane@example.com', password: 'correct horse battery staple' },
      },
      responses: {
        200: {
          description: 'Availability',
          schema: emailCheckResponse,
          example: { email: 'jane@example.com', status: 'taken', id: exampleUserId, password: true },
        },
        400: rempErrors.invalid,
        429: rempErrors.tooManyRequests,
      },
      async handler(ctx, { body }) {
        ctx.set('Cache-Control', 'no-store');
        ctx.body = await checkEmail(em(), deps.loginLimiter, { ...body, ip: ctx.ip });
      },
    });

  const emailValidity = (path: 'set-email-validated' | 'set-email-invalidated', valid: boolean): DeclaredRoute =>
    route({
      method: 'post',
      path: `/api/v1/users/${path}`,
      tags,
      summary: valid ? "Mark a user's e-mail address validated" : "Mark a user's e-mail address invalid (e.g. it bounced)",
      ...apiToken(deps.auth, `users.${path}`, 'users:write', { admin: true }),
      // REMP tells a malformed request (invalid_request) from an e-mail that is not valid (invalid_param).
      request: { body: rawEmailInput, bodyTypes: rempBodyTypes, mergeQueryAndBody: true, example: { email: 'jane@example.com' } },
      responses: {
        200: {
          description: 'code success',
          schema: emailValidationResponse,
          example: { status: 'ok', message: valid ? 'Email has been validated' : 'Email has been invalidated', code: 'success' },
        },
        400: rempFailure('invalid_request (malformed request) or invalid_param (e-mail not valid)', { code: 'invalid_param', message: 'Email not valid' }),
        ...rempRefused,
        404: rempFailure('email_not_found', { code: 'email_not_found', message: "Email isn't assigned to any user" }),
      },
      async handler(ctx, { body: raw }) {
        const address = emailField.safeParse(raw.email);
        if (!address.success) throw new ApiError(400, 'invalid_param', 'Email not valid');
        const fork = em();
        const customer = await findCustomerByEmail(fork, address.data);
        if (!customer) throw new ApiError(404, 'email_not_found', "Email isn't assigned to any user");
        await setEmailValidity(fork, customer, valid);
        ctx.body = { status: 'ok', message: valid ? 'Email has been validated' : 'Email has been invalidated', code: 'success' };
      },
    });

  return routerFor([
    route({
      method: 'get',
      path: '/api/v1/user/info',
      tags,
      summary: 'The signed-in user and its public meta',
      description: "REMP user token: the customer's own access token with users:read.",
      security: [{ bearer: ['users:read'] }],
      middleware: [userTokenEndpoint(deps.auth, 'users:read')],
      request: { query: noParameters },
      responses: {
        200: { description: 'User', schema: userInfoResponse, example: { status: 'ok', user: exampleUser, user_meta: { newsletter: 'weekly' } } },
        400: rempErrors.invalid,
        ...rempRefused,
        404: rempErrors.userNotFound,
      },
      async handler(ctx) {
        const caller = currentCaller(ctx);
        const customer = caller.kind === 'user' ? await readCustomerSummaryReadMostly(deps.orm, caller.customerId) : null;
        if (!customer) throw userNotFound();
        ctx.body = { status: 'ok', user: rempUser(customer), user_meta: customer.publicMeta };
      },
    }),
    emailCheck('/api/v1/users/email'),
    emailCheck('/api/v2/users/email'),
    route({
      method: 'post',
      path: '/api/v1/users/create',
      tags,
      summary: 'Register a user; returns a user token',
      ...apiToken(deps.auth, 'users.create', 'users:write', {
        admin: true,
        note: 'Without `password` one is generated (it is not returned; e-mailing it waits for the notify module). `unclaimed` users get NewUserEvent but not UserRegisteredEvent.',
      }),
      request: {
        body: createUserInput,
        bodyTypes: rempBodyTypes,
        mergeQueryAndBody: true,
        example: { email: 'jane@example.com', password: 'correct horse battery staple', first_name: 'Jane', last_name: 'Doe' },
      },
      responses: {
        200: {
          description: 'Created',
          schema: createUserResponse,
          example: { status: 'ok', user: { ...exampleUser, confirmed_at: null, roles: [] }, access: { token: exampleUserToken } },
        },
        400: invalidInputOrDevice,
        ...rempRefused,
        409: taken,
      },
      async handler(ctx, { body }) {
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
        ctx.body = { status: 'ok', user: rempUser(customer, { roles: true }), access: { token } };
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/users/update',
      tags,
      summary: "Change a user's e-mail, password, ext_id or locale",
      ...apiToken(deps.auth, 'users.update', 'users:write', { note: 'Only users:admin may set ext_id with a user token.' }),
      request: {
        body: updateUserInput,
        bodyTypes: rempBodyTypes,
        mergeQueryAndBody: true,
        example: { user_id: exampleUserId, email: 'jane.doe@example.com', locale: 'en_GB' },
      },
      responses: {
        200: {
          description: 'Updated',
          schema: updateUserResponse,
          example: { status: 'ok', user: { id: exampleUserId, uuid: exampleUser.uuid, email: 'jane.doe@example.com', confirmed_at: exampleUser.confirmed_at } },
        },
        400: rempErrors.invalid,
        ...rempRefused,
        404: rempErrors.userNotFound,
        409: taken,
      },
      async handler(ctx, { body: { user_id, ...changes } }) {
        const caller = currentCaller(ctx);
        const fork = em();
        const customer = assertMayActOn(caller, await findCustomerByRef(fork, user_id));
        // ext_id links the account to another system's record: not for a user to set on itself.
        if (changes.ext_id !== undefined && caller.kind === 'user' && !isAdminUser(caller))
          throw insufficientScope(['users:admin'], 'Only an administrator may set ext_id');
        const { id, uuid, email, confirmed_at } = rempUser(await updateRempUser(fork, customer, changes));
        ctx.body = { status: 'ok', user: { id, uuid, email, confirmed_at } };
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/users/list',
      tags,
      summary: 'Users by id, 1,000 a page; anonymised users never listed',
      ...apiToken(deps.auth, 'users.list', 'users:read'),
      request: { body: listUsersInput, bodyTypes: rempBodyTypes, mergeQueryAndBody: true, example: { user_ids: [exampleUserId], page: 1 } },
      responses: {
        200: {
          description: 'A page of users keyed by id',
          schema: listUsersResponse,
          example: {
            status: 'ok',
            page: 1,
            totalPages: 1,
            totalCount: 1,
            users: { [exampleUserId]: { id: exampleUserId, uuid: exampleUser.uuid, email: exampleUser.email } },
          },
        },
        400: rempErrors.invalid,
        ...rempRefused,
      },
      async handler(ctx, { body }) {
        const caller = currentCaller(ctx);
        const fork = em();
        // A user token may name itself by its integer id too.
        const own = caller.kind === 'user' && body.user_ids.some((ref) => typeof ref === 'number') ? await findCustomerById(fork, caller.customerId) : null;
        assertMayActOnIds(caller, body.user_ids, own?.numericId);
        const { rows, totalCount, totalPages } = await listUsers(fork, {
          ids: body.user_ids,
          page: body.page,
          includeDeactivated: body.include_deactivated ?? false,
        });
        ctx.body = {
          status: 'ok',
          page: body.page,
          totalPages,
          totalCount,
          users: Object.fromEntries(rows.map((row) => [String(rempId(row)), { id: rempId(row), uuid: row.id, email: row.email ?? null }])),
        };
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/users/confirm',
      tags,
      summary: 'Confirm a user by e-mail',
      ...apiToken(deps.auth, 'users.confirm', 'users:write', { admin: true }),
      request: { body: emailOnlyInput, bodyTypes: rempBodyTypes, mergeQueryAndBody: true, example: { email: 'jane@example.com' } },
      responses: {
        200: { description: 'Confirmed', schema: rempOk, example: { status: 'ok' } },
        400: rempErrors.invalid,
        ...rempRefused,
        404: rempErrors.userNotFound,
      },
      async handler(ctx, { body }) {
        const fork = em();
        const customer = await findCustomerByEmail(fork, body.email);
        if (!customer) throw userNotFound();
        await confirmUser(fork, customer);
        ctx.body = { status: 'ok' };
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/user/delete',
      tags,
      summary: 'Delete personal data and make the account anonymous; every token of the user is revoked',
      description: "REMP user token: the customer's own access token with users:write. Takes no parameters.",
      security: [{ bearer: ['users:write'] }],
      middleware: [userTokenEndpoint(deps.auth, 'users:write')],
      request: { body: noParameters, bodyTypes: rempBodyTypes, mergeQueryAndBody: true },
      responses: {
        204: { description: 'Anonymised' },
        400: rempErrors.invalid,
        401: rempRefused[401],
        403: rempFailure(
          'user_delete_protected (with `reason`; protection is set with PUT /api/v1/admin/users/{id}/delete-protection), or refused credentials (REMP answers 403 for a failed authorization)',
          {
            code: 'user_delete_protected',
            message: 'Unable to delete user due to system protection configuration',
            reason: 'Account cannot be deleted automatically. Please contact customer support.',
          },
        ),
        404: rempErrors.userNotFound,
      },
      async handler(ctx) {
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
      },
    }),
    emailValidity('set-email-validated', true),
    emailValidity('set-email-invalidated', false),
  ]);
}

import { requestEntityManager } from '../../platform/db/orm.js';
import { findReadMostly } from '../../platform/db/read-replica.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';
import type { Orm } from '../../platform/db/orm.js';
import { assertSelfOrScope, currentCaller, type Caller } from '../../oauth/callers/authenticator.js';
import { notFound } from '../../platform/http/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { ResponseSpec, SecurityRequirement } from '../../platform/openapi/operation.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { CUSTOMER_PROFILE_SCOPES, sessionmAccess, type SessionmAccessDependencies } from './access.js';
import { sessionmErrors } from './errors.js';
import { sessionmUser } from './presenter.js';
import {
  apiKeyParams,
  createProfileBody,
  profileParams,
  searchQuery,
  SESSIONM_ENDPOINTS,
  sessionmError,
  sessionmSearchResponse,
  sessionmUserResponse,
  updateProfileBody,
} from '../../identity/customers/sessionm/schemas.js';
import {
  createProfile,
  findProfileCustomer,
  loadProfile,
  searchProfiles,
  updateProfile,
  type SessionmProfile,
} from '../../identity/customers/sessionm/service.js';

export interface SessionmRouteDependencies extends SessionmAccessDependencies {
  logger: Logger;
}

const SESSIONM_USERS_PATH = '/priv/v1/apps/{api_key}/users';

const fork = (orm: Orm) => requestEntityManager(orm);
const profileNotFound = () => notFound('User not found');

function respond(ctx: Context, profile: SessionmProfile) {
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { status: 'ok', user: sessionmUser(profile) };
}

const auditCaller = (ctx: Context) => {
  const caller: Caller = currentCaller(ctx);
  return {
    apiKeyId: ctx.state.apiKeyId as string,
    ...(caller.kind === 'user' ? { customerId: caller.customerId } : {}),
    clientId: 'clientId' in caller ? caller.clientId : undefined,
  };
};

const tags: ['SessionM profiles'] = ['SessionM profiles'];
const profileResponse = sessionmUserResponse.meta({ id: 'SessionmProfile' });
const errorEnvelope = sessionmError.meta({ id: 'SessionmError' });

const failure = (description: string, code: string, message: string, extra: Record<string, unknown> = {}): ResponseSpec => ({
  description,
  schema: errorEnvelope,
  example: { status: 'error', errors: { code, message, ...extra } },
});
const failures = {
  400: failure('Invalid input; the message names the field', 'invalid_request', 'user.email: Invalid email address', {
    fields: { 'user.email': ['Invalid email address'] },
  }),
  401: failure(
    'Missing or invalid Authorization, or an unknown API key in the path (invalid_api_key)',
    'invalid_api_key',
    'The API key in the path is invalid or revoked',
  ),
  403: failure('Scope missing, or the API key is not whitelisted for this endpoint', 'forbidden', 'The API key is not whitelisted for this endpoint'),
};
const profileNotFoundResponse = { 404: failure('No such user (not_found)', 'not_found', 'User not found') };
const taken = (description: string) => ({ 409: failure(description, 'email_taken', 'A customer with this e-mail already exists') });

const access = (endpoint: string, scope: string, userToo: boolean, note = '') => ({
  description:
    `Two credentials: \`api_key\` in the path is a Gatehouse API key whitelisted for \`${endpoint}\`; the Authorization header is ` +
    `Basic client_id:client_secret of a client allowed client_credentials and ${scope}, or a client-credentials bearer token with ${scope}` +
    (userToo
      ? `, or the customer's own access token with ${CUSTOMER_PROFILE_SCOPES.join(' ')} (as the password grant of Step 3 issues it: openid profile email), for their own profile only.`
      : '.') +
    (note ? ` ${note}` : ''),
  security: [{ clientBasic: [] }, { bearer: [scope] }, ...(userToo ? [{ bearer: [...CUSTOMER_PROFILE_SCOPES] }] : [])] satisfies SecurityRequirement[],
});

const exampleProfile = {
  id: '3f1c2a9e-8b4d-4c6e-9a7b-2d5e8f1a0c3b',
  external_id: 'ext-1001',
  opted_in: true,
  activated: true,
  proxy_ids: [],
  identifiers: [{ external_id: 'ext-1001', external_id_type: 'loyalty' }],
  email: 'jane@example.com',
  gender: 'f',
  dob: '1990-04-12',
  created_at: '2026-11-26 10:21:14',
  updated_at: '2026-11-26 10:21:14',
  address: '12 Makariou Avenue',
  address2: null,
  city: 'Nicosia',
  zip: '1065',
  dma: null,
  state: null,
  country: 'CYP',
  suspended: false,
  last_name: 'Doe',
  first_name: 'Jane',
  registered_at: '2026-11-26 10:21:14',
  profile_photo_url: null,
  test_account: false,
  account_status: 'good',
  tier_levels: [],
  referrer_code: null,
  locale: 'en-US',
  phone_numbers: [{ phone_number: '+35799123456', phone_type: 'mobile', preference_flags: ['primary'], verified_ownership: false }],
};
const ok = (description: string) => ({ 200: { description, schema: profileResponse, example: { status: 'ok', user: exampleProfile } } });

/** SessionM Standard Profile API, server to server (spec Steps 1, 2, 5, 6). */
export function createSessionmRoutes(deps: SessionmRouteDependencies) {
  const errors = sessionmErrors();
  const guard = (endpoint: string, scope: 'users:read' | 'users:write', allowUser: boolean) => [
    errors,
    sessionmAccess(deps, { endpoint, scope, userScopes: allowUser ? CUSTOMER_PROFILE_SCOPES : undefined }),
  ];

  /** The profile a path id names; a user token reaches only its own (and learns nothing about others). */
  const resolve = async (ctx: Context, em: EntityManager, id: string) => {
    const customer = await findProfileCustomer(em, id);
    const caller = currentCaller(ctx);
    if (caller.kind === 'user' && customer?.id !== caller.customerId) assertSelfOrScope(caller, customer?.id ?? id, 'users:admin');
    if (!customer) throw profileNotFound();
    return customer;
  };

  return routerFor([
    // Declared before `{id}`, which would otherwise take "search" for an id.
    route({
      method: 'get',
      path: `${SESSIONM_USERS_PATH}/search`,
      tags,
      summary: 'Find profiles by e-mail, external id (and optionally its type), date of birth, or first and last name; a page at a time',
      ...access(
        SESSIONM_ENDPOINTS.search,
        'users:read',
        false,
        'Spec Step 1: `user` is the first match, as SessionM answers; `users` is the requested page of matches (`page`, `per_page` up to 100), ' +
          'oldest first, and `total` counts them all. Names match whole and case-insensitively. No match is a 404.',
      ),
      middleware: guard(SESSIONM_ENDPOINTS.search, 'users:read', false),
      request: { params: apiKeyParams, query: searchQuery },
      responses: {
        200: {
          description: 'The first match and a page of matches',
          schema: sessionmSearchResponse.meta({ id: 'SessionmProfileSearch' }),
          example: { status: 'ok', user: exampleProfile, users: [exampleProfile], page: 1, per_page: 20, total: 1 },
        },
        ...failures,
        ...profileNotFoundResponse,
      },
      async handler(ctx, { query }) {
        // Read-mostly: from the read replica when it is caught up and no customer was written on this node since.
        const found = await findReadMostly(deps.orm, 'sessionm_search', 'any_customer', (em, options) => searchProfiles(em, query, options));
        if (!found.first) throw profileNotFound();
        ctx.set('Cache-Control', 'no-store');
        ctx.body = {
          status: 'ok',
          user: sessionmUser(found.first),
          users: found.page.map(sessionmUser),
          page: query.page,
          per_page: query.per_page,
          total: found.total,
        };
      },
    }),
    route({
      method: 'post',
      path: SESSIONM_USERS_PATH,
      tags,
      summary: 'Create a profile with identifiers, address and phone numbers (emits NewUserEvent and UserRegisteredEvent)',
      ...access(
        SESSIONM_ENDPOINTS.create,
        'users:write',
        false,
        '`country` is ISO 3166-1 alpha-3 (alpha-2 accepted); phone numbers are stored in E.164 (read in `country` when they have no +prefix); ' +
          'the number flagged "primary" becomes the customer\'s primary phone.',
      ),
      middleware: guard(SESSIONM_ENDPOINTS.create, 'users:write', false),
      request: {
        params: apiKeyParams,
        body: createProfileBody,
        bodyTypes: ['json'],
        example: {
          user: {
            email: 'jane@example.com',
            first_name: 'Jane',
            last_name: 'Doe',
            external_id: 'ext-1001',
            external_id_type: 'loyalty',
            country: 'CYP',
            opted_in: 'true',
            phone_numbers: [{ phone_number: '+35799123456', phone_type: 'mobile', preference_flags: ['primary'] }],
          },
        },
      },
      responses: {
        ...ok('Created'),
        ...failures,
        ...taken('E-mail, external id or primary phone already belongs to a customer (email_taken, external_id_taken, phone_taken)'),
      },
      async handler(ctx, { body: { user } }) {
        const profile = await createProfile(fork(deps.orm), user);
        deps.logger.info({ customerId: profile.customer.id, by: auditCaller(ctx) }, 'SessionM profile created');
        respond(ctx, profile);
      },
    }),
    route({
      method: 'get',
      path: `${SESSIONM_USERS_PATH}/{id}`,
      tags,
      summary: 'Retrieve a profile by Gatehouse id or external id',
      ...access(SESSIONM_ENDPOINTS.read, 'users:read', true),
      middleware: guard(SESSIONM_ENDPOINTS.read, 'users:read', true),
      request: { params: profileParams },
      responses: { ...ok('The profile'), ...failures, ...profileNotFoundResponse },
      async handler(ctx, { params }) {
        const em = fork(deps.orm);
        respond(ctx, await loadProfile(em, await resolve(ctx, em, params.id)));
      },
    }),
    route({
      method: 'put',
      path: `${SESSIONM_USERS_PATH}/{id}`,
      tags,
      summary: 'Update the fields sent (null clears one; phone_numbers replaces the list); emits UserUpdatedEvent',
      ...access(SESSIONM_ENDPOINTS.update, 'users:write', true),
      middleware: guard(SESSIONM_ENDPOINTS.update, 'users:write', true),
      request: { params: profileParams, body: updateProfileBody, bodyTypes: ['json'], example: { user: { city: 'Limassol', zip: '3036', address2: null } } },
      responses: {
        ...ok('Updated'),
        ...failures,
        ...profileNotFoundResponse,
        ...taken('The new e-mail, external id or primary phone belongs to another customer'),
      },
      async handler(ctx, { params, body: { user } }) {
        const em = fork(deps.orm);
        const customer = await resolve(ctx, em, params.id);
        const profile = await updateProfile(fork(deps.orm), customer.id, user);
        deps.logger.info({ customerId: customer.id, by: auditCaller(ctx) }, 'SessionM profile updated');
        respond(ctx, profile);
      },
    }),
  ]);
}

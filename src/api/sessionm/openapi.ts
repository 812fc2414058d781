import type { ApiOperation } from '../../platform/openapi/operation.js';
import { apiKeyParams, createProfileBody, profileParams, searchQuery, SESSIONM_ENDPOINTS, sessionmError, sessionmUserResponse, updateProfileBody } from '../../identity/customers/sessionm/schemas.js';

const tags = ['SessionM profiles'];
const PATH = '/priv/v1/apps/{api_key}/users';

const access = (endpoint: string, scope: string, userToo: boolean) =>
  `Two credentials: \`api_key\` in the path is a Gatehouse API key whitelisted for \`${endpoint}\`; the Authorization header is ` +
  `Basic client_id:client_secret of a client allowed client_credentials and ${scope}, or a client-credentials bearer token with ${scope}` +
  (userToo ? `, or the customer's own access token with ${scope}.` : '.');

const failures = {
  400: { description: 'Invalid input; the message names the field', schema: sessionmError },
  401: { description: 'Missing or invalid Authorization, or an unknown API key in the path (invalid_api_key)', schema: sessionmError },
  403: { description: 'Scope missing, or the API key is not whitelisted for this endpoint', schema: sessionmError },
};
const notFound = { 404: { description: 'No such user (not_found)', schema: sessionmError } };
const ok = (description: string) => ({ 200: { description, schema: sessionmUserResponse } });

export const sessionmOperations: ApiOperation[] = [
  {
    method: 'get',
    path: `${PATH}/search`,
    tags,
    summary: 'Find a profile by e-mail, or by external id (and optionally its type)',
    description: access(SESSIONM_ENDPOINTS.search, 'users:read', false),
    security: ['clientBasic', 'bearer'],
    pathParams: apiKeyParams,
    query: searchQuery,
    responses: { ...ok('The profile'), ...failures, ...notFound },
  },
  {
    method: 'post',
    path: PATH,
    tags,
    summary: 'Create a profile with identifiers, address and phone numbers (emits NewUserEvent and UserRegisteredEvent)',
    description:
      `${access(SESSIONM_ENDPOINTS.create, 'users:write', false)} \`country\` is ISO 3166-1 alpha-3 (alpha-2 accepted); ` +
      'phone numbers are stored in E.164 (read in `country` when they have no +prefix); the number flagged "primary" becomes the customer\'s primary phone.',
    security: ['clientBasic', 'bearer'],
    pathParams: apiKeyParams,
    body: createProfileBody,
    bodyTypes: ['json'],
    responses: {
      ...ok('Created'),
      ...failures,
      409: { description: 'E-mail, external id or primary phone already belongs to a customer (email_taken, external_id_taken, phone_taken)', schema: sessionmError },
    },
  },
  {
    method: 'get',
    path: `${PATH}/{id}`,
    tags,
    summary: 'Retrieve a profile by Gatehouse id or external id',
    description: access(SESSIONM_ENDPOINTS.read, 'users:read', true),
    security: ['clientBasic', 'bearer'],
    pathParams: profileParams,
    responses: { ...ok('The profile'), ...failures, ...notFound },
  },
  {
    method: 'put',
    path: `${PATH}/{id}`,
    tags,
    summary: 'Update the fields sent (null clears one; phone_numbers replaces the list); emits UserUpdatedEvent',
    description: access(SESSIONM_ENDPOINTS.update, 'users:write', true),
    security: ['clientBasic', 'bearer'],
    pathParams: profileParams,
    body: updateProfileBody,
    bodyTypes: ['json'],
    responses: {
      ...ok('Updated'),
      ...failures,
      ...notFound,
      409: { description: 'The new e-mail, external id or primary phone belongs to another customer', schema: sessionmError },
    },
  },
];

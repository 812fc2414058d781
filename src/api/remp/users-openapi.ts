import type { ApiOperation, SecurityName } from '../../platform/openapi/operation.js';
import { rempError, rempOk, standardErrors } from '../../platform/openapi/shapes.js';
import {
  createUserInput,
  createUserResponse,
  emailCheckInput,
  emailCheckResponse,
  emailOnlyInput,
  emailValidationResponse,
  listUsersInput,
  listUsersResponse,
  updateUserInput,
  updateUserResponse,
  userInfoResponse,
} from '../../identity/customers/remp-schemas.js';

/** An API key in any of the headers, or a bearer access token. */
export const apiTokenSecurity: SecurityName[] = ['bearer', 'apiKeyHeader', 'xApiKey'];
export const rempBodyTypes: ApiOperation['bodyTypes'] = ['form', 'json', 'multipart'];

/** How a REMP "API token" endpoint is authorised, for its OpenAPI description. */
export function apiTokenAuth(endpoint: string, scope: string, user: 'self' | 'admin' = 'self'): string {
  const userRule = user === 'self' ? `A user token with ${scope} may act only on its own user unless it also carries users:admin.` : `A user token needs ${scope} and users:admin.`;
  return `REMP API token: an API key whitelisted for \`${endpoint}\`, or a client-credentials token with ${scope}. ${userRule}`;
}

export const rempAuthErrors = { 401: standardErrors[401], 403: standardErrors[403] };
const userNotFound = { description: 'user_not_found', schema: rempError };

export const userOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/user/info',
    tags: ['REMP users'],
    summary: 'The signed-in user and its public meta',
    description: "REMP user token: the customer's own access token with users:read.",
    security: ['bearer'],
    responses: { 200: { description: 'User', schema: userInfoResponse }, 400: standardErrors[400], ...rempAuthErrors, 404: userNotFound },
  },
  ...(['/api/v1/users/email', '/api/v2/users/email'] as const).map(
    (path): ApiOperation => ({
      method: 'post',
      path,
      tags: ['REMP users'],
      summary: path.includes('v1') ? 'E-mail availability and optional password check (deprecated: use /api/v2/users/email)' : 'E-mail availability and optional password check',
      description: 'Public. `password` is a boolean only when a password was sent and the e-mail is taken; password checks count against the login lock-out of the account.',
      body: emailCheckInput,
      bodyTypes: rempBodyTypes,
      responses: { 200: { description: 'Availability', schema: emailCheckResponse }, 400: standardErrors[400], 429: standardErrors[429] },
    }),
  ),
  {
    method: 'post',
    path: '/api/v1/users/create',
    tags: ['REMP users'],
    summary: 'Register a user; returns a user token',
    description: `${apiTokenAuth('users.create', 'users:write', 'admin')} Without \`password\` one is generated (it is not returned; e-mailing it waits for the notify module). \`unclaimed\` users get NewUserEvent but not UserRegisteredEvent.`,
    security: apiTokenSecurity,
    body: createUserInput,
    bodyTypes: rempBodyTypes,
    responses: {
      200: { description: 'Created', schema: createUserResponse },
      400: { description: 'Invalid input (the message names the field) or invalid_device_token', schema: rempError },
      ...rempAuthErrors,
      409: { description: 'email_taken or external_id_taken', schema: rempError },
    },
  },
  {
    method: 'post',
    path: '/api/v1/users/update',
    tags: ['REMP users'],
    summary: "Change a user's e-mail, password, ext_id or locale",
    description: `${apiTokenAuth('users.update', 'users:write')} Only users:admin may set ext_id with a user token.`,
    security: apiTokenSecurity,
    body: updateUserInput,
    bodyTypes: rempBodyTypes,
    responses: {
      200: { description: 'Updated', schema: updateUserResponse },
      400: standardErrors[400],
      ...rempAuthErrors,
      404: userNotFound,
      409: { description: 'email_taken or external_id_taken', schema: rempError },
    },
  },
  {
    method: 'post',
    path: '/api/v1/users/list',
    tags: ['REMP users'],
    summary: 'Users by id, 1,000 a page; anonymised users never listed',
    description: apiTokenAuth('users.list', 'users:read'),
    security: apiTokenSecurity,
    body: listUsersInput,
    bodyTypes: rempBodyTypes,
    responses: { 200: { description: 'A page of users keyed by id', schema: listUsersResponse }, 400: standardErrors[400], ...rempAuthErrors },
  },
  {
    method: 'post',
    path: '/api/v1/users/confirm',
    tags: ['REMP users'],
    summary: 'Confirm a user by e-mail',
    description: apiTokenAuth('users.confirm', 'users:write', 'admin'),
    security: apiTokenSecurity,
    body: emailOnlyInput,
    bodyTypes: rempBodyTypes,
    responses: { 200: { description: 'Confirmed', schema: rempOk }, 400: standardErrors[400], ...rempAuthErrors, 404: userNotFound },
  },
  {
    method: 'post',
    path: '/api/v1/user/delete',
    tags: ['REMP users'],
    summary: 'Delete personal data and make the account anonymous; every token of the user is revoked',
    description: "REMP user token: the customer's own access token with users:write.",
    security: ['bearer'],
    responses: {
      204: { description: 'Anonymised' },
      400: standardErrors[400],
      401: standardErrors[401],
      403: { description: 'user_delete_protected (with `reason`), or insufficient scope', schema: rempError },
      404: userNotFound,
    },
  },
  ...(['set-email-validated', 'set-email-invalidated'] as const).map(
    (action): ApiOperation => ({
      method: 'post',
      path: `/api/v1/users/${action}`,
      tags: ['REMP users'],
      summary: action === 'set-email-validated' ? "Mark a user's e-mail address validated" : "Mark a user's e-mail address invalid (e.g. it bounced)",
      description: apiTokenAuth(`users.${action}`, 'users:write', 'admin'),
      security: apiTokenSecurity,
      body: emailOnlyInput,
      bodyTypes: rempBodyTypes,
      responses: {
        200: { description: 'code success', schema: emailValidationResponse },
        400: { description: 'invalid_request (malformed request) or invalid_param (e-mail not valid)', schema: rempError },
        ...rempAuthErrors,
        404: { description: 'email_not_found', schema: rempError },
      },
    }),
  ),
];

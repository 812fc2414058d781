import type { ApiOperation } from '../../platform/openapi/operation.js';
import { rempError, rempOk, standardErrors } from '../../platform/openapi/shapes.js';
import { apiTokenAuth, apiTokenSecurity, rempAuthErrors, rempBodyTypes } from './users-openapi.js';
import { createGroupInput, createGroupResponse, groupMembershipInput, listGroupsResponse } from '../../identity/customers/groups/schemas.js';

const membership = (action: 'add-to-group' | 'remove-from-group'): ApiOperation[] =>
  (['get', 'post'] as const).map((method) => ({
    method,
    path: `/api/v1/users/${action}`,
    tags: ['REMP users'],
    summary: action === 'add-to-group' ? 'Add a user (by e-mail) to a group' : 'Remove a user (by e-mail) from a group',
    description: `${apiTokenAuth(`users.${action}`, 'groups:write', 'admin')} REMP documents GET in the heading and POST in the example: both are served (GET takes the query string).`,
    security: apiTokenSecurity,
    ...(method === 'get' ? { query: groupMembershipInput } : { body: groupMembershipInput, bodyTypes: rempBodyTypes }),
    responses: {
      200: { description: 'Done (also when nothing had to change)', schema: rempOk },
      400: standardErrors[400],
      ...rempAuthErrors,
      404: { description: 'user_not_found or group_not_found', schema: rempError },
    },
  }));

const adminOnly = 'A user or client-credentials token with users:admin.';

export const groupOperations: ApiOperation[] = [
  ...membership('add-to-group'),
  ...membership('remove-from-group'),
  {
    method: 'post',
    path: '/api/v1/groups',
    tags: ['REMP users'],
    summary: 'Create a user group (also `npm run cli -- groups:create NAME`)',
    description: adminOnly,
    security: ['bearer'],
    body: createGroupInput,
    bodyTypes: rempBodyTypes,
    responses: { 201: { description: 'Created', schema: createGroupResponse }, 400: standardErrors[400], ...rempAuthErrors, 409: { description: 'group_exists', schema: rempError } },
  },
  {
    method: 'get',
    path: '/api/v1/groups',
    tags: ['REMP users'],
    summary: 'List user groups',
    description: adminOnly,
    security: ['bearer'],
    responses: { 200: { description: 'Every group', schema: listGroupsResponse }, ...rempAuthErrors },
  },
];

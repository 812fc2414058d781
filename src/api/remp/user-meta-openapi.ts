import type { ApiOperation } from '../../platform/openapi/operation.js';
import { rempError, standardErrors } from '../../platform/openapi/shapes.js';
import { apiTokenAuth, apiTokenSecurity, rempAuthErrors, rempBodyTypes } from './users-openapi.js';
import { deleteMetaInput, deleteMetaResponse, keyUsersInput, keyUsersResponse, listMetaInput, listMetaResponse, upsertMetaInput, upsertMetaResponse } from '../../identity/customers/meta/schemas.js';

const userNotFound = { description: 'user_not_found', schema: rempError };
const listDescription =
  "REMP user or API token: the customer's own access token with meta:read (lists its own meta; user_id of another user needs users:admin), an API key whitelisted for `user-meta.list`, or a client-credentials token with meta:read (both need user_id). Public meta only.";

export const userMetaOperations: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/user-meta/upsert',
    tags: ['REMP user meta'],
    summary: 'Create or update a meta value of a user',
    description: apiTokenAuth('user-meta.upsert', 'meta:write'),
    security: apiTokenSecurity,
    body: upsertMetaInput,
    bodyTypes: rempBodyTypes,
    responses: { 200: { description: 'The stored value', schema: upsertMetaResponse }, 400: standardErrors[400], ...rempAuthErrors, 404: userNotFound },
  },
  ...(['get', 'post'] as const).map(
    (method): ApiOperation => ({
      method,
      path: '/api/v1/user-meta/list',
      tags: ['REMP user meta'],
      summary: "A user's public meta, optionally one key",
      description: listDescription,
      security: apiTokenSecurity,
      ...(method === 'get' ? { query: listMetaInput } : { body: listMetaInput, bodyTypes: rempBodyTypes }),
      responses: { 200: { description: 'Public meta', schema: listMetaResponse }, 400: standardErrors[400], ...rempAuthErrors, 404: userNotFound },
    }),
  ),
  {
    method: 'post',
    path: '/api/v1/user-meta/key-users',
    tags: ['REMP user meta'],
    summary: 'Users having a meta key (optionally with a value)',
    description: apiTokenAuth('user-meta.key-users', 'meta:read', 'admin'),
    security: apiTokenSecurity,
    body: keyUsersInput,
    bodyTypes: rempBodyTypes,
    responses: { 200: { description: 'Users and their values', schema: keyUsersResponse }, 400: standardErrors[400], ...rempAuthErrors },
  },
  {
    method: 'post',
    path: '/api/v1/user-meta/delete',
    tags: ['REMP user meta'],
    summary: 'Delete a meta key of a user (optionally only with a given value)',
    description: apiTokenAuth('user-meta.delete', 'meta:write'),
    security: apiTokenSecurity,
    body: deleteMetaInput,
    bodyTypes: rempBodyTypes,
    responses: { 200: { description: 'Deleted (also when nothing matched)', schema: deleteMetaResponse }, 400: standardErrors[400], ...rempAuthErrors, 404: userNotFound },
  },
];

import type { ApiOperation } from '../../platform/openapi/operation.js';
import { rempError, standardErrors } from '../../platform/openapi/shapes.js';
import { apiKeyIdParams, apiKeyListView, apiKeyView, createApiKeyInput, createdApiKeyView } from '../../identity/api-keys/schemas.js';

const adminOnly = 'Needs a user or client-credentials token with the users:admin scope; API keys cannot manage API keys.';
const unauthorized = { 401: standardErrors[401], 403: standardErrors[403] };

export const apiKeyOperations: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/admin/api-keys',
    tags: ['API keys'],
    summary: 'Create an API key whitelisted for the given endpoint ids; the key is shown only in this response',
    description: `${adminOnly} With no endpoints the key may call nothing (REMP); "*" whitelists every endpoint.`,
    security: ['bearer'],
    body: createApiKeyInput,
    bodyTypes: ['json'],
    responses: { 201: { description: 'Created', schema: createdApiKeyView }, 400: standardErrors[400], ...unauthorized },
  },
  {
    method: 'get',
    path: '/api/v1/admin/api-keys',
    tags: ['API keys'],
    summary: 'List API keys (never the key or its hash)',
    description: adminOnly,
    security: ['bearer'],
    responses: { 200: { description: 'Every key, revoked ones included', schema: apiKeyListView }, ...unauthorized },
  },
  {
    method: 'delete',
    path: '/api/v1/admin/api-keys/{id}',
    tags: ['API keys'],
    summary: 'Revoke an API key',
    description: `${adminOnly} Refused at once on the instance that revoked it, within API_KEY_CACHE_SECONDS (default 5) on the others.`,
    security: ['bearer'],
    pathParams: apiKeyIdParams,
    responses: { 200: { description: 'Revoked', schema: apiKeyView }, 400: standardErrors[400], ...unauthorized, 404: { description: 'No such key', schema: rempError } },
  },
];

import { z } from 'zod';
import type { ApiOperation } from '../../platform/openapi/operation.js';
import { tenantFailure, tenantFieldErrors } from '../../platform/openapi/shapes.js';
import { createTenantInput, tenantAdminLoginInput, tenantAdminSignUpInput } from '../../identity/tenants/schemas.js';

const tenantPath = z.object({ tenantId: z.uuid() });
const failures = {
  400: { description: 'Invalid request', schema: z.union([tenantFieldErrors, tenantFailure]) },
  401: { description: 'Missing or invalid token', schema: tenantFailure },
  403: { description: 'Not allowed (wrong kind of token, or tenant not active)', schema: tenantFailure },
  500: { description: 'Something went wrong. Please contact Administrator', schema: tenantFailure },
};

export const tenantOperations: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v2/tenant/user',
    tags: ['Tenants'],
    summary: 'Tenant admin sign-up',
    body: tenantAdminSignUpInput,
    bodyTypes: ['json'],
    responses: {
      200: {
        description: 'User created successfully',
        schema: z.object({ status: z.literal('SUCCESS'), message: z.string(), data: z.object({ first_name: z.string(), username: z.string(), email: z.string(), updated_at: z.string(), created_at: z.string() }) }),
      },
      400: failures[400],
      500: failures[500],
    },
  },
  {
    method: 'post',
    path: '/api/v2/login',
    tags: ['Tenants'],
    summary: 'Tenant admin login: a 30-day bearer token scoped to tenant administration',
    body: tenantAdminLoginInput,
    bodyTypes: ['json'],
    responses: {
      200: { description: 'Token', schema: z.object({ success: z.literal(true), token: z.string(), token_type: z.string(), expires_in: z.number() }) },
      401: { description: 'Invalid credentials', schema: tenantFailure },
      429: { description: 'Too many attempts', schema: tenantFailure },
    },
  },
  {
    method: 'post',
    path: '/api/v2/tenant',
    tags: ['Tenants'],
    summary: 'Create a tenant (INACTIVE until a service admin activates it)',
    security: ['tenantAdmin'],
    body: createTenantInput,
    bodyTypes: ['json'],
    responses: {
      200: { description: 'Tenant created successfully', schema: z.object({ status: z.literal('Success'), message: z.string(), data: z.object({ tenant_id: z.uuid(), tenant_name: z.string() }).loose() }) },
      ...failures,
    },
  },
  {
    method: 'post',
    path: '/api/v2/tenant/{tenantId}/api_key/refresh',
    tags: ['Tenants'],
    summary: 'New tenant API key (shown once; the previous key stops working at once)',
    security: ['tenantAdmin'],
    pathParams: tenantPath,
    responses: { 200: { description: 'The new key', schema: z.object({ status: z.literal('Success'), api_key: z.string() }) }, ...failures },
  },
  ...(['activate', 'deactivate'] as const).map(
    (action): ApiOperation => ({
      method: 'post',
      path: `/api/v2/tenant/{tenantId}/${action}`,
      tags: ['Tenants'],
      summary: `${action === 'activate' ? 'Activate' : 'Deactivate'} a tenant (service admin: client-credentials token with tenants:admin)`,
      security: ['bearer'],
      pathParams: tenantPath,
      responses: { 200: { description: 'Status changed', schema: z.object({ status: z.literal('Success') }).loose() }, ...failures },
    }),
  ),
];

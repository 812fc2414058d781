import { z } from 'zod';
import type { ApiOperation } from '../../platform/openapi/operation.js';
import { tenantFailure, tenantFieldErrors } from '../../platform/openapi/shapes.js';
import { passcodeSubmissionInput } from '../../identity/passcodes/schemas.js';

const tenantPath = z.object({ tenantId: z.uuid() });
const configDetails = z.object({
  pass_key_expires: z.number().int().describe('seconds'),
  pass_phrase: z.enum(['system', 'manual']),
  pass_pharse_allowed_characters: z.enum(['numeric', 'alphabets', 'alphanumeric']).optional().describe("the spec's spelling; pass_phrase_allowed_characters is accepted too"),
  pass_phrase_length: z.number().int().min(4).max(32).optional(),
});
const configResponse = z.object({
  pass_key_expires: z.number(),
  pass_phrase: z.string(),
  pass_phrase_method: z.string(),
  pass_phrase_length: z.number(),
});
const invalid = { description: 'Invalid request', schema: z.union([tenantFieldErrors, tenantFailure]) };

export const passcodeOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v2/{tenantId}/identity/passcode/config',
    tags: ['Passcodes'],
    summary: 'Passcode configuration',
    security: ['tenantAdmin'],
    pathParams: tenantPath,
    responses: { 200: { description: 'Configuration', schema: z.object({ tenant_id: z.string(), tenant_config_details: configResponse }).loose() }, 400: invalid, 401: { description: 'Unauthorized', schema: tenantFailure } },
  },
  {
    method: 'post',
    path: '/api/v2/{tenantId}/identity/passcode/config',
    tags: ['Passcodes'],
    summary: 'Create or replace the passcode configuration',
    security: ['tenantAdmin'],
    pathParams: tenantPath,
    body: z.object({ tenant_config_details: configDetails }),
    bodyTypes: ['json'],
    responses: { 200: { description: 'Tenant Configuration created successfully' }, 400: invalid, 401: { description: 'Unauthorized', schema: tenantFailure } },
  },
  {
    method: 'post',
    path: '/api/v2/{tenantId}/identity/passcode',
    tags: ['Passcodes'],
    summary: 'Customer passcode submission (public, rate limited; CORS enabled for the widget)',
    pathParams: tenantPath,
    body: passcodeSubmissionInput,
    bodyTypes: ['json'],
    responses: {
      200: { description: 'Passcode', schema: z.object({ status: z.literal('Success'), data: z.object({ pass_key: z.string(), pass_phrase: z.string() }) }) },
      400: invalid,
      409: { description: 'Key already taken by another user', schema: tenantFailure },
      429: { description: 'Too many requests', schema: tenantFailure },
    },
  },
  {
    method: 'get',
    path: '/api/v2/{tenantId}/identity/passcode/{key}',
    tags: ['Passcodes'],
    summary: 'Agent look-up of the passcode for a key (x-api-key)',
    security: ['xApiKey'],
    pathParams: z.object({ tenantId: z.string(), key: z.string() }),
    responses: {
      200: { description: 'Passcode', schema: z.object({ status: z.literal('Success'), pass_phrase: z.string() }) },
      400: { description: 'The tenant id is invalid.', schema: tenantFailure },
      401: { description: 'Unauthorized', schema: tenantFailure },
      404: { description: 'Pass Key not found', schema: tenantFailure },
      410: { description: 'Pass Key Expired', schema: tenantFailure },
      429: { description: 'Too many requests', schema: tenantFailure },
    },
  },
];

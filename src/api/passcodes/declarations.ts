import { z } from 'zod';
import { tenantFailureResponse } from '../../platform/openapi/shapes.js';

export const exampleTenantId = '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d';

/**
 * A tenant in the path. Any string is let through to the service, which answers an unknown or
 * foreign one with the spec's "The tenant id is invalid." rather than a generic format error.
 */
export const tenantIdPath = z.object({ tenantId: z.string().describe('The tenant (a UUID)') });

/** What requireTenantAdmin / requireServiceAdmin answer: the spec's `Failed` body, the RFC 6750 challenge kept. */
export const tenantRefused = {
  401: tenantFailureResponse('Missing, invalid or expired token (see WWW-Authenticate)', 'Unauthorized'),
  403: tenantFailureResponse('Not allowed: the wrong kind of token, or the tenant is not active yet', 'Forbidden'),
};

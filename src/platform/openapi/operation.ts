import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** How a caller authenticates at an operation; names match components.securitySchemes. */
export type SecurityName = 'bearer' | 'apiKeyHeader' | 'xApiKey' | 'clientBasic' | 'clientPost' | 'tenantAdmin';

/**
 * One documented endpoint. Modules describe their routes with the same zod schemas the routes
 * validate with, so the document cannot drift from the validation.
 */
export interface ApiOperation {
  method: HttpMethod;
  /** OpenAPI path template: `/api/v2/{tenant_id}/identity/passcode`. */
  path: string;
  tags: string[];
  summary: string;
  description?: string;
  security?: SecurityName[];
  pathParams?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Content types the body is accepted as (default json + form). */
  bodyTypes?: Array<'json' | 'form' | 'multipart'>;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

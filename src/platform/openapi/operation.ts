import type { z } from 'zod';
import type { BodyType } from '../http/body.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** How a caller authenticates; the names are the keys of `components.securitySchemes` (document.ts). */
export type SecurityName = 'bearer' | 'apiKeyHeader' | 'xApiKey' | 'clientBasic' | 'tenantAdmin';

/**
 * One OpenAPI Security Requirement Object: every named scheme must be satisfied, with the listed
 * scopes (OpenAPI 3.1 §4.8.30 lets non-OAuth schemes list the roles they need). `{}` means that no
 * HTTP-level scheme is needed, e.g. client credentials sent in the form body (RFC 6749 §2.3.1).
 */
export type SecurityRequirement = Partial<Record<SecurityName, string[]>>;

/**
 * A response the operation can give. A JSON body carries its schema and an example that satisfies
 * it; a page or text body (`contentType`) may carry an example of its own; a redirect has no body.
 */
export type ResponseSpec =
  | { description: string; schema: z.ZodType; example: unknown; contentType?: 'application/json'; headers?: ResponseHeaders }
  | { description: string; schema?: undefined; contentType?: 'text/html' | 'text/plain'; example?: string; headers?: ResponseHeaders };

export type ResponseHeaders = Record<string, { description: string; example?: string }>;

export interface RequestSpec {
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Content types the body is accepted as (default json + form); `multipart` is refused where not listed (platform/http/body.ts). */
  bodyTypes?: BodyType[];
  /** A request body (or, for a GET, query) that satisfies the schema. */
  example?: unknown;
  /**
   * REMP documents these endpoints as taking their fields from the query string or the body: body
   * fields merged over query parameters are validated against `body` (POST) or `query` (GET).
   */
  mergeQueryAndBody?: boolean;
}

/**
 * What the OpenAPI document says about one endpoint. Routes Gatehouse serves get it from their
 * `route()` declaration (route.ts), which also validates with the same schemas; endpoints
 * oidc-provider serves are described with this alone.
 */
export interface Operation {
  method: HttpMethod;
  /** OpenAPI path template: `/api/v2/{tenantId}/identity/passcode`. */
  path: string;
  tags: [string, ...string[]];
  summary: string;
  description?: string;
  /** Alternatives, any one of which is enough; `[]` for a public endpoint. */
  security: SecurityRequirement[];
  request?: RequestSpec;
  responses: Record<number, ResponseSpec>;
}

/** Koa paths (`/users/:id`) in OpenAPI form (`/users/{id}`). */
export const toOpenApiPath = (koaPath: string) => koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** OpenAPI paths (`/users/{id}`) in Koa form (`/users/:id`). */
export const toKoaPath = (openApiPath: string) => openApiPath.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');

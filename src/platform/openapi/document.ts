import { z } from 'zod';
import type { ApiOperation } from './operation.js';

const contentTypes = { json: 'application/json', form: 'application/x-www-form-urlencoded', multipart: 'multipart/form-data' } as const;

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return rest;
}

function parameters(operation: ApiOperation) {
  const list: Array<Record<string, unknown>> = [];
  for (const [location, schema] of [['path', operation.pathParams], ['query', operation.query]] as const) {
    if (!schema) continue;
    const shape = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, property] of Object.entries(shape.properties ?? {})) {
      list.push({ name, in: location, required: location === 'path' || Boolean(shape.required?.includes(name)), schema: property });
    }
  }
  return list;
}

/** OpenAPI 3.1 for every Gatehouse endpoint, built from the operations each module declares. */
export function buildOpenApiDocument(options: { issuer: string; version: string; operations: ApiOperation[] }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of options.operations) {
    const item = (paths[operation.path] ??= {});
    const body = operation.body
      ? {
          required: true,
          content: Object.fromEntries((operation.bodyTypes ?? ['json', 'form']).map((type) => [contentTypes[type], { schema: jsonSchema(operation.body!) }])),
        }
      : undefined;
    item[operation.method] = {
      tags: operation.tags,
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      operationId: `${operation.method}${operation.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, next: string | undefined) => (next ? next.toUpperCase() : ''))}`,
      ...(operation.security ? { security: operation.security.map((name) => ({ [name]: [] })) } : {}),
      parameters: parameters(operation),
      ...(body ? { requestBody: body } : {}),
      responses: Object.fromEntries(
        Object.entries(operation.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema ? { content: { [response.contentType ?? 'application/json']: { schema: jsonSchema(response.schema) } } } : {}),
          },
        ]),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse',
      version: options.version,
      description: 'OAuth 2.0 / OpenID Connect authorization server with a CRM customer API. Paths keep the shapes of REMP CRM, CRM.COM, SessionM and the agent-verification passcode service.',
    },
    servers: [{ url: options.issuer }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Gatehouse access token (RFC 9068 JWT) or, where the endpoint allows it, an API key.' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'api_key', description: 'CRM.COM-style application API key.' },
        xApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        clientBasic: { type: 'http', scheme: 'basic', description: 'OAuth client_id / client_secret (client_secret_basic).' },
        clientPost: { type: 'apiKey', in: 'query', name: 'client_id', description: 'client_secret_post: client_id and client_secret in the form body.' },
        tenantAdmin: { type: 'http', scheme: 'bearer', description: 'Tenant administrator token from POST /api/v2/login.' },
      },
    },
  };
}

/** Koa paths (`/users/:id`) in OpenAPI form (`/users/{id}`). */
export const toOpenApiPath = (koaPath: string) => koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

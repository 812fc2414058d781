import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiOverride,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import type { BodyType } from '../http/body.js';
import { contractViolation } from './contract.js';
import type { Operation, ResponseHeaders, ResponseSpec } from './operation.js';

const MEDIA_TYPES: Record<BodyType, string> = { json: 'application/json', form: 'application/x-www-form-urlencoded', multipart: 'multipart/form-data' };

const operationId = (operation: Operation) =>
  `${operation.method}${operation.path.replace(/[^A-Za-z0-9]+(.)?/g, (_match, next: string | undefined) => (next ? next.toUpperCase() : ''))}`;

function headersObject(headers: ResponseHeaders | undefined) {
  if (!headers) return undefined;
  return Object.fromEntries(
    Object.entries(headers).map(([name, header]) => [
      name,
      { description: header.description, schema: { type: 'string' as const }, ...(header.example ? { example: header.example } : {}) },
    ]),
  );
}

function responseObject(response: ResponseSpec): ZodOpenApiResponseObject {
  const headers = headersObject(response.headers);
  const base = { description: response.description, ...(headers ? { headers } : {}) };
  if (response.schema) return { ...base, content: { [response.contentType ?? 'application/json']: { schema: response.schema, example: response.example } } };
  if (response.contentType) {
    return {
      ...base,
      content: { [response.contentType]: { schema: { type: 'string' }, ...(response.example === undefined ? {} : { example: response.example }) } },
    };
  }
  return base;
}

const description = (operation: Operation) =>
  operation.request?.mergeQueryAndBody && operation.method !== 'get'
    ? [operation.description, 'As in REMP, the body fields may also be sent as query parameters (body fields win).'].filter(Boolean).join(' ')
    : operation.description;

function operationObject(operation: Operation): ZodOpenApiOperationObject {
  const { request } = operation;
  const body = request?.body;
  return {
    operationId: operationId(operation),
    tags: operation.tags,
    summary: operation.summary,
    ...(description(operation) ? { description: description(operation) } : {}),
    security: operation.security,
    ...(request?.params || request?.query
      ? { requestParams: { ...(request.params ? { path: request.params } : {}), ...(request.query ? { query: request.query } : {}) } }
      : {}),
    ...(body
      ? {
          requestBody: {
            // Optional when every field is: REMP routes also take their fields from the query string.
            required: !body.safeParse({}).success,
            content: Object.fromEntries(
              (request.bodyTypes ?? ['json', 'form']).map((type) => [
                MEDIA_TYPES[type],
                { schema: body, ...(request.example === undefined ? {} : { example: request.example }) },
              ]),
            ),
          },
        }
      : {}),
    responses: Object.fromEntries(Object.entries(operation.responses).map(([status, response]) => [status, responseObject(response)])),
  };
}

/**
 * A request field written `z.string().trim().pipe(z.email().max(254))` is rendered by zod from its
 * input side alone (a bare string), which loses the rules that matter to a client (the
 * documented-without-its-limits drift of issue #12). Those rules are the output side's; unless
 * it is a transform, its keywords are added to what the input side says.
 */
const withPipeRules: ZodOpenApiOverride = ({ jsonSchema, zodSchema, io }) => {
  const def = zodSchema._zod.def as { type: string; in?: z.ZodType; out?: z.ZodType };
  if (io !== 'input' || def.type !== 'pipe' || !def.in || !def.out) return;
  if (def.in._zod.traits.has('$ZodTransform') || def.out._zod.traits.has('$ZodTransform')) return;
  const { $schema: _dialect, ...rules } = z.toJSONSchema(def.out, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const target = jsonSchema as Record<string, unknown>;
  for (const [keyword, value] of Object.entries(rules)) if (!(keyword in target)) target[keyword] = value;
};

/** Every example that does not satisfy its own schema (responses checked as strictly as served ones). */
export function exampleViolations(operations: readonly Operation[]): string[] {
  const violations: string[] = [];
  for (const operation of operations) {
    const where = `${operation.method.toUpperCase()} ${operation.path}`;
    const { body, example } = operation.request ?? {};
    if (body && example !== undefined) {
      const parsed = body.safeParse(example);
      if (!parsed.success) violations.push(`${where} request example: ${z.prettifyError(parsed.error)}`);
    }
    for (const [status, response] of Object.entries(operation.responses)) {
      const violation = response.schema ? contractViolation(response.schema, response.example) : undefined;
      if (violation) violations.push(`${where} ${status} example: ${violation}`);
    }
  }
  return violations;
}

export interface OpenApiDocumentOptions {
  issuer: string;
  version: string;
  operations: readonly Operation[];
  /** Refuse to build a document whose examples contradict their schemas (tests). */
  verifyExamples?: boolean;
}

/** OpenAPI 3.1 for every Gatehouse endpoint, generated from the operations the routes declare (zod-openapi). */
export function buildOpenApiDocument(options: OpenApiDocumentOptions) {
  if (options.verifyExamples) {
    const violations = exampleViolations(options.operations);
    if (violations.length > 0) throw new Error(`OpenAPI examples contradict their schemas:\n${violations.join('\n')}`);
  }
  const paths: ZodOpenApiPathsObject = {};
  for (const operation of options.operations) (paths[operation.path] ??= {})[operation.method] = operationObject(operation);
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse',
        version: options.version,
        description:
          'OAuth 2.0 / OpenID Connect authorization server with a CRM customer API. Paths keep the shapes of REMP CRM, CRM.COM, SessionM and the agent-verification passcode service.',
      },
      servers: [{ url: options.issuer }],
      paths,
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'A Gatehouse access token (RFC 9068 JWT; a DPoP-bound one is sent as `Authorization: DPoP …` with a proof, RFC 9449 §7.1) or, where the endpoint allows it, a `gh_` API key.',
          },
          apiKeyHeader: {
            type: 'apiKey',
            in: 'header',
            name: 'api_key',
            description: 'CRM.COM-style application API key: a Gatehouse API key whitelisted for the endpoint.',
          },
          xApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: "A tenant's API key (POST /api/v2/tenant/{tenantId}/api_key/refresh)." },
          clientBasic: {
            type: 'http',
            scheme: 'basic',
            description: 'client_secret_basic (RFC 6749 §2.3.1): the form-urlencoded client_id and client_secret as user and password.',
          },
          tenantAdmin: { type: 'http', scheme: 'bearer', description: 'Tenant administrator token from POST /api/v2/login.' },
        },
      },
    },
    { override: withPipeRules },
  );
}

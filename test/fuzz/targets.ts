export type BodyType = 'json' | 'form' | 'multipart';

export interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}

export interface FieldSpec {
  name: string;
  schema: JsonSchema;
  required: boolean;
}

/** One endpoint to send malformed requests to: what its declaration says it accepts. */
export interface FuzzTarget {
  method: string;
  /** OpenAPI template: `/api/v2/{tenantId}/identity/passcode/{key}`. */
  path: string;
  pathParams: string[];
  query: FieldSpec[];
  body: FieldSpec[];
  bodyTypes: BodyType[];
  security: string[];
  /** Served (or ultimately answered) by oidc-provider. */
  oauth: boolean;
}

const MEDIA: Record<string, BodyType> = { 'application/json': 'json', 'application/x-www-form-urlencoded': 'form', 'multipart/form-data': 'multipart' };

interface OpenApiOperation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
  security?: Array<Record<string, unknown>>;
}

/** Every operation of the served /openapi.json. */
export function targetsFromOpenApi(document: { paths: Record<string, Record<string, OpenApiOperation>> }): FuzzTarget[] {
  const targets: FuzzTarget[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const parameters = operation.parameters ?? [];
      const content = operation.requestBody?.content ?? {};
      const schema = Object.values(content)[0]?.schema;
      const properties = schema?.properties ?? {};
      targets.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name),
        query: parameters
          .filter((parameter) => parameter.in === 'query')
          .map((parameter) => ({ name: parameter.name, schema: parameter.schema ?? {}, required: Boolean(parameter.required) })),
        body: Object.entries(properties).map(([name, property]) => ({ name, schema: property, required: Boolean(schema?.required?.includes(name)) })),
        bodyTypes: Object.keys(content)
          .map((type) => MEDIA[type])
          .filter((type): type is BodyType => Boolean(type)),
        security: (operation.security ?? []).flatMap((entry) => Object.keys(entry)),
        oauth: path.startsWith('/oauth/') || path.startsWith('/.well-known/'),
      });
    }
  }
  return targets;
}

const text = (...names: string[]): FieldSpec[] => names.map((name) => ({ name, schema: { type: 'string' }, required: false }));
const clientFields = text('client_id', 'client_secret');
const authorizationFields = text(
  'client_id',
  'response_type',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'login_hint',
  'request_uri',
  'resource',
);

/**
 * The provider endpoints, whether or not the document lists every method of them: token,
 * authorize, introspect, revoke, userinfo, PAR, logout, JWKS and the device flow.
 */
export const OAUTH_TARGETS: FuzzTarget[] = [
  [
    'POST',
    '/oauth/token',
    [
      ...text(
        'grant_type',
        'code',
        'code_verifier',
        'redirect_uri',
        'refresh_token',
        'scope',
        'username',
        'email',
        'password',
        'phone_number',
        'country_code',
        'device_token',
        'autologin_token',
        'subject_token',
        'subject_token_type',
        'subject_issuer',
        'authentication_code',
        'resource',
      ),
      ...clientFields,
    ],
  ],
  ['GET', '/oauth/authorize', []],
  ['POST', '/oauth/authorize', authorizationFields],
  ['POST', '/oauth/introspect', [...text('token', 'token_type_hint'), ...clientFields]],
  ['POST', '/oauth/revoke', [...text('token', 'token_type_hint'), ...clientFields]],
  ['GET', '/oauth/userinfo', []],
  ['POST', '/oauth/userinfo', text('access_token')],
  ['POST', '/oauth/par', [...authorizationFields, ...clientFields]],
  ['GET', '/oauth/logout', []],
  ['POST', '/oauth/logout', text('id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id', 'logout', 'xsrf')],
  ['GET', '/oauth/jwks', []],
  ['GET', '/oauth/device', []],
  ['POST', '/oauth/device', text('user_code', 'xsrf', 'confirm', 'abort')],
  ['POST', '/oauth/device/auth', [...text('scope'), ...clientFields]],
].map(([method, path, body]) => ({
  method: method as string,
  path: path as string,
  pathParams: [],
  query: (method === 'GET'
    ? path === '/oauth/authorize'
      ? authorizationFields
      : text('access_token', 'id_token_hint', 'user_code', 'client_id')
    : []) as FieldSpec[],
  body: body as FieldSpec[],
  bodyTypes: (method === 'GET' ? [] : ['form']) as BodyType[],
  security: [],
  oauth: true,
}));

/** The document's operations plus the provider endpoints it does not describe. */
export function allTargets(document: Parameters<typeof targetsFromOpenApi>[0]): FuzzTarget[] {
  const documented = targetsFromOpenApi(document);
  const key = (target: FuzzTarget) => `${target.method} ${target.path}`;
  const known = new Map(documented.map((target) => [key(target), target]));
  for (const target of OAUTH_TARGETS) {
    const existing = known.get(key(target));
    if (!existing) {
      documented.push(target);
      known.set(key(target), target);
    } else {
      const names = new Set(existing.body.map((field) => field.name));
      existing.body.push(...target.body.filter((field) => !names.has(field.name)));
      const queryNames = new Set(existing.query.map((field) => field.name));
      existing.query.push(...target.query.filter((field) => !queryNames.has(field.name)));
      if (existing.bodyTypes.length === 0) existing.bodyTypes = target.bodyTypes;
    }
  }
  return documented;
}

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toOpenApiPath } from '../../src/platform/openapi/operation.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface MediaType {
  schema?: Record<string, unknown>;
  example?: unknown;
}
interface OperationObject {
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; example?: unknown }>;
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, MediaType> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas?: Record<string, unknown>; securitySchemes: Record<string, Record<string, unknown>> };
}

const redoclyCli = path.join(path.dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

let server: TestServer;
let document: Document;
let operations: Array<{ name: string; operation: OperationObject }>;

beforeAll(async () => {
  server = await startTestServer();
  const response = await fetch(`${server.url}/openapi.json`);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  document = JSON.parse(text);
  operations = Object.entries(document.paths).flatMap(([route, item]) =>
    Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${route}`, operation })),
  );
});
afterAll(() => server?.stop());

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1', () => {
    expect(document.openapi).toBe('3.1.0');
  });

  it('documents every route the app serves', () => {
    const missing = server.gatehouse.routes
      .map((route) => ({ method: route.method, path: toOpenApiPath(route.path) }))
      .filter((route) => !document.paths[route.path]?.[route.method])
      .map((route) => `${route.method.toUpperCase()} ${route.path}`);
    expect(missing).toEqual([]);
  });

  it('documents every endpoint the discovery document advertises, PAR and logout confirmation included', async () => {
    const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    for (const key of [
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'introspection_endpoint',
      'revocation_endpoint',
      'end_session_endpoint',
      'jwks_uri',
      'pushed_authorization_request_endpoint',
    ]) {
      const path = new URL(discovery[key]).pathname;
      expect(document.paths[path], key).toBeDefined();
    }
    expect(document.paths['/oauth/logout/confirm']?.post).toBeDefined();
  });

  it('serves RFC 8414 metadata, the same document as OpenID discovery, and documents it', async () => {
    const oauth = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
    expect(oauth.status).toBe(200);
    const openid = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    expect(await oauth.json()).toEqual(openid);
    expect(document.paths['/.well-known/oauth-authorization-server']?.get).toBeDefined();
  });

  it('gives every operation an example and at least one 4xx response', () => {
    const examples = (operation: OperationObject) =>
      [
        ...Object.values(operation.requestBody?.content ?? {}),
        ...Object.values(operation.responses).flatMap((response) => Object.values(response.content ?? {})),
      ].filter((media) => media.example !== undefined);
    expect(operations.filter(({ operation }) => examples(operation).length === 0).map(({ name }) => name)).toEqual([]);
    expect(operations.filter(({ operation }) => !Object.keys(operation.responses).some((status) => /^4\d\d$/.test(status))).map(({ name }) => name)).toEqual(
      [],
    );
  });

  it('names its response schemas in components and refers to them', () => {
    const schemas = Object.keys(document.components.schemas ?? {});
    expect(schemas).toEqual(
      expect.arrayContaining(['RempError', 'OAuthError', 'TenantFailure', 'RempUser', 'ApiKey', 'Contact', 'SessionmProfile', 'TokenResponse']),
    );
    const login = document.paths['/api/v1/users/login']!.post!;
    expect(login.responses['200']!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/RempLogin' });
    expect(login.responses['401']!.content!['application/json']!.schema).toEqual({ $ref: '#/components/schemas/RempError' });
  });

  it('documents request bodies inline with the limits the routes enforce (the fuzz suite reads them)', () => {
    const login = document.paths['/api/v1/users/login']!.post!.requestBody!.content;
    expect(Object.keys(login).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);
    const schema = login['application/json']!.schema as { properties: Record<string, { maxLength?: number; minLength?: number }>; required: string[] };
    expect(schema.properties.email?.maxLength).toBe(254);
    expect(schema.properties.password).toMatchObject({ minLength: 1, maxLength: 1024 });
    expect(schema.required).toEqual(['email', 'password']);
  });

  it('describes client credentials in the form body in words, not as a query API key', () => {
    const schemes = Object.values(document.components.securitySchemes);
    expect(schemes.filter((scheme) => scheme.type === 'apiKey' && scheme.in === 'query')).toEqual([]);
    const token = document.paths['/oauth/token']!.post!;
    expect(token.security).toEqual([{ clientBasic: [] }, {}]);
    const form = token.requestBody!.content['application/x-www-form-urlencoded']!.schema as { properties: Record<string, unknown> };
    expect(Object.keys(form.properties)).toEqual(expect.arrayContaining(['client_id', 'client_secret', 'client_assertion', 'client_assertion_type']));
  });

  it("passes Redocly's recommended rules with no error, offline", async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'gatehouse-openapi-'));
    try {
      const file = path.join(directory, 'openapi.json');
      await writeFile(file, JSON.stringify(document));
      // Telemetry and the update check are Redocly's only network calls; lint itself reads the file.
      const result = await promisify(execFile)(process.execPath, [redoclyCli, 'lint', file, '--format=json'], {
        cwd: directory,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
        maxBuffer: 64 * 1024 * 1024,
      }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
      const report = JSON.parse(result.stdout) as {
        totals: { errors: number; warnings: number };
        problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
      };
      const describe = (severity: string) =>
        report.problems
          .filter((problem) => problem.severity === severity)
          .map((problem) => `${problem.ruleId} ${problem.location[0]?.pointer}: ${problem.message}`);
      expect(describe('error')).toEqual([]);
      expect(report.totals.errors).toBe(0);
      // Examples that contradict their schemas are only a warning in `recommended`; here they fail.
      expect(report.problems.filter((problem) => problem.ruleId === 'no-invalid-media-type-examples').map((problem) => problem.location[0]?.pointer)).toEqual(
        [],
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('serves a readable docs page whose assets come from this server', async () => {
    const page = await (await fetch(`${server.url}/docs`)).text();
    expect(page).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(page).not.toMatch(/https?:\/\/(?!localhost)/);
    const bundle = await fetch(`${server.url}/docs/assets/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect((await fetch(`${server.url}/docs/init.js`)).status).toBe(200);
  });
});

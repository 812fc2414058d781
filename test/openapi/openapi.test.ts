import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toOpenApiPath } from '../../src/platform/openapi/document.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let document: { openapi: string; paths: Record<string, Record<string, unknown>> };

beforeAll(async () => {
  server = await startTestServer();
  document = await (await fetch(`${server.url}/openapi.json`)).json();
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

  it('documents every endpoint the discovery document advertises', async () => {
    const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint', 'jwks_uri']) {
      const path = new URL(discovery[key]).pathname;
      expect(document.paths[path], key).toBeDefined();
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * Requests reach only the routers whose routes could match them (src/platform/http/route-dispatch.ts).
 * What answers, and how, must be what @koa/router answered with every router mounted in turn.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const get = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);

describe('routing by path prefix', () => {
  it('matches paths case-insensitively and with a trailing slash, as @koa/router does', async () => {
    for (const path of ['/readyz', '/READYZ', '/readyz/']) expect((await get(path)).status, path).toBe(200);
  });

  it('answers a known path with another method 405 and its Allow header', async () => {
    const reply = await get('/api/v1/user/info', { method: 'DELETE' });
    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toContain('GET');
  });

  it('answers a method no API route uses with a JSON 501 naming it', async () => {
    const reply = await get('/api/v1/user/info', { method: 'PURGE' });
    expect(reply.status).toBe(501);
    expect(reply.headers.get('content-type')).toContain('application/json');
    expect(JSON.stringify(await reply.json())).toContain('Method PURGE is not supported by this API');
  });

  it('answers an unknown API path with the JSON 404, and hands other paths to oidc-provider', async () => {
    const unknown = await get('/api/v1/no-such-endpoint');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/json');
    const discovery = await get('/.well-known/openid-configuration');
    expect(discovery.status).toBe(200);
    expect((await discovery.json()).issuer).toBe(server.url);
  });

  it('routes a POST to its API route among routers sharing the /api/v1/ prefix', async () => {
    const email = await fetch(`${server.url}/api/v1/users/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=nobody%40example.com',
    });
    expect(email.status).toBe(200);
    expect((await email.json()).status).toBe('available');
  });
});

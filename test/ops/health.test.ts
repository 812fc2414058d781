import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('operability endpoints', () => {
  it('answers /healthz while the process is up', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz when the database is reachable', async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ database: 'reachable' });
  });

  it('echoes a sane X-Request-Id and replaces a malformed one', async () => {
    const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exposes Prometheus metrics with request counts by route and tokens by grant type', async () => {
    const { clientId, clientSecret } = await server.createClient({ name: 'metrics', grantTypes: ['client_credentials'], scope: 'users:read' });
    const basic = Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    const token = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/gatehouse_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(text).toMatch(/gatehouse_tokens_issued_total\{grant_type="client_credentials"\} 1/);
    expect(text).toContain('gatehouse_http_request_duration_seconds_bucket');
    expect(text).toMatch(/gatehouse_http_request_duration_seconds_count\{method="POST",route="\/oauth\/token",status="200"\} \d+/);
  });

  it('counts made-up paths under one label, so requests cannot add time series without bound', async () => {
    for (const path of ['/made-up-one', '/made-up-two/x', '/api/v1/nowhere']) expect((await fetch(`${server.url}${path}`)).status).toBe(404);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).not.toContain('made-up');
    expect(text).not.toContain('nowhere');
    expect(text).toMatch(/gatehouse_http_requests_total\{method="GET",route="\(unmatched\)",status="404"\} [3-9]/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearer, clientToken } from '../http/support.js';
import { createApiKey } from '../../src/identity/api-keys/service.js';
import { probe, startProbe, type Probe } from './support.js';

let server: TestServer;
let target: Probe;

beforeAll(async () => {
  server = await startTestServer();
  target = await startProbe(server);
});
afterAll(async () => {
  await target?.stop();
  await server?.stop();
});

describe('guessing API keys', () => {
  it('locks an IP out with 429 after repeated invalid keys, without affecting access tokens', async () => {
    const valid = await createApiKey(server.em(), { name: 'CRM', endpoints: ['users.create'] });
    const statuses: number[] = [];
    let locked: Awaited<ReturnType<typeof probe>> | undefined;
    for (let attempt = 0; attempt < 30 && !locked; attempt += 1) {
      const response = await probe(target, 'users.create', { 'x-api-key': `gh_guess${String(attempt).padStart(39, '0')}` });
      statuses.push(response.status);
      if (response.status === 429) locked = response;
    }
    // API_KEY_FAILURES_PER_IP defaults to 20.
    expect(statuses.slice(0, 20).every((status) => status === 401)).toBe(true);
    expect(locked?.status).toBe(429);
    expect(Number(locked?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked?.body).toMatchObject({ status: 'error', code: 'too_many_requests' });

    // While locked, even a valid key not seen recently is not looked up; tokens are another matter.
    expect((await probe(target, 'users.create', { 'x-api-key': valid.key })).status).toBe(429);
    expect((await probe(target, 'users.create', bearer((await clientToken(server, 'users:write')).accessToken))).status).toBe(200);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { getPasscode, postPasscode, readyTenant, serviceAdminToken, type ReadyTenant } from './support.js';

let server: TestServer;
let tenant: ReadyTenant;
beforeAll(async () => {
  server = await startTestServer({
    PASSCODE_CREATE_PER_KEY: '2',
    PASSCODE_CREATE_PER_IP: '12',
    PASSCODE_CREATE_PER_TENANT: '1000',
    PASSCODE_LOOKUP_PER_KEY: '3',
  });
  tenant = await readyTenant(server, await serviceAdminToken(server), { pass_key_expires: 60, pass_phrase: 'system' });
});
afterAll(() => server?.stop());

describe('passcode rate limits', () => {
  it('limits submissions per key with 429 and Retry-After', async () => {
    expect((await postPasscode(server, tenant.tenantId, { pass_key: '5550001' })).status).toBe(200);
    expect((await postPasscode(server, tenant.tenantId, { pass_key: '555-0001' })).status).toBe(409);
    const limited = await postPasscode(server, tenant.tenantId, { pass_key: '555 0001' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toEqual({ status: 'Failed', message: expect.any(String) });
    // Another key of the same tenant is not affected.
    expect((await postPasscode(server, tenant.tenantId, { pass_key: '5550002' })).status).toBe(200);
  });

  it('limits agent look-ups per key, and audits the refusals', async () => {
    await postPasscode(server, tenant.tenantId, { pass_key: '5550003' });
    const statuses = [];
    for (let attempt = 0; attempt < 4; attempt += 1) statuses.push((await getPasscode(server, tenant.tenantId, '5550003', tenant.apiKey)).status);
    // A one-time passcode is heard once; the look-ups after it still count towards the limit.
    expect(statuses.slice(0, 3)).toEqual([200, 404, 404]);
    expect(statuses[3]).toBe(429);
    const audit: any[] = await server
      .em()
      .getConnection()
      .execute("select count(*)::int as n from passcode_lookup_audit where tenant_id = ? and result = 'rate_limited'", [tenant.tenantId]);
    expect(audit[0].n).toBe(1);
  });

  it('limits submissions per address across keys and tenants', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 12; index += 1)
      statuses.push((await postPasscode(server, tenant.tenantId, { pass_key: `55510${String(index).padStart(2, '0')}` })).status);
    expect(statuses).toContain(429);
    const limited = await postPasscode(server, '00000000-0000-4000-8000-000000000000', { pass_key: '5551099' });
    expect(limited.status).toBe(429);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, getPasscode, postPasscode, readyTenant, serviceAdminToken, type JsonResponse, type ReadyTenant } from './support.js';

let server: TestServer;
let tenantA: ReadyTenant;
let tenantB: ReadyTenant;
const UNKNOWN_TENANT = '00000000-0000-4000-8000-000000000000';
const PHONE = '+1 202 555 0175';

/** Status and body: all a caller can observe (besides timing). */
const answer = (response: JsonResponse) => ({ status: response.status, body: response.body });

beforeAll(async () => {
  server = await startTestServer();
  const operator = await serviceAdminToken(server);
  tenantA = await readyTenant(server, operator);
  tenantB = await readyTenant(server, operator);
  // Both tenants' customers use the same phone number.
  expect((await postPasscode(server, tenantA.tenantId, { pass_key: PHONE })).status).toBe(200);
  expect((await postPasscode(server, tenantB.tenantId, { pass_key: PHONE })).status).toBe(200);
});
afterAll(() => server?.stop());

describe('tenant isolation', () => {
  it("answers tenant A's API key on tenant B's path exactly as on a tenant that does not exist", async () => {
    const onB = await getPasscode(server, tenantB.tenantId, PHONE, tenantA.apiKey);
    const onUnknown = await getPasscode(server, UNKNOWN_TENANT, PHONE, tenantA.apiKey);
    const onMalformed = await getPasscode(server, 'not-a-tenant', PHONE, tenantA.apiKey);
    expect(answer(onB)).toEqual({ status: 400, body: { status: 'Failed', message: 'The tenant id is invalid.' } });
    expect(answer(onUnknown)).toEqual(answer(onB));
    expect(answer(onMalformed)).toEqual(answer(onB));
    // Also for a key B has never been given: nothing distinguishes "exists" from "does not".
    expect(answer(await getPasscode(server, tenantB.tenantId, '5550000', tenantA.apiKey))).toEqual(answer(onB));
  });

  it('answers a key that belongs to no tenant with 401 whichever tenant is named', async () => {
    const onB = await getPasscode(server, tenantB.tenantId, PHONE, 'made-up-key');
    const onUnknown = await getPasscode(server, UNKNOWN_TENANT, PHONE, 'made-up-key');
    expect(answer(onB)).toEqual({ status: 401, body: { status: 'Failed', message: 'Unauthorized' } });
    expect(answer(onUnknown)).toEqual(answer(onB));
  });

  it('keeps the same phone number apart in each tenant', async () => {
    const fromA = await getPasscode(server, tenantA.tenantId, PHONE, tenantA.apiKey);
    const fromB = await getPasscode(server, tenantB.tenantId, PHONE, tenantB.apiKey);
    expect(fromA.status).toBe(200);
    expect(fromB.status).toBe(200);
    const stored: any[] = await server
      .em()
      .getConnection()
      .execute('select tenant_id, key_hash from passcode where tenant_id in (?, ?)', [tenantA.tenantId, tenantB.tenantId]);
    expect(stored).toHaveLength(2);
    // The key hash is bound to the tenant: rows cannot be linked across tenants by phone number.
    expect(stored[0].key_hash).not.toBe(stored[1].key_hash);
  });

  it("answers tenant A's admin on tenant B exactly as on a tenant that does not exist", async () => {
    const token = tenantA.admin.token;
    const paths: Array<[string, string, unknown?]> = [
      ['POST', '/api_key/refresh'],
      ['GET', '/identity/passcode/config'],
      ['POST', '/identity/passcode/config', { tenant_config_details: { pass_key_expires: 60, pass_phrase: 'system' } }],
    ];
    for (const [method, suffix, json] of paths) {
      const path = (tenantId: string) => (suffix.startsWith('/api_key') ? `/api/v2/tenant/${tenantId}${suffix}` : `/api/v2/${tenantId}${suffix}`);
      const onB = await call(server, method, path(tenantB.tenantId), { token, json });
      const onUnknown = await call(server, method, path(UNKNOWN_TENANT), { token, json });
      expect(onB.status).toBe(400);
      expect(answer(onUnknown)).toEqual(answer(onB));
    }
    // Tenant B's key still works: A's attempt changed nothing.
    await postPasscode(server, tenantB.tenantId, { pass_key: '5550123' });
    expect((await getPasscode(server, tenantB.tenantId, '5550123', tenantB.apiKey)).status).toBe(200);
  });
});

import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, expirePasscodes, getPasscode, phoneNumber, postPasscode, serviceAdminToken, signUpAndLogIn, uniqueSuffix } from './support.js';

let server: TestServer;
beforeAll(async () => {
  // A 1-second lower bound lets the expiry be observed without a long wait.
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('the spec trust flow, end to end', () => {
  it('takes a tenant admin from sign-up to an agent reading the customer passcode, which then expires', async () => {
    // Step 1: sign up and log in.
    const email = `it-admin-${uniqueSuffix()}@example.com`;
    const signUp = await call(server, 'POST', '/api/v2/tenant/user', { json: { name: 'Tenant Admin', email, password: 'yourpassword' } });
    expect(signUp.status).toBe(200);
    expect(signUp.body).toEqual({
      status: 'SUCCESS',
      message: 'User created successfully',
      data: {
        first_name: 'Tenant Admin',
        username: email,
        email,
        updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
        created_at: expect.any(String),
      },
    });

    const login = await call(server, 'POST', '/api/v2/login', { json: { email, password: 'yourpassword' } });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ success: true, token: expect.any(String) });
    const token = login.body.token as string;
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: server.url, aud: `${server.url}/api`, scope: 'tenants:admin', client_id: 'gatehouse' });
    expect(claims.sub).toMatch(/^tenant-admin:[0-9a-f-]{36}$/);
    expect(claims.exp! - claims.iat!).toBe(30 * 24 * 3600);

    // Step 2: create the tenant; it starts inactive and is refused until activated.
    const created = await call(server, 'POST', '/api/v2/tenant', { token, json: { tenant_name: `FPS ${uniqueSuffix()}` } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      status: 'Success',
      message: 'Tenant created successfully',
      data: { tenant_id: expect.any(String), tenant_status: 'INACTIVE' },
    });
    const tenantId = created.body.data.tenant_id as string;

    const refusedKey = await call(server, 'POST', `/api/v2/tenant/${tenantId}/api_key/refresh`, { token });
    expect(refusedKey.status).toBe(403);
    expect(refusedKey.body).toEqual({ status: 'Failed', message: expect.stringContaining('not active') });
    const refusedPasscode = await postPasscode(server, tenantId, { pass_key: '23456' });
    expect(refusedPasscode.status).toBe(400);
    expect(refusedPasscode.body).toEqual({ status: 'Failed', message: 'The tenant id is invalid.' });

    const activated = await call(server, 'POST', `/api/v2/tenant/${tenantId}/activate`, { token: await serviceAdminToken(server) });
    expect(activated.status).toBe(200);
    expect(activated.body.data).toMatchObject({ tenant_id: tenantId, tenant_status: 'ACTIVE' });

    // Step 3: the API key.
    const refreshed = await call(server, 'POST', `/api/v2/tenant/${tenantId}/api_key/refresh`, { token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toEqual({ status: 'Success', api_key: expect.stringMatching(/^[A-Za-z0-9_-]{50,}$/) });
    expect(refreshed.headers.get('cache-control')).toBe('no-store');
    const apiKey = refreshed.body.api_key as string;

    // Step 4: the configuration, then the customer and the agent.
    const configured = await call(server, 'POST', `/api/v2/${tenantId}/identity/passcode/config`, {
      token,
      json: { tenant_config_details: { pass_key_expires: 600, pass_phrase: 'system', pass_pharse_allowed_characters: 'numeric', pass_phrase_length: 5 } },
    });
    expect(configured.status).toBe(200);
    expect(configured.body).toEqual({
      status: 'Success',
      data: {
        status: 'Success',
        message: 'Tenant Configuration created successfully',
        data: {
          tenantDetails: {
            tenant_id: tenantId,
            tenant_config_details: { pass_key_expires: 600, pass_phrase: 'system', pass_phrase_method: 'numeric', pass_phrase_length: 5 },
            created_by: expect.any(Number),
            updated_at: expect.any(String),
            created_at: expect.any(String),
            id: expect.any(Number),
          },
        },
      },
    });

    const phone = phoneNumber();
    const submitted = await postPasscode(server, tenantId, { pass_key: phone });
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ status: 'Success', data: { pass_key: phone, pass_phrase: expect.stringMatching(/^\d{5}$/) } });
    const passPhrase = submitted.body.data.pass_phrase as string;

    // The agent types the number their own way: separators do not matter.
    const agentTyped = phone.replace(/ /g, '-');
    const read = await getPasscode(server, tenantId, agentTyped, apiKey);
    expect(read.status).toBe(200);
    expect(read.body).toEqual({ status: 'Success', pass_phrase: passPhrase });
    expect(read.headers.get('cache-control')).toBe('no-store');

    await expirePasscodes(server, tenantId);
    const expired = await getPasscode(server, tenantId, phone, apiKey);
    expect(expired.status).toBe(410);
    expect(expired.body).toEqual({ status: 'Failed', message: 'Pass Key Expired' });

    // Once expired, the customer can start a new trust flow for the same number.
    const again = await postPasscode(server, tenantId, { pass_key: phone });
    expect(again.status).toBe(200);
    expect((await getPasscode(server, tenantId, phone, apiKey)).body).toEqual({ status: 'Success', pass_phrase: again.body.data.pass_phrase });
  });

  it('keeps phone numbers and passcodes unreadable in a database dump, and audits every look-up', async () => {
    const admin = await signUpAndLogIn(server);
    const tenantId = (await call(server, 'POST', '/api/v2/tenant', { token: admin.token, json: { tenant_name: `Dump ${uniqueSuffix()}` } })).body.data
      .tenant_id;
    await call(server, 'POST', `/api/v2/tenant/${tenantId}/activate`, { token: await serviceAdminToken(server) });
    const apiKey = (await call(server, 'POST', `/api/v2/tenant/${tenantId}/api_key/refresh`, { token: admin.token })).body.api_key;
    await call(server, 'POST', `/api/v2/${tenantId}/identity/passcode/config`, {
      token: admin.token,
      json: { tenant_config_details: { pass_key_expires: 600, pass_phrase: 'manual', pass_phrase_allowed_characters: 'alphabets', pass_phrase_length: 4 } },
    });
    await postPasscode(server, tenantId, { pass_key: '+1 (202) 555-0143', pass_phrase: 'chennai' });
    expect((await getPasscode(server, tenantId, '+12025550143', apiKey)).body).toEqual({ status: 'Success', pass_phrase: 'chennai' });
    await getPasscode(server, tenantId, '+12025550199', apiKey);
    await getPasscode(server, tenantId, '+12025550143', 'not-the-key');

    const connection = server.em().getConnection();
    const dump = JSON.stringify([
      await connection.execute('select * from passcode'),
      await connection.execute('select * from passcode_lookup_audit'),
      await connection.execute('select * from tenant'),
    ]);
    for (const secret of ['chennai', '2025550143', apiKey]) expect(dump).not.toContain(secret);

    const audit: any[] = await connection.execute('select tenant_id, key_hash, result, ip from passcode_lookup_audit where tenant_id = ? order by id', [
      tenantId,
    ]);
    expect(audit.map((row) => row.result)).toEqual(['found', 'not_found', 'unauthorized']);
    expect(audit[0].key_hash).toBe(audit[2].key_hash);
    expect(audit[0].ip).toMatch(/127\.0\.0\.1/);
  });

  it('lets the service operator activate a tenant from the command line', async () => {
    const admin = await signUpAndLogIn(server);
    const tenantId = (await call(server, 'POST', '/api/v2/tenant', { token: admin.token, json: { tenant_name: `CLI ${uniqueSuffix()}` } })).body.data.tenant_id;
    const result = await runCli(['tenants:activate', tenantId], server.env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ tenant_id: tenantId, status: 'ACTIVE' });
    const refreshed = await call(server, 'POST', `/api/v2/tenant/${tenantId}/api_key/refresh`, { token: admin.token });
    expect(refreshed.status).toBe(200);

    const unknown = await runCli(['tenants:activate', '00000000-0000-4000-8000-000000000000'], server.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no tenant');
  });
});

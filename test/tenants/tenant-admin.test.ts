import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { call, getPasscode, postPasscode, readyTenant, serviceAdminToken, signUpAndLogIn, uniqueSuffix, type TenantAdminSession } from './support.js';

let server: TestServer;
let operator: string;
beforeAll(async () => {
  server = await startTestServer();
  operator = await serviceAdminToken(server);
});
afterAll(() => server?.stop());

describe('tenant admin sign-up', () => {
  it('answers invalid fields with the spec errors object, one list of messages per field', async () => {
    const response = await call(server, 'POST', '/api/v2/tenant/user', { json: { name: `${'x'.repeat(101)}`, email: 'not-an-email', password: 'short' } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      errors: {
        name: ['The name may not be greater than 100 characters.'],
        email: ['The email must be a valid email address.'],
        password: ['The password must be at least 8 characters.'],
      },
    });
  });

  it('refuses a name that is not a name, and missing fields', async () => {
    const badName = await call(server, 'POST', '/api/v2/tenant/user', {
      json: { name: '<script>', email: `a-${uniqueSuffix()}@example.com`, password: 'long enough' },
    });
    expect(badName.body).toEqual({ errors: { name: ['The name format is invalid.'] } });
    const empty = await call(server, 'POST', '/api/v2/tenant/user', { json: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual({
      name: ['The name field is required.'],
      email: ['The email field is required.'],
      password: ['The password field is required.'],
    });
  });

  it('refuses an e-mail already taken, whatever its case', async () => {
    const admin = await signUpAndLogIn(server);
    const again = await call(server, 'POST', '/api/v2/tenant/user', {
      json: { name: 'Someone Else', email: admin.email.toUpperCase(), password: 'another password' },
    });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ errors: { email: ['The email has already been taken.'] } });
  });
});

describe('tenant admin login', () => {
  it('answers a wrong password and an unknown e-mail with the same 401', async () => {
    const admin = await signUpAndLogIn(server);
    const wrong = await call(server, 'POST', '/api/v2/login', { json: { email: admin.email, password: 'not the password' } });
    const unknown = await call(server, 'POST', '/api/v2/login', { json: { email: `nobody-${uniqueSuffix()}@example.com`, password: 'not the password' } });
    for (const response of [wrong, unknown]) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ status: 'Failed', message: 'Invalid credentials' });
    }
  });

  it('locks an e-mail out after repeated failures with 429 and Retry-After', async () => {
    const admin = await signUpAndLogIn(server);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await call(server, 'POST', '/api/v2/login', { json: { email: admin.email, password: 'guess' } })).status).toBe(401);
    }
    const locked = await call(server, 'POST', '/api/v2/login', { json: { email: admin.email, password: admin.password } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body).toEqual({ status: 'Failed', message: expect.any(String) });
  });
});

describe('tenant administration endpoints', () => {
  let admin: TenantAdminSession;
  beforeAll(async () => {
    admin = await signUpAndLogIn(server);
  });

  it('answers 401 without a token or with a malformed one, and 403 to a token without tenants:admin', async () => {
    const client = await server.createClient({ name: 'Customer app', grantTypes: ['client_credentials'], scope: 'users:read' });
    const otherToken = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=users:read',
    }).then((response) => response.json() as Promise<{ access_token: string }>);

    const none = await call(server, 'POST', '/api/v2/tenant', { json: { tenant_name: 'X' } });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ status: 'Failed', message: 'Unauthorized' });
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const garbage = await call(server, 'POST', '/api/v2/tenant', { token: 'not.a.jwt', json: { tenant_name: 'X' } });
    expect(garbage.status).toBe(401);
    expect(garbage.body).toEqual({ status: 'Failed', message: 'Unauthorized' });
    // A valid Gatehouse token without tenants:admin: authenticated, but not allowed.
    const wrongScope = await call(server, 'POST', '/api/v2/tenant', { token: otherToken.access_token, json: { tenant_name: 'X' } });
    expect(wrongScope.status).toBe(403);
    expect(wrongScope.body).toEqual({ status: 'Failed', message: 'Forbidden' });
  });

  it('refuses a service operator token on tenant admin endpoints, and a tenant admin token on activation', async () => {
    const asOperator = await call(server, 'POST', '/api/v2/tenant', { token: operator, json: { tenant_name: `Op ${uniqueSuffix()}` } });
    expect(asOperator.status).toBe(403);
    const tenantId = (await call(server, 'POST', '/api/v2/tenant', { token: admin.token, json: { tenant_name: `Self ${uniqueSuffix()}` } })).body.data
      .tenant_id;
    const selfActivation = await call(server, 'POST', `/api/v2/tenant/${tenantId}/activate`, { token: admin.token });
    expect(selfActivation.status).toBe(403);
    expect(selfActivation.body).toEqual({ status: 'Failed', message: 'Forbidden' });
  });

  it('refuses a tenant name already taken, in any case', async () => {
    const name = `Acme ${uniqueSuffix()}`;
    expect((await call(server, 'POST', '/api/v2/tenant', { token: admin.token, json: { tenant_name: name } })).status).toBe(200);
    const again = await call(server, 'POST', '/api/v2/tenant', { token: admin.token, json: { tenant_name: `  ${name.toUpperCase()} ` } });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ errors: { tenant_name: ['The tenant name has already been taken.'] } });
    const missing = await call(server, 'POST', '/api/v2/tenant', { token: admin.token, json: {} });
    expect(missing.body).toEqual({ errors: { tenant_name: ['The tenant name field is required.'] } });
  });

  it('answers an unknown or malformed tenant id with the spec 400', async () => {
    for (const tenantId of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const response = await call(server, 'POST', `/api/v2/tenant/${tenantId}/api_key/refresh`, { token: admin.token });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ errors: { tenant_id: ['The tenant id is invalid.'] } });
    }
  });

  it('stops the previous API key the moment a new one is issued', async () => {
    const tenant = await readyTenant(server, operator);
    await postPasscode(server, tenant.tenantId, { pass_key: '5550001' });
    expect((await getPasscode(server, tenant.tenantId, '5550001', tenant.apiKey)).status).toBe(200);

    const refreshed = await call(server, 'POST', `/api/v2/tenant/${tenant.tenantId}/api_key/refresh`, { token: tenant.admin.token });
    const newKey = refreshed.body.api_key as string;
    expect(newKey).not.toBe(tenant.apiKey);

    const old = await getPasscode(server, tenant.tenantId, '5550001', tenant.apiKey);
    expect(old.status).toBe(401);
    expect(old.body).toEqual({ status: 'Failed', message: 'Unauthorized' });
    await postPasscode(server, tenant.tenantId, { pass_key: '5550009' });
    expect((await getPasscode(server, tenant.tenantId, '5550009', newKey)).status).toBe(200);
  });

  it('stops a deactivated tenant at once, for customers and agents', async () => {
    const tenant = await readyTenant(server, operator);
    await postPasscode(server, tenant.tenantId, { pass_key: '5550002' });
    expect((await call(server, 'POST', `/api/v2/tenant/${tenant.tenantId}/deactivate`, { token: operator })).status).toBe(200);
    const lookup = await getPasscode(server, tenant.tenantId, '5550002', tenant.apiKey);
    expect(lookup.status).toBe(400);
    expect(lookup.body).toEqual({ status: 'Failed', message: 'The tenant id is invalid.' });
    expect((await postPasscode(server, tenant.tenantId, { pass_key: '5550003' })).status).toBe(400);
  });
});

describe('passcode configuration', () => {
  let tenant: Awaited<ReturnType<typeof readyTenant>>;
  const configPath = () => `/api/v2/${tenant.tenantId}/identity/passcode/config`;
  beforeAll(async () => {
    tenant = await readyTenant(server, operator);
  });

  it('reports the defaults before any configuration is set', async () => {
    const response = await call(server, 'GET', configPath(), { token: tenant.admin.token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      tenant_id: tenant.tenantId,
      tenant_config_details: { pass_key_expires: 300, pass_phrase: 'system', pass_phrase_method: 'numeric', pass_phrase_length: 6 },
    });
    const created = await postPasscode(server, tenant.tenantId, { pass_key: '5550100' });
    expect(created.body.data.pass_phrase).toMatch(/^\d{6}$/);
  });

  it('refuses values out of bounds or outside the allowed sets, naming each field as the spec does', async () => {
    const response = await call(server, 'POST', configPath(), {
      token: tenant.admin.token,
      json: { tenant_config_details: { pass_key_expires: 5, pass_phrase: 'sometimes', pass_pharse_allowed_characters: 'emoji', pass_phrase_length: 33 } },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      errors: {
        'tenant_config_details.pass_key_expires': ['The tenant config details.pass key expires must be between 10 and 86400.'],
        'tenant_config_details.pass_phrase': ['The selected tenant config details.pass phrase is invalid.'],
        'tenant_config_details.pass_pharse_allowed_characters': ['The selected tenant config details.pass pharse allowed characters is invalid.'],
        'tenant_config_details.pass_phrase_length': ['The tenant config details.pass phrase length must be between 4 and 32.'],
      },
    });
    for (const details of [
      { pass_key_expires: 86_401, pass_phrase: 'system' },
      { pass_key_expires: 60, pass_phrase: 'system', pass_phrase_length: 3 },
      { pass_key_expires: 60.5, pass_phrase: 'system' },
    ]) {
      expect((await call(server, 'POST', configPath(), { token: tenant.admin.token, json: { tenant_config_details: details } })).status).toBe(400);
    }
    const missing = await call(server, 'POST', configPath(), { token: tenant.admin.token, json: {} });
    expect(missing.body).toEqual({ errors: { tenant_config_details: ['The tenant config details field is required.'] } });
  });

  it('accepts the bounds themselves, either spelling of allowed characters, and replaces the configuration', async () => {
    const first = await call(server, 'POST', configPath(), {
      token: tenant.admin.token,
      json: { tenant_config_details: { pass_key_expires: 10, pass_phrase: 'system', pass_phrase_allowed_characters: 'alphabets', pass_phrase_length: 4 } },
    });
    expect(first.status).toBe(200);
    const second = await call(server, 'POST', configPath(), {
      token: tenant.admin.token,
      json: {
        tenant_config_details: { pass_key_expires: '86400', pass_phrase: 'system', pass_pharse_allowed_characters: 'alphanumeric', pass_phrase_length: 32 },
      },
    });
    expect(second.status).toBe(200);
    expect(second.body.data.message).toBe('Tenant Configuration updated successfully');
    expect(second.body.data.data.tenantDetails.id).toBe(first.body.data.data.tenantDetails.id);

    const read = await call(server, 'GET', configPath(), { token: tenant.admin.token });
    expect(read.body).toEqual({
      id: first.body.data.data.tenantDetails.id,
      tenant_id: tenant.tenantId,
      tenant_config_details: { pass_key_expires: 86400, pass_phrase: 'system', pass_phrase_method: 'alphanumeric', pass_phrase_length: 32 },
      status: 1,
      created_by: expect.any(Number),
      updated_at: expect.any(String),
      created_at: expect.any(String),
    });
    // The spec's `created_by` is an integer: the numeric id of the admin who created the configuration.
    const [admin] = await server
      .em()
      .getConnection()
      .execute(`select numeric_id from tenant_admin where email_normalized = ?`, [tenant.admin.email.toLowerCase()]);
    expect(read.body.created_by).toBe((admin as { numeric_id: number }).numeric_id);
    const created = await postPasscode(server, tenant.tenantId, { pass_key: '5550101', pass_phrase: 'ignored in system mode' });
    expect(created.body.data.pass_phrase).toMatch(/^[A-HJ-NP-Z2-9]{32}$/);
  });

  it('uses the customer phrase in manual mode, held to the configured characters and minimum length', async () => {
    const manual = await readyTenant(server, operator, {
      pass_key_expires: 600,
      pass_phrase: 'manual',
      pass_pharse_allowed_characters: 'alphabets',
      pass_phrase_length: 5,
    });
    const missing = await postPasscode(server, manual.tenantId, { pass_key: 'birth place' });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ errors: { pass_phrase: ['The pass phrase field is required.'] } });
    const short = await postPasscode(server, manual.tenantId, { pass_key: 'birth place', pass_phrase: 'rome' });
    expect(short.body).toEqual({ errors: { pass_phrase: ['The pass phrase must be at least 5 characters.'] } });
    const digits = await postPasscode(server, manual.tenantId, { pass_key: 'birth place', pass_phrase: 'chennai 600001' });
    expect(digits.body).toEqual({ errors: { pass_phrase: ['The pass phrase may only contain letters and spaces.'] } });

    const created = await postPasscode(server, manual.tenantId, { pass_key: 'birth place', pass_phrase: 'chennai' });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ status: 'Success', data: { pass_key: 'birth place', pass_phrase: 'chennai' } });
    // A non-phone key is matched without regard to case or spacing.
    expect((await getPasscode(server, manual.tenantId, 'Birth  Place', manual.apiKey)).body).toEqual({ status: 'Success', pass_phrase: 'chennai' });
  });
});

describe('customer passcode errors', () => {
  let tenant: Awaited<ReturnType<typeof readyTenant>>;
  beforeAll(async () => {
    tenant = await readyTenant(server, operator);
  });

  it('answers a missing pass key with the spec 400', async () => {
    const response = await postPasscode(server, tenant.tenantId, {});
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: { pass_key: ['The pass key field is required.'] } });
  });

  it('answers a key holding a live passcode with the spec 409, for any way of writing the number', async () => {
    expect((await postPasscode(server, tenant.tenantId, { pass_key: '+44 20 7946 0000' })).status).toBe(200);
    const taken = await postPasscode(server, tenant.tenantId, { pass_key: '+44 (0)20-7946-0000' });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ status: 'Failed', message: 'Key already taken by another user' });
  });

  it('lets only one of two simultaneous submissions for a key win', async () => {
    const results = await Promise.all(Array.from({ length: 4 }, () => postPasscode(server, tenant.tenantId, { pass_key: '5559999' })));
    expect(results.map((result) => result.status).sort()).toEqual([200, 409, 409, 409]);
  });

  it('answers an unknown tenant with the spec 400', async () => {
    for (const tenantId of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      const response = await postPasscode(server, tenantId, { pass_key: '5550000' });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ status: 'Failed', message: 'The tenant id is invalid.' });
    }
  });

  it('answers an agent with 404 for a key nobody submitted and 401 for a wrong or missing API key', async () => {
    const unknown = await getPasscode(server, tenant.tenantId, '5551234', tenant.apiKey);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ status: 'Failed', message: 'Pass Key not found' });
    for (const apiKey of ['wrong', '']) {
      const response = await getPasscode(server, tenant.tenantId, '5551234', apiKey);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ status: 'Failed', message: 'Unauthorized' });
    }
  });

  it('answers a ciphertext moved to another key row with the common 500, never with the phrase', async () => {
    await postPasscode(server, tenant.tenantId, { pass_key: '5557001' });
    await postPasscode(server, tenant.tenantId, { pass_key: '5557002' });
    const connection = server.em().getConnection();
    const rows: any[] = await connection.execute('select key_hash, phrase_encrypted from passcode where tenant_id = ? order by created_at desc limit 2', [
      tenant.tenantId,
    ]);
    // Swap the two encrypted phrases: AES-GCM's associated data (tenant + key hash) must refuse both.
    await connection.execute('update passcode set phrase_encrypted = ? where tenant_id = ? and key_hash = ?', [
      rows[1].phrase_encrypted,
      tenant.tenantId,
      rows[0].key_hash,
    ]);
    const response = await getPasscode(server, tenant.tenantId, '5557002', tenant.apiKey);
    const other = await getPasscode(server, tenant.tenantId, '5557001', tenant.apiKey);
    expect([response.status, other.status]).toContain(500);
    const failed = response.status === 500 ? response : other;
    expect(failed.body).toEqual({ status: 'Failed', message: 'Something went wrong. Please contact Administrator' });
  });
});

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Socket } from 'node:net';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.js';
import { rawRequest, type RawResponse } from '../support/raw-http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { readyTenant, serviceAdminToken, type ReadyTenant } from '../tenants/support.js';
import { apiKey } from '../users/support.js';
import { clientToken } from './support.js';

/**
 * Issue 11: every case observed against the landed code, one named test each. Each one answered
 * 500, filled the disk or leaked into the log before the one body pipeline and input gate.
 */

const logLines: string[] = [];
const logSink = new Writable({
  write(chunk, _encoding, done) {
    logLines.push(String(chunk));
    done();
  },
});

let server: TestServer;
let adminToken: string;
let metaKey: string;
let tenant: ReadyTenant;
let passwordClient: { clientId: string; clientSecret?: string };
let otpClient: { clientId: string; clientSecret?: string };

beforeAll(async () => {
  server = await startTestServer(
    { TRUST_PROXY: 'true', EMAIL_CHECKS_PER_IP: '3', TENANT_SIGNUPS_PER_IP: '3', LOG_LEVEL: 'debug' },
    { logDestination: logSink },
  );
  adminToken = (await clientToken(server, 'users:admin')).accessToken;
  metaKey = await apiKey(server, ['user-meta.key-users']);
  tenant = await readyTenant(server, await serviceAdminToken(server));
  passwordClient = await server.createClient({ name: 'password app', grantTypes: ['password'], scope: 'openid' });
  otpClient = await server.createClient({ name: 'otp app', grantTypes: ['urn:gatehouse:grant-type:otp'], scope: 'openid' });
});
afterAll(() => server?.stop());

const send = (
  method: string,
  requestPath: string,
  init: { headers?: Record<string, string>; body?: string | Buffer; json?: unknown; form?: Record<string, string> } = {},
) => {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.form) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  return rawRequest(server.url, { method, path: requestPath, headers, body });
};
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (client: { clientId: string; clientSecret?: string }) => ({
  authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
});
const count = async (table: string) => Number((await server.em().getConnection().execute(`select count(*)::int as n from ${table}`))[0]?.n);

function expectRempError(response: RawResponse, status: number, code: string) {
  expect(response.status, response.text).toBe(status);
  expect(response.json).toMatchObject({ status: 'error', code });
}
function expectTenantError(response: RawResponse, status: number) {
  expect(response.status, response.text).toBe(status);
  expect(response.json?.status === 'Failed' || response.json?.errors !== undefined, response.text).toBe(true);
}
function expectOauthError(response: RawResponse, status: number, error: string) {
  expect(response.status, response.text).toBe(status);
  expect(response.json).toMatchObject({ error });
}

describe('bodies are bounded by bytes read and never touch the disk', () => {
  /** Files of a megabyte or more that appeared in the temporary directory (formidable's uploads did). */
  const largeTempFiles = () =>
    new Set(
      readdirSync(tmpdir()).filter((name) => {
        try {
          const stat = statSync(path.join(tmpdir(), name));
          return stat.isFile() && stat.size >= 1024 * 1024;
        } catch {
          return false;
        }
      }),
    );

  it('answers a 20 MB chunked multipart upload to /api/v1/users/login with 413 and writes nothing to the temporary directory', async () => {
    const before = largeTempFiles();
    const boundary = `----hostile${randomBytes(8).toString('hex')}`;
    const url = new URL(server.url);
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request({
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/api/v1/users/login',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
      });
      let answered = false;
      request.on('response', (response) => {
        answered = true;
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', (error) => (answered ? undefined : reject(error)));
      const chunk = Buffer.alloc(64 * 1024, 'A');
      let sent = 0;
      const pump = () => {
        request.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="20MB.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
        const next = () => {
          while (!answered && sent < 20 * 1024 * 1024) {
            sent += chunk.length;
            if (!request.write(chunk)) return void request.once('drain', next);
          }
          if (!answered) request.end(`\r\n--${boundary}--\r\n`);
        };
        next();
      };
      pump();
    });
    expect(status).toBe(413);
    const appeared = [...largeTempFiles()].filter((name) => !before.has(name));
    expect(appeared).toEqual([]);
  });

  it('refuses a JSON body over the limit with 413 in the family shape, counted without Content-Length', async () => {
    const response = await rawRequest(server.url, {
      method: 'POST',
      path: '/api/v1/users/email',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'x-forwarded-for': '198.51.100.1' },
      body: JSON.stringify({ email: 'a@example.com', padding: 'x'.repeat(150 * 1024) }),
    });
    expectRempError(response, 413, 'payload_too_large');
  });

  it('finishes a request whose client hangs up mid-body (400, logged), for the provider and the API alike', async () => {
    const url = new URL(server.url);
    for (const path of ['/oauth/token', '/api/v1/users/login']) {
      const id = `abandoned-${randomBytes(6).toString('hex')}`;
      await new Promise<void>((resolve, reject) => {
        const socket = new Socket();
        socket.once('error', reject);
        socket.connect(Number(url.port), url.hostname, () => {
          socket.write(
            `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\nX-Request-Id: ${id}\r\n\r\ngrant_type=`,
          );
          // The body promised 1,000 bytes; 11 arrived before the client went away.
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 100);
        });
      });
      // The access log line is written once the request's handling has ended: nothing is left waiting for the rest.
      await expect.poll(() => logLines.find((line) => line.includes(id) && line.includes('"msg":"request"')), { timeout: 5000 }).toMatch(/"status":400/);
    }
    expect((await rawRequest(server.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('refuses multipart where no route documents it (415) and file parts where it does (415)', async () => {
    const form = new FormData();
    form.set('name', 'x');
    const multipart = new Request('http://x', { method: 'POST', body: form });
    const body = Buffer.from(await multipart.arrayBuffer());
    const type = multipart.headers.get('content-type')!;
    expectRempError(await send('POST', '/api/v1/otp/request', { headers: { 'content-type': type }, body }), 415, 'unsupported_media_type');

    const withFile = new FormData();
    withFile.set('email', 'a@example.com');
    withFile.set('file', new Blob(['data']), 'a.bin');
    const fileRequest = new Request('http://x', { method: 'POST', body: withFile });
    const fileResponse = await send('POST', '/api/v1/users/login', {
      headers: { 'content-type': fileRequest.headers.get('content-type')! },
      body: Buffer.from(await fileRequest.arrayBuffer()),
    });
    expectRempError(fileResponse, 415, 'unsupported_media_type');
  });
});

describe('NUL bytes are refused with 400 before any database call', () => {
  it('GET /oauth/authorize?client_id=%00 answers an HTML error page', async () => {
    const response = await send('GET', '/oauth/authorize?client_id=%00&response_type=code', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('text/html');
  });

  it('the password grant with a NUL in the username answers invalid_request', async () => {
    const response = await send('POST', '/oauth/token', {
      headers: basic(passwordClient),
      form: { grant_type: 'password', username: 'a\u0000b@example.com', password: 'whatever' },
    });
    expectOauthError(response, 400, 'invalid_request');
  });

  it('POST /api/v2/login', async () => {
    expectTenantError(await send('POST', '/api/v2/login', { json: { email: 'a\u0000@example.com', password: 'whatever' } }), 400);
  });

  it('POST /api/v2/tenant', async () => {
    const before = await count('tenant');
    expectTenantError(await send('POST', '/api/v2/tenant', { headers: bearer(tenant.admin.token), json: { tenant_name: 'Company\u0000' } }), 400);
    expect(await count('tenant')).toBe(before);
  });

  it('POST /api/v1/groups', async () => {
    const before = await count('user_group');
    expectRempError(await send('POST', '/api/v1/groups', { headers: bearer(adminToken), json: { name: 'group\u0000' } }), 400, 'invalid_request');
    expect(await count('user_group')).toBe(before);
  });

  it('POST /api/v1/admin/api-keys', async () => {
    const before = await count('api_key');
    expectRempError(
      await send('POST', '/api/v1/admin/api-keys', { headers: bearer(adminToken), json: { name: 'key\u0000', endpoints: ['users.create'] } }),
      400,
      'invalid_request',
    );
    expect(await count('api_key')).toBe(before);
  });

  it('POST /api/v1/user-meta/key-users', async () => {
    expectRempError(
      await send('POST', '/api/v1/user-meta/key-users', { headers: bearer(metaKey), json: { key: 'plan', value: 'gold\u0000' } }),
      400,
      'invalid_request',
    );
  });

  it('POST /api/v1/users/autologin-token-login', async () => {
    expectRempError(
      await send('POST', '/api/v1/users/autologin-token-login', { form: { autologin_token: '\u0000', device_token: 'd' } }),
      400,
      'invalid_request',
    );
  });

  it('GET /api/v2/{tenant}/identity/passcode/%00', async () => {
    expectTenantError(await send('GET', `/api/v2/${tenant.tenantId}/identity/passcode/%00`, { headers: { 'x-api-key': tenant.apiKey } }), 400);
  });

  it('refuses invalid UTF-8 in the query, a form, a JSON body and a header, and lone surrogates in JSON', async () => {
    expectRempError(await send('GET', '/api/v1/users/addresses?email=%FF', { headers: bearer(adminToken) }), 400, 'invalid_request');
    expectOauthError(
      await send('POST', '/oauth/token', {
        headers: { ...basic(passwordClient), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=password&username=%C3%28&password=x',
      }),
      400,
      'invalid_request',
    );
    const rawBytes = Buffer.concat([Buffer.from('{"email":"'), Buffer.from([0xff, 0xfe]), Buffer.from('@example.com","password":"x"}')]);
    expectTenantError(await send('POST', '/api/v2/login', { headers: { 'content-type': 'application/json' }, body: rawBytes }), 400);
    expectTenantError(
      await send('POST', '/api/v2/login', { headers: { 'content-type': 'application/json' }, body: '{"email":"\\ud800@example.com","password":"x"}' }),
      400,
    );
    expectRempError(await send('GET', '/api/v1/user/info', { headers: { authorization: 'Bearer \u00ff\u00fe' } }), 400, 'invalid_request');
  });
});

describe('malformed JSON is a 400 in the family shape', () => {
  const bodies = {
    'broken JSON': '{"email": "a@example.com", "password": "s3cret-MARKER',
    'a scalar root': '42',
    'a __proto__ key': '{"__proto__": {"admin": true}, "email": "a@example.com"}',
  };
  const routes = (): Array<{ name: string; path: string; headers: Record<string, string>; family: 'remp' | 'tenant' }> => [
    { name: 'POST /api/v1/otp/request', path: '/api/v1/otp/request', headers: {}, family: 'remp' },
    { name: 'POST /api/v1/admin/api-keys', path: '/api/v1/admin/api-keys', headers: bearer(adminToken), family: 'remp' },
    { name: 'POST /api/v2/tenant/user', path: '/api/v2/tenant/user', headers: { 'x-forwarded-for': '198.51.100.20' }, family: 'tenant' },
    { name: 'POST /api/v2/login', path: '/api/v2/login', headers: {}, family: 'tenant' },
    { name: 'POST /api/v2/tenant', path: '/api/v2/tenant', headers: bearer(tenant.admin.token), family: 'tenant' },
    { name: 'POST /api/v2/{t}/identity/passcode', path: `/api/v2/${tenant.tenantId}/identity/passcode`, headers: {}, family: 'tenant' },
    {
      name: 'POST /api/v2/{t}/identity/passcode/config',
      path: `/api/v2/${tenant.tenantId}/identity/passcode/config`,
      headers: bearer(tenant.admin.token),
      family: 'tenant',
    },
  ];
  for (const name of [
    'POST /api/v1/otp/request',
    'POST /api/v1/admin/api-keys',
    'POST /api/v2/tenant/user',
    'POST /api/v2/login',
    'POST /api/v2/tenant',
    'POST /api/v2/{t}/identity/passcode',
    'POST /api/v2/{t}/identity/passcode/config',
  ]) {
    it(`${name}: broken JSON, a scalar root and a __proto__ key`, async () => {
      const route = routes().find((each) => each.name === name)!;
      for (const [label, body] of Object.entries(bodies)) {
        const response = await send('POST', route.path, { headers: { ...route.headers, 'content-type': 'application/json' }, body });
        if (route.family === 'remp') expectRempError(response, 400, 'invalid_request');
        else expectTenantError(response, 400);
        expect(response.text, label).not.toContain('MARKER');
      }
    });
  }

  it('logs neither the body nor the parser error of a malformed request', () => {
    expect(logLines.join('')).not.toContain('MARKER');
  });
});

describe('validation inside custom grants', () => {
  it('answers the OTP grant with a malformed e-mail address with invalid_request', async () => {
    const response = await send('POST', '/oauth/token', {
      headers: basic(otpClient),
      form: { grant_type: 'urn:gatehouse:grant-type:otp', email: 'not-an-email', code: '123456' },
    });
    expectOauthError(response, 400, 'invalid_request');
  });

  it('answers the OTP grant with an impossible phone number and country with invalid_request', async () => {
    const response = await send('POST', '/oauth/token', {
      headers: basic(otpClient),
      form: { grant_type: 'urn:gatehouse:grant-type:otp', phone_number: `+${'9'.repeat(40)}`, country_code: 'ZZ', code: '123456' },
    });
    expectOauthError(response, 400, 'invalid_request');
  });
});

describe('unknown API paths', () => {
  it('answer the REMP family JSON 404, not text/plain', async () => {
    const response = await send('GET', '/api/v1/no-such-endpoint');
    expectRempError(response, 404, 'not_found');
    expect(response.headers['content-type']).toContain('application/json');
  });

  it('answer the tenant family shape under /api/v2/tenant and a JSON 405 for a known path with another method', async () => {
    expectTenantError(await send('GET', '/api/v2/tenant/nothing/here'), 404);
    const wrongMethod = await send('GET', '/api/v1/users/login');
    expectRempError(wrongMethod, 405, 'method_not_allowed');
    expect(wrongMethod.headers.allow).toContain('POST');
  });
});

describe('log redaction', () => {
  it('keeps error codes (EADDRINUSE, SQLSTATEs) visible while OAuth code parameters and SQL stay hidden', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => lines.push(line) });
    const listen = Object.assign(new Error('listen EADDRINUSE: address already in use'), { code: 'EADDRINUSE' });
    const sqlError = Object.assign(new Error("insert into customer (email) values ('leak@example.com') - duplicate key"), {
      code: '23505',
      severity: 'ERROR',
      sql: "insert into customer (email) values ('leak@example.com')",
      params: ['leak@example.com'],
      detail: 'Key (email)=(leak@example.com) already exists.',
    });
    logger.error({ err: listen }, 'listen failed');
    logger.error({ err: sqlError, code: 'oauth-authorization-code', params: { code: 'another-code' } }, 'query failed');
    const [first, second] = lines.map((line) => JSON.parse(line));
    expect(first.err.code).toBe('EADDRINUSE');
    expect(second.err.code).toBe('23505');
    expect(second.code).toBe('[redacted]');
    expect(second.params.code).toBe('[redacted]');
    expect(lines.join('')).not.toContain('leak@example.com');
    expect(lines.join('')).not.toContain('oauth-authorization-code');
  });
});

describe('enumeration endpoints are limited per IP', () => {
  it('answers POST /api/v1/users/email normally, then 429 with Retry-After past the allowance', async () => {
    const from = (ip: string) =>
      send('POST', '/api/v1/users/email', { headers: { 'x-forwarded-for': ip }, form: { email: `nobody-${randomBytes(3).toString('hex')}@example.com` } });
    for (let i = 0; i < 3; i += 1) {
      const allowed = await from('198.51.100.7');
      expect(allowed.status, allowed.text).toBe(200);
      expect(allowed.json).toMatchObject({ status: 'available' });
    }
    const limited = await from('198.51.100.7');
    expectRempError(limited, 429, 'too_many_requests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await from('198.51.100.8')).status).toBe(200);
  });

  it('limits the tenant admin sign-up per IP, keeping the spec answer for a taken address', async () => {
    const signUp = (email: string) =>
      send('POST', '/api/v2/tenant/user', {
        headers: { 'x-forwarded-for': '198.51.100.9' },
        json: { name: 'Tenant Admin', email, password: 'long enough password' },
      });
    const email = `admin-${randomBytes(3).toString('hex')}@example.com`;
    expect((await signUp(email)).status).toBe(200);
    const taken = await signUp(email);
    expect(taken.status).toBe(400);
    expect(taken.json).toEqual({ errors: { email: ['The email has already been taken.'] } });
    expect((await signUp(`other-${email}`)).status).toBe(200);
    const limited = await signUp(`third-${email}`);
    expectTenantError(limited, 429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

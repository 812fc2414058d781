import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { api, apiKey, clientToken, expectFieldError, numericIdOf, rempLogin, sql, userToken } from './support.js';

let server: TestServer;
let alice: { id: string; email: string; password: string };
let aliceToken: string;

beforeAll(async () => {
  server = await startTestServer();
  alice = await server.createUser({ firstName: 'Alice', lastName: 'Novak' });
  aliceToken = await rempLogin(server, alice);
  await sql(
    server,
    `insert into user_meta (customer_id, key, value, is_public, created_at, updated_at) values (?, 'newsletter_subscribed', '1', true, now(), now()), (?, 'secret_note', 'x', false, now(), now())`,
    [alice.id, alice.id],
  );
});
afterAll(() => server?.stop());

describe('GET /api/v1/user/info', () => {
  it('answers the user of the token with its public meta only', async () => {
    const reply = await api(server, 'GET', '/api/v1/user/info', { auth: aliceToken });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      status: 'ok',
      user: { id: await numericIdOf(server, alice.id), uuid: alice.id, email: alice.email, confirmed_at: null, first_name: 'Alice', last_name: 'Novak' },
      user_meta: { newsletter_subscribed: '1' },
    });
  });

  it('refuses a request without a token, an API key and a client token', async () => {
    // REMP's code table: "403 Forbidden: The authorization failed"; the RFC 6750 challenge stays.
    const missing = await api(server, 'GET', '/api/v1/user/info');
    expect(missing.status).toBe(403);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect(missing.body).toEqual({ status: 'error', code: 'unauthorized', message: 'Authorization is required' });
    const forged = await api(server, 'GET', '/api/v1/user/info', { auth: 'not-a-token' });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(forged.body).toMatchObject({ status: 'error', code: 'invalid_token' });
    const key = await apiKey(server, ['*']);
    expect((await api(server, 'GET', '/api/v1/user/info', { auth: key })).status).toBe(403);
    const client = await clientToken(server, 'users:read');
    const refused = await api(server, 'GET', '/api/v1/user/info', { auth: client.accessToken });
    expect(refused.status).toBe(403);
  });

  it('refuses a user token without users:read with 403 insufficient_scope', async () => {
    const token = await userToken(server, alice.id, 'openid profile');
    const reply = await api(server, 'GET', '/api/v1/user/info', { auth: token });
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ status: 'error', code: 'insufficient_scope' });
  });

  it('refuses unknown query parameters, naming them', async () => {
    const reply = await api(server, 'GET', '/api/v1/user/info', { auth: aliceToken, query: { user_id: alice.id } });
    expectFieldError(reply, 'user_id');
  });
});

describe.each(['/api/v1/users/email', '/api/v2/users/email'])('POST %s', (path) => {
  it('answers taken with the user id, and no password verdict when none was sent', async () => {
    const reply = await api(server, 'POST', path, { form: { email: alice.email.toUpperCase() } });
    expect(reply.status).toBe(200);
    // REMP: "Integer; ID of user if email is taken".
    expect(reply.body).toEqual({ email: alice.email.toUpperCase(), status: 'taken', id: await numericIdOf(server, alice.id), password: null });
  });

  it('answers available for an unknown e-mail (JSON accepted too)', async () => {
    const reply = await api(server, 'POST', path, { json: { email: 'nobody-here@example.com', password: 'whatever1' } });
    expect(reply.body).toEqual({ email: 'nobody-here@example.com', status: 'available', id: null, password: null });
  });

  it('checks a password without signing in', async () => {
    const right = await api(server, 'POST', path, { form: { email: alice.email, password: alice.password } });
    expect(right.body).toMatchObject({ status: 'taken', password: true });
    expect(right.body).not.toHaveProperty('access');
    const wrong = await api(server, 'POST', path, { form: { email: alice.email, password: 'not the password' } });
    expect(wrong.body).toMatchObject({ status: 'taken', password: false });
    // An empty form field is no password at all.
    expect((await api(server, 'POST', path, { form: { email: alice.email, password: '' } })).body).toMatchObject({ status: 'taken', password: null });
  });

  it('refuses a malformed e-mail, a missing e-mail and unknown fields with a 400 naming the field', async () => {
    expectFieldError(await api(server, 'POST', path, { form: { email: 'not-an-email' } }), 'email');
    expectFieldError(await api(server, 'POST', path, { form: {} }), 'email');
    expectFieldError(await api(server, 'POST', path, { form: { email: alice.email, source: 'web' } }), 'source');
    expectFieldError(await api(server, 'POST', path, { json: { email: 42 } }), 'email');
    expectFieldError(await api(server, 'POST', path, { raw: { type: 'application/json', body: '{"email":' } }), 'body');
  });
});

describe('password checks at users/email', () => {
  it('lock the account out like logins do: 429 with Retry-After after five wrong passwords', async () => {
    const bob = await server.createUser();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const reply = await api(server, 'POST', '/api/v2/users/email', { form: { email: bob.email, password: `wrong-${attempt}` } });
      expect(reply.body.password).toBe(false);
    }
    const locked = await api(server, 'POST', '/api/v2/users/email', { form: { email: bob.email, password: bob.password } });
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ status: 'error', code: 'too_many_requests' });
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The lock-out is shared with the login endpoint.
    const login = await api(server, 'POST', '/api/v1/users/login', { form: { email: bob.email, password: bob.password } });
    expect(login.status).toBe(429);
    // Availability alone is never limited.
    expect((await api(server, 'POST', '/api/v2/users/email', { form: { email: bob.email } })).status).toBe(200);
  });
});

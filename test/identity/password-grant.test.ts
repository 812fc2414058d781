import { decodeJwt } from 'jose';
import { passwordVerificationCount } from '../../src/platform/crypto/passwords.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let app: { clientId: string; clientSecret?: string };
let user: { id: string; email: string; password: string };

beforeAll(async () => {
  server = await startTestServer({ LOGIN_FAILURES_PER_IP: '20' });
  app = await server.createClient({
    name: 'Mobile backend',
    grantTypes: ['password', 'refresh_token'],
    scope: 'openid profile email offline_access users:read',
  });
  user = await server.createUser({ firstName: 'Grace', lastName: 'Hopper' });
});
afterAll(() => server?.stop());

const passwordGrant = (form: Record<string, string>, client = app) =>
  postForm(`${server.url}/oauth/token`, { grant_type: 'password', ...form }, { basic: [client.clientId, client.clientSecret!] });

describe('password grant', () => {
  it('returns access, refresh and ID tokens in SessionM shape, accepted by userinfo and introspection', async () => {
    const response = await passwordGrant({ username: user.email, password: user.password, scope: 'openid email users:read' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid email users:read' });
    expect(response.body.refresh_token).toEqual(expect.any(String));
    expect(decodeJwt(response.body.id_token)).toMatchObject({ sub: user.id, aud: app.clientId, email: user.email });
    expect(decodeJwt(response.body.access_token)).toMatchObject({ sub: user.id, aud: `${server.url}/api` });

    const userinfo = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${response.body.access_token}` } });
    expect(await userinfo.json()).toEqual({ sub: user.id, email: user.email, email_verified: true });
    const introspection = await postForm(`${server.url}/oauth/introspect`, { token: response.body.access_token }, { basic: [app.clientId, app.clientSecret!] });
    expect(introspection.body).toMatchObject({ active: true, sub: user.id });

    const refreshed = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'refresh_token', refresh_token: response.body.refresh_token },
      { basic: [app.clientId, app.clientSecret!] },
    );
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(refreshed.body.access_token)).toMatchObject({ sub: user.id, scope: expect.stringContaining('users:read') });
    expect(refreshed.body.id_token).toEqual(expect.any(String));
  });

  it('accepts `email` in place of `username` and matches e-mail case-insensitively', async () => {
    const response = await passwordGrant({ email: user.email.toUpperCase(), password: user.password });
    expect(response.status).toBe(200);
  });

  it('refuses a wrong password and an unknown user with the same error', async () => {
    const wrong = await passwordGrant({ username: user.email, password: 'wrong password here' });
    const unknown = await passwordGrant({ username: 'nobody@example.com', password: 'wrong password here' });
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error).toBe('invalid_grant');
  });

  it('does the same argon2 work for an unknown user as for a wrong password (one verification each)', async () => {
    // The cost an attacker could time is the argon2id verification; counting it keeps the test
    // independent of the machine's speed and load (issue #12 §7), where timing it was not.
    const other = await server.createUser();
    const work = async (username: string) => {
      const before = passwordVerificationCount();
      const response = await passwordGrant({ username, password: 'another wrong one' });
      expect(response.body.error).toBe('invalid_grant');
      return passwordVerificationCount() - before;
    };
    expect(await work(other.email)).toBe(1);
    expect(await work('ghost@example.com')).toBe(1);
  });

  it("takes the ID token's claims from the sign-in's own read of the account: current name, e-mail, verification", async () => {
    const renamed = await server.createUser({ firstName: 'Ada', lastName: 'Byron' });
    await server.em().getConnection().execute("update customer set last_name = 'Lovelace', updated_at = now() where id = ?", [renamed.id]);
    const response = await passwordGrant({ username: renamed.email, password: renamed.password, scope: 'openid profile email' });
    expect(response.status).toBe(200);
    expect(decodeJwt(response.body.id_token)).toMatchObject({
      sub: renamed.id,
      name: 'Ada Lovelace',
      given_name: 'Ada',
      family_name: 'Lovelace',
      email: renamed.email,
      email_verified: true,
      updated_at: expect.any(Number),
    });
  });

  it('refuses a deactivated customer with the error of a wrong password', async () => {
    const leaver = await server.createUser();
    await server.em().getConnection().execute('update customer set deactivated_at = now() where id = ?', [leaver.id]);
    const response = await passwordGrant({ username: leaver.email, password: leaver.password });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
  });

  it('refuses a scope the client may not have', async () => {
    const response = await passwordGrant({ username: user.email, password: user.password, scope: 'users:admin' });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_scope');
  });

  it('refuses clients not allowed the password grant with unauthorized_client', async () => {
    const other = await server.createClient({ name: 'cc only', grantTypes: ['client_credentials'], scope: 'users:read' });
    const response = await passwordGrant({ username: user.email, password: user.password }, other);
    expect(response.body.error).toBe('unauthorized_client');
  });

  it('locks an account after 5 wrong passwords: the 6th attempt gets 429 with Retry-After', async () => {
    const victim = await server.createUser();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      expect((await passwordGrant({ username: victim.email, password: `wrong-${attempt}` })).status).toBe(400);
    }
    const locked = await passwordGrant({ username: victim.email, password: victim.password });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body.error).toBe('too_many_attempts');
  });

  it('records every attempt with customer, method, result, IP and user agent', async () => {
    const rows: any[] = await server.em().getConnection().execute(`select customer_id, method, result, ip from login_attempt where method = 'password'`);
    expect(rows.some((row) => row.customer_id === user.id && row.result === 'success')).toBe(true);
    expect(rows.some((row) => row.result === 'failure')).toBe(true);
    expect(rows.some((row) => row.result === 'locked')).toBe(true);
    expect(rows.every((row) => typeof row.ip === 'string')).toBe(true);
  });

  it('limits a burst of failures from one IP across many accounts', async () => {
    let status = 0;
    for (let attempt = 0; attempt < 15 && status !== 429; attempt += 1) {
      status = (await passwordGrant({ username: `spray${attempt}@example.com`, password: 'Winter2026!' })).status;
    }
    expect(status).toBe(429);
  });
});

describe('login attempts for admins', () => {
  it('lists a customer’s attempts to a users:admin client and refuses other callers', async () => {
    const admin = await server.createClient({ name: 'admin', grantTypes: ['client_credentials'], scope: 'users:admin users:read' });
    const token = async (scope: string) =>
      (await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', scope }, { basic: [admin.clientId, admin.clientSecret!] })).body
        .access_token;
    const adminToken = await token('users:admin');
    const response = await fetch(`${server.url}/api/v1/admin/login-attempts?customer_id=${user.id}&limit=5`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.login_attempts.length).toBeGreaterThan(0);
    expect(body.login_attempts.every((attempt: { customer_id: string }) => attempt.customer_id === user.id)).toBe(true);
    expect(body.login_attempts[0]).toMatchObject({ method: 'password', result: 'success', ip: expect.any(String) });

    const readOnly = await fetch(`${server.url}/api/v1/admin/login-attempts`, { headers: { authorization: `Bearer ${await token('users:read')}` } });
    expect(readOnly.status).toBe(403);
    const bad = await fetch(`${server.url}/api/v1/admin/login-attempts?limit=9999`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(bad.status).toBe(400);
  });
});

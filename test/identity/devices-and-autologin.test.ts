import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutologinToken } from '../../src/identity/credentials/autologin/service.js';
import { runCli } from '../support/cli.js';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let app: { clientId: string; clientSecret?: string };
let user: { id: string; email: string; password: string };

beforeAll(async () => {
  server = await startTestServer();
  app = await server.createClient({
    name: 'Mobile',
    grantTypes: ['password', 'refresh_token', 'urn:gatehouse:grant-type:device-token', 'urn:gatehouse:grant-type:autologin-token'],
    scope: 'openid email offline_access users:read',
  });
  user = await server.createUser();
});
afterAll(() => server?.stop());

const token = (form: Record<string, string>) => postForm(`${server.url}/oauth/token`, form, { basic: [app.clientId, app.clientSecret!] });
const introspect = async (value: string) =>
  (await postForm(`${server.url}/oauth/introspect`, { token: value }, { basic: [app.clientId, app.clientSecret!] })).body.active;
const newDeviceToken = async (deviceId = 'iphone-15') => {
  const response = await postForm(`${server.url}/api/v1/users/get-device-token`, { device_id: deviceId });
  expect(response.status).toBe(200);
  return response.body.device_token as string;
};
const autologin = (options: { validForSeconds?: number; maxUses?: number; validFrom?: Date } = {}) =>
  createAutologinToken(server.em() as EntityManager, {
    customerId: user.id,
    validForSeconds: options.validForSeconds ?? 600,
    maxUses: options.maxUses ?? 1,
    validFrom: options.validFrom,
  });

describe('device tokens', () => {
  it('issues a device token for a device id and stores only its hash', async () => {
    const deviceToken = await newDeviceToken('pixel-9');
    const rows: any[] = await server.em().getConnection().execute(`select token_hash, device_id from device_token where device_id = 'pixel-9'`);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).not.toBe(deviceToken);
  });

  it('refuses a missing device_id with a 400 naming the field', async () => {
    const response = await postForm(`${server.url}/api/v1/users/get-device-token`, {});
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ status: 'error', code: 'invalid_request' });
    expect(response.body.message).toContain('device_id');
  });

  it('pairs any grant carrying device_token, exchanges it for fresh tokens, and logout revokes every paired token', async () => {
    const deviceToken = await newDeviceToken();
    const first = await token({ grant_type: 'password', username: user.email, password: user.password, device_token: deviceToken });
    expect(first.status).toBe(200);
    const second = await token({ grant_type: 'urn:gatehouse:grant-type:device-token', device_token: deviceToken });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).toEqual(expect.any(String));
    expect(await introspect(first.body.access_token)).toBe(true);
    expect(await introspect(second.body.access_token)).toBe(true);

    const logout = await fetch(`${server.url}/api/v1/users/logout`, { method: 'POST', headers: { authorization: `Bearer ${deviceToken}` } });
    expect(logout.status).toBe(200);
    expect(await logout.json()).toEqual({ status: 'ok' });
    expect(await introspect(first.body.access_token)).toBe(false);
    expect(await introspect(second.body.access_token)).toBe(false);
    expect(await introspect(first.body.refresh_token)).toBe(false);
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: second.body.refresh_token });
    expect(refresh.body.error).toBe('invalid_grant');

    const afterLogout = await token({ grant_type: 'urn:gatehouse:grant-type:device-token', device_token: deviceToken });
    expect(afterLogout.status).toBe(400);
    expect(afterLogout.body.error).toBe('invalid_grant');
  });

  it('pairs a device with an existing access token at get-device-token', async () => {
    const signedIn = await token({ grant_type: 'password', username: user.email, password: user.password });
    const response = await postForm(`${server.url}/api/v1/users/get-device-token`, { device_id: 'tablet', access_token: signedIn.body.access_token });
    const exchanged = await token({ grant_type: 'urn:gatehouse:grant-type:device-token', device_token: response.body.device_token });
    expect(exchanged.status).toBe(200);
  });

  it('refuses an unpaired device token at the device-token grant', async () => {
    const response = await token({ grant_type: 'urn:gatehouse:grant-type:device-token', device_token: await newDeviceToken('fresh') });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
  });

  it('refuses an unknown device token on a grant and issues nothing', async () => {
    const before: any[] = await server.em().getConnection().execute(`select count(*)::int as n from oidc_model where model = 'Grant'`);
    const response = await token({ grant_type: 'password', username: user.email, password: user.password, device_token: 'not-a-device-token' });
    expect(response.body.error).toBe('invalid_grant');
    const after: any[] = await server.em().getConnection().execute(`select count(*)::int as n from oidc_model where model = 'Grant'`);
    expect(after[0].n).toBe(before[0].n);
  });
});

describe('autologin tokens', () => {
  it('are exchanged through the grant, paired with the device, and refused once used up', async () => {
    const { token: autologinToken } = await autologin({ maxUses: 1 });
    const deviceToken = await newDeviceToken();
    const response = await token({
      grant_type: 'urn:gatehouse:grant-type:autologin-token',
      autologin_token: autologinToken,
      device_token: deviceToken,
      scope: 'openid email',
    });
    expect(response.status).toBe(200);
    expect(response.body.id_token).toEqual(expect.any(String));
    const again = await token({ grant_type: 'urn:gatehouse:grant-type:autologin-token', autologin_token: autologinToken, device_token: deviceToken });
    expect(again.body.error).toBe('invalid_grant');
  });

  it('require device_token at the grant', async () => {
    const { token: autologinToken } = await autologin();
    const response = await token({ grant_type: 'urn:gatehouse:grant-type:autologin-token', autologin_token: autologinToken });
    expect(response.body.error).toBe('invalid_request');
  });

  it('are refused after expiry', async () => {
    const { token: autologinToken } = await autologin({ validForSeconds: 60, validFrom: new Date(Date.now() - 120_000) });
    const response = await token({
      grant_type: 'urn:gatehouse:grant-type:autologin-token',
      autologin_token: autologinToken,
      device_token: await newDeviceToken(),
    });
    expect(response.body.error).toBe('invalid_grant');
  });

  it('work at REMP autologin-token-login with the documented shapes', async () => {
    const { token: autologinToken } = await autologin({ maxUses: 2 });
    const deviceToken = await newDeviceToken();
    const response = await postForm(`${server.url}/api/v1/users/autologin-token-login`, {
      autologin_token: autologinToken,
      device_token: deviceToken,
      source: 'ios_app',
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      user: { id: expect.any(Number), uuid: user.id, email: user.email, public_name: user.email },
      access: { token: expect.any(String) },
    });
    const userinfo = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${response.body.access.token}` } });
    expect((await userinfo.json()).sub).toBe(user.id);
    const invalid = await postForm(`${server.url}/api/v1/users/autologin-token-login`, { autologin_token: 'nope', device_token: deviceToken });
    expect(invalid.status).toBe(403);
    expect(invalid.body).toMatchObject({ status: 'error', message: 'Invalid token' });
  });

  it('are created by the CLI for an existing customer', async () => {
    const result = await runCli(['autologin:create', '--email', user.email, '--valid-for', '600', '--max-uses', '3'], server.env);
    expect(result.code, result.stderr).toBe(0);
    const created = JSON.parse(result.stdout);
    const response = await token({
      grant_type: 'urn:gatehouse:grant-type:autologin-token',
      autologin_token: created.autologin_token,
      device_token: await newDeviceToken(),
    });
    expect(response.status).toBe(200);
  });
});

describe('REMP login and logout', () => {
  it('logs in with e-mail and password and returns the REMP shape', async () => {
    const response = await postForm(`${server.url}/api/v1/users/login`, { email: user.email, password: user.password });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      user: { id: expect.any(Number), uuid: user.id, email: user.email, roles: [] },
      user_meta: {},
      access: { token: expect.any(String) },
    });
  });

  it('answers bad credentials with auth_failed', async () => {
    const response = await postForm(`${server.url}/api/v1/users/login`, { email: user.email, password: 'nope-nope' });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ status: 'error', error: 'auth_failed' });
  });

  it('accepts JSON bodies and refuses malformed JSON with a clear 400', async () => {
    const ok = await fetch(`${server.url}/api/v1/users/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${server.url}/api/v1/users/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('invalid_request');
  });

  it('logs out an access token: its grant ends', async () => {
    const login = await postForm(`${server.url}/api/v1/users/login`, { email: user.email, password: user.password });
    const accessToken = login.body.access.token;
    const logout = await fetch(`${server.url}/api/v1/users/logout`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
    expect(logout.status).toBe(200);
    const userinfo = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(userinfo.status).toBe(401);
  });
});

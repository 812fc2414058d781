import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../support/server.js';
import {
  count,
  customerRow,
  GOOGLE_SECRET,
  GOOGLE_WEB_CLIENT,
  googleSubject,
  identityRow,
  startSocialWorld,
  uniqueEmail,
  userinfo,
  type SocialWorld,
} from './support.js';

let world: SocialWorld;

beforeAll(async () => {
  world = await startSocialWorld();
});
afterAll(() => world?.stop());

const postJson = async (path: string, json: unknown) => {
  const response = await fetch(`${world.server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(json),
  });
  return { status: response.status, body: (await response.json()) as any };
};
const googleSignIn = (form: Record<string, string>) => postForm(`${world.server.url}/api/v1/users/google-token-sign-in`, form);
const appleSignIn = (form: Record<string, string>) => postForm(`${world.server.url}/api/v1/users/apple-token-sign-in`, form);

describe('POST /api/v1/users/google-token-sign-in', () => {
  it('creates the user and answers in REMP shape with a user token when create_access_token=true', async () => {
    const email = uniqueEmail('remp');
    const idToken = await world.google.mintIdToken({ email, email_verified: true, given_name: 'Margaret', family_name: 'Hamilton' });
    const response = await googleSignIn({ id_token: idToken, create_access_token: 'true', source: 'ios-app', locale: 'sk_SK' });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      user: {
        id: expect.any(Number),
        uuid: expect.any(String),
        email,
        first_name: 'Margaret',
        last_name: 'Hamilton',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        confirmed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      user_meta: {},
      access: { token: expect.any(String) },
    });
    const { uuid: id } = response.body.user;
    expect(decodeJwt(response.body.access.token)).toMatchObject({ sub: id, client_id: 'gatehouse', scope: expect.stringContaining('users:read') });
    expect(await userinfo(world.server, response.body.access.token)).toMatchObject({ status: 200, body: { sub: id, email } });
    expect(await customerRow(world.server, id)).toMatchObject({ source: 'ios-app', locale: 'sk_SK' });
  });

  it('signs the same user in again from a JSON body, without a token unless asked', async () => {
    const email = uniqueEmail('json');
    const sub = googleSubject();
    const first = await postJson('/api/v1/users/google-token-sign-in', { id_token: await world.google.mintIdToken({ sub, email, email_verified: true }) });
    expect(first.status).toBe(200);
    expect(first.body.access).toBeUndefined();
    const before = await count(world.server, 'customer');
    const again = await postJson('/api/v1/users/google-token-sign-in', {
      id_token: await world.google.mintIdToken({ sub, email, email_verified: true }),
      create_access_token: true,
    });
    expect(again.body.user.uuid).toBe(first.body.user.uuid);
    expect(again.body.access.token).toEqual(expect.any(String));
    expect(await count(world.server, 'customer')).toBe(before);
  });

  it('returns public user meta of an existing user it links', async () => {
    const existing = await world.server.createUser();
    await world.server
      .em()
      .getConnection()
      .execute(
        `insert into user_meta (customer_id, key, value, is_public, created_at, updated_at) values (?, 'newsletter', 'weekly', true, now(), now()), (?, 'internal', 'x', false, now(), now())`,
        [existing.id, existing.id],
      );
    const response = await googleSignIn({ id_token: await world.google.mintIdToken({ email: existing.email, email_verified: true }) });
    expect(response.body).toMatchObject({ status: 'ok', user: { uuid: existing.id }, user_meta: { newsletter: 'weekly' } });
    expect(response.body.user_meta.internal).toBeUndefined();
  });

  it('exchanges a web gsi_auth_code with Google (redirect_uri postmessage) and uses the ID token it returns', async () => {
    const email = uniqueEmail('gsi');
    const sub = googleSubject();
    world.google.registerAuthCode('4/0web-code', { sub, email, email_verified: true });
    const response = await googleSignIn({ gsi_auth_code: '4/0web-code', is_web: 'true', create_access_token: '1' });
    expect(response.status).toBe(200);
    expect(response.body.user.email).toBe(email);
    expect(world.google.tokenRequests.at(-1)).toMatchObject({
      code: '4/0web-code',
      clientId: GOOGLE_WEB_CLIENT,
      clientSecret: GOOGLE_SECRET,
      redirectUri: 'postmessage',
    });
    expect(await identityRow(world.server, 'google', sub)).toMatchObject({ customer_id: response.body.user.uuid });
  });

  it('exchanges an app gsi_auth_code without a redirect_uri, replacing the id_token sent with it', async () => {
    const email = uniqueEmail('gsi-app');
    world.google.registerAuthCode('4/0app-code', { email, email_verified: true });
    const stale = await world.google.mintIdToken({ email: uniqueEmail('ignored'), email_verified: true });
    const response = await googleSignIn({ id_token: stale, gsi_auth_code: '4/0app-code' });
    expect(response.body.user.email).toBe(email);
    expect(world.google.tokenRequests.at(-1)).toMatchObject({ code: '4/0app-code', redirectUri: null });
  });

  it('refuses a used gsi_auth_code and creates nobody', async () => {
    const before = await count(world.server, 'customer');
    const response = await googleSignIn({ gsi_auth_code: '4/0app-code' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ status: 'error', code: 'invalid_authorization_code' });
    expect(await count(world.server, 'customer')).toBe(before);
  });

  it('refuses bad ID tokens and unverified e-mails in REMP error shape', async () => {
    const before = await count(world.server, 'customer');
    const foreign = await googleSignIn({
      id_token: await world.google.mintIdToken({ email: uniqueEmail('x'), email_verified: true }, { signWithForeignKey: true }),
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body).toMatchObject({ status: 'error', code: 'invalid_id_token', message: expect.stringMatching(/signature/) });
    const unverified = await googleSignIn({ id_token: await world.google.mintIdToken({ email: uniqueEmail('x'), email_verified: false }) });
    expect(unverified.status).toBe(400);
    expect(unverified.body).toMatchObject({ status: 'error', code: 'email_not_verified' });
    const missing = await googleSignIn({ create_access_token: 'true' });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ status: 'error', code: 'invalid_request', message: expect.stringContaining('id_token') });
    expect(await count(world.server, 'customer')).toBe(before);
  });

  it('pairs the user token with a device token', async () => {
    const device = await postForm(`${world.server.url}/api/v1/users/get-device-token`, { device_id: 'pixel-9' });
    const response = await googleSignIn({
      id_token: await world.google.mintIdToken({ email: uniqueEmail('paired'), email_verified: true }),
      create_access_token: 'true',
      device_token: device.body.device_token,
    });
    expect(response.status).toBe(200);
    const [row] = await world.server.em().getConnection().execute('select customer_id from device_token where device_id = ?', ['pixel-9']);
    expect(row!.customer_id).toBe(response.body.user.uuid);

    const revoked = await googleSignIn({
      id_token: await world.google.mintIdToken({ email: uniqueEmail('x'), email_verified: true }),
      create_access_token: 'true',
      device_token: 'not-a-device-token',
    });
    expect(revoked.body).toMatchObject({ status: 'error', code: 'invalid_device_token' });
  });
});

describe('POST /api/v1/users/apple-token-sign-in', () => {
  it('creates the user and answers in REMP shape', async () => {
    const email = uniqueEmail('apple');
    const response = await appleSignIn({
      id_token: await world.apple.mintIdToken({ email, email_verified: 'true' }),
      create_access_token: 'true',
      locale: 'en-GB',
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      status: 'ok',
      user: {
        id: expect.any(Number),
        uuid: expect.any(String),
        email,
        first_name: null,
        last_name: null,
        created_at: expect.any(String),
        confirmed_at: expect.any(String),
      },
      user_meta: {},
      access: { token: expect.any(String) },
    });
    expect(await customerRow(world.server, response.body.user.uuid)).toMatchObject({ source: 'apple', locale: 'en-GB' });
    expect(await userinfo(world.server, response.body.access.token)).toMatchObject({ status: 200, body: { sub: response.body.user.uuid } });
  });

  it('refuses an expired Apple ID token in REMP error shape', async () => {
    const now = Math.floor(Date.now() / 1000);
    const response = await appleSignIn({
      id_token: await world.apple.mintIdToken({ email: uniqueEmail('late'), email_verified: true, iat: now - 7200, exp: now - 3600 }),
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ status: 'error', code: 'invalid_id_token', message: expect.stringMatching(/expired/) });
  });
});

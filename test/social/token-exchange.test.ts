import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../support/server.js';
import {
  ACCESS_TOKEN_TYPE,
  APPLE_APP_CLIENT,
  count,
  customerRow,
  googleSubject,
  ID_TOKEN_TYPE,
  identityRow,
  introspect,
  startSocialWorld,
  TOKEN_EXCHANGE,
  uniqueEmail,
  userinfo,
  type SocialWorld,
} from './support.js';

let world: SocialWorld;
let app: { clientId: string; clientSecret?: string };

beforeAll(async () => {
  world = await startSocialWorld({ LOGIN_FAILURES_PER_IP: '40' });
  app = await world.server.createClient({
    name: 'Mobile app backend',
    grantTypes: [TOKEN_EXCHANGE, 'refresh_token'],
    scope: 'openid profile email offline_access users:read',
  });
});
afterAll(() => world?.stop());

const exchange = (form: Record<string, string>, client = app) =>
  postForm(
    `${world.server.url}/oauth/token`,
    { grant_type: TOKEN_EXCHANGE, scope: 'openid email profile offline_access users:read', ...form },
    { basic: [client.clientId, client.clientSecret!] },
  );

const withGoogle = (idToken: string, extra: Record<string, string> = {}) =>
  exchange({ subject_token: idToken, subject_token_type: ID_TOKEN_TYPE, subject_issuer: 'https://accounts.google.com', ...extra });
const withApple = (idToken: string, extra: Record<string, string> = {}) =>
  exchange({ subject_token: idToken, subject_token_type: ID_TOKEN_TYPE, subject_issuer: 'https://appleid.apple.com', ...extra });
const withFacebook = (accessToken: string) => exchange({ subject_token: accessToken, subject_token_type: ACCESS_TOKEN_TYPE, subject_issuer: 'facebook' });

/** Runs a refused exchange and proves it changed nothing. */
async function expectRefusedWithoutChange(request: () => Promise<{ status: number; body: any }>, error: string) {
  const before = { customers: await count(world.server, 'customer'), identities: await count(world.server, 'customer_identity') };
  const response = await request();
  expect(response.status).toBe(400);
  expect(response.body.error).toBe(error);
  expect(response.body.access_token).toBeUndefined();
  expect({ customers: await count(world.server, 'customer'), identities: await count(world.server, 'customer_identity') }).toEqual(before);
  return response.body as { error: string; error_description: string };
}

describe('token exchange with a Google ID token', () => {
  const subject = googleSubject();
  const firstEmail = uniqueEmail('ada');
  let customerId: string;

  it('creates and links a customer, answering the standard token response plus issued_token_type', async () => {
    const before = await count(world.server, 'customer');
    const idToken = await world.google.mintIdToken({
      sub: subject,
      email: firstEmail,
      email_verified: true,
      given_name: 'Ada',
      family_name: 'Lovelace',
      nonce: 'n-0S6_WzA2Mj',
    });
    const response = await withGoogle(idToken, { nonce: 'n-0S6_WzA2Mj' });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      token_type: 'Bearer',
      issued_token_type: ACCESS_TOKEN_TYPE,
      scope: 'openid email profile offline_access users:read',
    });
    expect(response.body.refresh_token).toEqual(expect.any(String));
    customerId = decodeJwt(response.body.access_token).sub!;
    expect(decodeJwt(response.body.id_token)).toMatchObject({ sub: customerId, aud: app.clientId, email: firstEmail, email_verified: true, given_name: 'Ada' });

    expect(await userinfo(world.server, response.body.access_token)).toEqual({
      status: 200,
      body: expect.objectContaining({ sub: customerId, email: firstEmail, email_verified: true, family_name: 'Lovelace' }),
    });
    expect(await introspect(world.server, app, response.body.access_token)).toMatchObject({ active: true, sub: customerId, client_id: app.clientId });

    expect(await count(world.server, 'customer')).toBe(before + 1);
    expect(await identityRow(world.server, 'google', subject)).toMatchObject({ customer_id: customerId, email: firstEmail });
    expect(await customerRow(world.server, customerId)).toMatchObject({
      email: firstEmail,
      source: 'google',
      email_verified_at: expect.anything(),
      password_hash: null,
    });
  });

  it('signs the same customer in when the Google account later reports another e-mail', async () => {
    const before = await count(world.server, 'customer');
    const changedEmail = uniqueEmail('ada-new');
    const response = await withGoogle(await world.google.mintIdToken({ sub: subject, email: changedEmail, email_verified: true }));
    expect(response.status).toBe(200);
    expect(decodeJwt(response.body.access_token).sub).toBe(customerId);
    expect(await count(world.server, 'customer')).toBe(before);
    expect(await identityRow(world.server, 'google', subject)).toMatchObject({ customer_id: customerId, email: changedEmail });
    // The customer's own address is theirs to change; the provider's new one is only recorded on the link.
    expect((await customerRow(world.server, customerId))!.email).toBe(firstEmail);
  });

  it('links an existing customer with the same verified e-mail instead of creating a duplicate', async () => {
    const existing = await world.server.createUser({ email: uniqueEmail('grace') });
    const before = await count(world.server, 'customer');
    const otherSubject = googleSubject();
    // Matched case-insensitively, and through the iOS client id, which is one of the configured audiences.
    const idToken = await world.google.mintIdToken({
      sub: otherSubject,
      aud: 'gatehouse-ios.apps.googleusercontent.com',
      email: existing.email.toUpperCase(),
      email_verified: true,
    });
    const response = await withGoogle(idToken);
    expect(response.status).toBe(200);
    expect(decodeJwt(response.body.access_token).sub).toBe(existing.id);
    expect(await count(world.server, 'customer')).toBe(before);
    expect(await identityRow(world.server, 'google', otherSubject)).toMatchObject({ customer_id: existing.id });
    // Already verified: the password stays.
    expect((await customerRow(world.server, existing.id))!.password_hash).toEqual(expect.any(String));
  });

  it('takes the password off an unverified account it links, so whoever registered the address cannot keep access', async () => {
    const email = uniqueEmail('squatted');
    const squatter = await world.server.createUser({ email });
    await world.server.em().getConnection().execute('update customer set email_verified_at = null where id = ?', [squatter.id]);
    const response = await withGoogle(await world.google.mintIdToken({ sub: googleSubject(), email, email_verified: true }));
    expect(response.status).toBe(200);
    expect(decodeJwt(response.body.access_token).sub).toBe(squatter.id);
    expect(await customerRow(world.server, squatter.id)).toMatchObject({ password_hash: null, email_verified_at: expect.anything() });
    const password = await postForm(
      `${world.server.url}/oauth/token`,
      { grant_type: 'password', username: email, password: squatter.password },
      { basic: [app.clientId, app.clientSecret!] },
    );
    expect(password.status).toBe(400);
  });
});

describe('token exchange with Apple and Facebook credentials', () => {
  it('accepts an Apple ID token for a trusted app client id, with Apple’s string booleans', async () => {
    const email = uniqueEmail('relay');
    const subject = '001234.0123456789abcdef0123456789abcdef.0123';
    const idToken = await world.apple.mintIdToken({
      sub: subject,
      aud: APPLE_APP_CLIENT,
      email,
      email_verified: 'true',
      is_private_email: 'true',
      nonce: 'apple-nonce',
    });
    const response = await withApple(idToken, { nonce: 'apple-nonce' });
    expect(response.status).toBe(200);
    expect(response.body.issued_token_type).toBe(ACCESS_TOKEN_TYPE);
    const sub = decodeJwt(response.body.access_token).sub!;
    expect((await userinfo(world.server, response.body.access_token)).body).toMatchObject({ sub, email, email_verified: true });
    expect(await introspect(world.server, app, response.body.access_token)).toMatchObject({ active: true, sub });
    expect(await identityRow(world.server, 'apple', subject)).toMatchObject({ customer_id: sub });
  });

  it('accepts the raw nonce when the Apple token carries its SHA-256 (Apple’s sample-code convention)', async () => {
    const { createHash } = await import('node:crypto');
    const raw = 'raw-nonce-from-the-app';
    const hashed = createHash('sha256').update(raw).digest('hex');
    const idToken = await world.apple.mintIdToken({ email: uniqueEmail('hashed'), email_verified: true, nonce: hashed });
    expect((await withApple(idToken, { nonce: raw })).status).toBe(200);
  });

  it('accepts a Facebook user access token checked through debug_token and /me', async () => {
    const email = uniqueEmail('fb');
    const token = world.facebook.issueUserToken({ id: '10150000000000001', email, first_name: 'Alan', last_name: 'Turing' });
    const response = await withFacebook(token);
    expect(response.status).toBe(200);
    expect(response.body.issued_token_type).toBe(ACCESS_TOKEN_TYPE);
    const sub = decodeJwt(response.body.access_token).sub!;
    expect((await userinfo(world.server, response.body.access_token)).body).toMatchObject({ sub, email, given_name: 'Alan', family_name: 'Turing' });
    expect(await introspect(world.server, app, response.body.access_token)).toMatchObject({ active: true, sub });
    expect(await identityRow(world.server, 'facebook', '10150000000000001')).toMatchObject({ customer_id: sub });
  });

  it('pairs the issued tokens with a device token', async () => {
    const device = await postForm(`${world.server.url}/api/v1/users/get-device-token`, { device_id: 'iphone-15' });
    expect(device.status).toBe(200);
    const response = await withGoogle(await world.google.mintIdToken({ email: uniqueEmail('device'), email_verified: true }), {
      device_token: device.body.device_token,
    });
    expect(response.status).toBe(200);
    const [row] = await world.server.em().getConnection().execute('select customer_id from device_token where device_id = ?', ['iphone-15']);
    expect(row!.customer_id).toBe(decodeJwt(response.body.access_token).sub);
  });
});

describe('refused token exchanges change nothing', () => {
  const fresh = () => ({ email: uniqueEmail('refused'), email_verified: true as const });

  it('refuses a Google ID token for another audience', async () => {
    const body = await expectRefusedWithoutChange(
      async () => withGoogle(await world.google.mintIdToken({ ...fresh(), aud: 'someone-else.apps.googleusercontent.com' })),
      'invalid_grant',
    );
    expect(body.error_description).toMatch(/another client/);
  });

  it('refuses a Google ID token from another issuer', async () => {
    await expectRefusedWithoutChange(async () => withGoogle(await world.google.mintIdToken({ ...fresh(), iss: 'https://evil.example' })), 'invalid_grant');
  });

  it('refuses an expired Google ID token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = await expectRefusedWithoutChange(
      async () => withGoogle(await world.google.mintIdToken({ ...fresh(), iat: now - 7200, exp: now - 3600 })),
      'invalid_grant',
    );
    expect(body.error_description).toMatch(/expired/);
  });

  it('refuses a Google ID token signed by a foreign key, without echoing the token', async () => {
    const idToken = await world.google.mintIdToken(fresh(), { signWithForeignKey: true });
    const body = await expectRefusedWithoutChange(() => withGoogle(idToken), 'invalid_grant');
    expect(body.error_description).toMatch(/signature/);
    expect(JSON.stringify(body)).not.toContain(idToken.split('.')[1]);
  });

  it('refuses a Google ID token with another nonce, or none, when the caller sends one', async () => {
    await expectRefusedWithoutChange(async () => withGoogle(await world.google.mintIdToken({ ...fresh(), nonce: 'n-1' }), { nonce: 'n-2' }), 'invalid_grant');
    await expectRefusedWithoutChange(async () => withGoogle(await world.google.mintIdToken(fresh()), { nonce: 'n-2' }), 'invalid_grant');
  });

  it('refuses an e-mail Google has not verified', async () => {
    const body = await expectRefusedWithoutChange(
      async () => withGoogle(await world.google.mintIdToken({ email: uniqueEmail('unverified'), email_verified: false })),
      'invalid_grant',
    );
    expect(body.error_description).toMatch(/not verified/);
  });

  it('refuses an unverified e-mail even when a customer with that address exists', async () => {
    const existing = await world.server.createUser();
    await expectRefusedWithoutChange(async () => withGoogle(await world.google.mintIdToken({ email: existing.email, email_verified: false })), 'invalid_grant');
  });

  it('refuses Apple ID tokens for another audience, with a bad signature or a wrong nonce', async () => {
    await expectRefusedWithoutChange(async () => withApple(await world.apple.mintIdToken({ ...fresh(), aud: 'other.app' })), 'invalid_grant');
    await expectRefusedWithoutChange(async () => withApple(await world.apple.mintIdToken(fresh(), { signWithForeignKey: true })), 'invalid_grant');
    await expectRefusedWithoutChange(async () => withApple(await world.apple.mintIdToken({ ...fresh(), nonce: 'a' }), { nonce: 'b' }), 'invalid_grant');
    await expectRefusedWithoutChange(
      async () => withApple(await world.apple.mintIdToken({ email: uniqueEmail('apple'), email_verified: 'false' })),
      'invalid_grant',
    );
  });

  it('refuses unknown, expired and other-app Facebook tokens', async () => {
    await expectRefusedWithoutChange(() => withFacebook('EAAnot-a-real-token'), 'invalid_grant');
    const expired = await expectRefusedWithoutChange(
      () => withFacebook(world.facebook.issueUserToken({ id: '2001', email: uniqueEmail('fb'), expiresInSeconds: -60 })),
      'invalid_grant',
    );
    expect(expired.error_description).toMatch(/expired/);
    const foreign = await expectRefusedWithoutChange(
      () => withFacebook(world.facebook.issueUserToken({ id: '2002', email: uniqueEmail('fb'), appId: '999' })),
      'invalid_grant',
    );
    expect(foreign.error_description).toMatch(/another client/);
  });

  it('answers invalid_request for unsupported token types and issuers, and for missing parameters', async () => {
    const idToken = await world.google.mintIdToken(fresh());
    await expectRefusedWithoutChange(
      () => exchange({ subject_token: idToken, subject_token_type: ACCESS_TOKEN_TYPE, subject_issuer: 'https://accounts.google.com' }),
      'invalid_request',
    );
    await expectRefusedWithoutChange(
      () => exchange({ subject_token: idToken, subject_token_type: ID_TOKEN_TYPE, subject_issuer: 'https://login.microsoftonline.com' }),
      'invalid_request',
    );
    await expectRefusedWithoutChange(
      () => exchange({ subject_token: idToken, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2', subject_issuer: 'https://accounts.google.com' }),
      'invalid_request',
    );
    await expectRefusedWithoutChange(() => exchange({ subject_token_type: ID_TOKEN_TYPE, subject_issuer: 'https://accounts.google.com' }), 'invalid_request');
    await expectRefusedWithoutChange(() => withGoogle(idToken, { requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }), 'invalid_request');
  });

  it('answers unauthorized_client to a client not allowed the token-exchange grant', async () => {
    const other = await world.server.createClient({ name: 'password only', grantTypes: ['password'], scope: 'openid email' });
    await expectRefusedWithoutChange(
      async () =>
        exchange(
          {
            subject_token: await world.google.mintIdToken(fresh()),
            subject_token_type: ID_TOKEN_TYPE,
            subject_issuer: 'https://accounts.google.com',
            scope: 'openid',
          },
          other,
        ),
      'unauthorized_client',
    );
  });

  it('records successes and failures as login attempts by provider', async () => {
    const rows: Array<{ method: string; result: string; customer_id: string | null; ip: string | null }> = await world.server
      .em()
      .getConnection()
      .execute(`select method, result, customer_id, ip from login_attempt where method in ('google', 'apple', 'facebook')`);
    for (const method of ['google', 'apple', 'facebook']) {
      expect(rows.some((row) => row.method === method && row.result === 'success' && row.customer_id)).toBe(true);
      expect(rows.some((row) => row.method === method && row.result === 'failure')).toBe(true);
    }
    expect(rows.every((row) => typeof row.ip === 'string')).toBe(true);
  });

  it('answers 429 with Retry-After once an IP has failed too often, even for a valid token', async () => {
    let status = 0;
    for (let attempt = 0; attempt < 45 && status !== 429; attempt += 1) {
      status = (await withGoogle(await world.google.mintIdToken({ ...fresh(), aud: 'wrong' }))).status;
    }
    expect(status).toBe(429);
    const locked = await withGoogle(await world.google.mintIdToken(fresh()));
    expect(locked.status).toBe(429);
    expect(locked.body.error).toBe('too_many_attempts');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

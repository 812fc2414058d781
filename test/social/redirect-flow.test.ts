import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLE_WEB_CLIENT, count, customerRow, GOOGLE_WEB_CLIENT, startSocialWorld, uniqueEmail, userinfo, type SocialWorld } from './support.js';

let world: SocialWorld;

beforeAll(async () => {
  world = await startSocialWorld({ SIGN_IN_REDIRECT_ALLOWED_DOMAINS: 'partner.example' });
});
afterAll(() => world?.stop());

/** A browser that does not follow redirects, so each hop can be inspected. */
async function get(url: string, cookies: string[] = []) {
  const response = await fetch(url, { redirect: 'manual', headers: cookies.length ? { cookie: cookies.join('; ') } : {} });
  return { status: response.status, location: response.headers.get('location'), setCookies: response.headers.getSetCookie(), body: await response.text() };
}

async function postForm(url: string, form: Record<string, string>, cookies: string[] = []) {
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookies.length ? { cookie: cookies.join('; ') } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, location: response.headers.get('location'), setCookies: response.headers.getSetCookie(), body: await response.text() };
}

/** `name=value` of the cookies a response sets, as a browser would send them back. */
const cookiePairs = (setCookies: string[]) => setCookies.map((cookie) => cookie.split(';')[0]!).filter((pair) => !pair.endsWith('='));
const cookieNamed = (setCookies: string[], name: string) => setCookies.find((cookie) => cookie.startsWith(`${name}=`));

describe('Google redirect sign-in', () => {
  const returnTo = () => `${world.server.url}/welcome?tab=1`;

  async function startGoogle(url = returnTo()) {
    const started = await get(`${world.server.url}/users/google/sign?url=${encodeURIComponent(url)}`);
    expect(started.status).toBe(302);
    const authorize = new URL(started.location!);
    return {
      started,
      authorize,
      state: authorize.searchParams.get('state')!,
      nonce: authorize.searchParams.get('nonce')!,
      cookies: cookiePairs(started.setCookies),
    };
  }

  it('sends the browser to Google with state, nonce and PKCE, then returns to url with the n_token cookie', async () => {
    const { started, authorize, state, nonce, cookies } = await startGoogle();
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${world.google.url}/o/oauth2/v2/auth`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: GOOGLE_WEB_CLIENT,
      redirect_uri: `${world.server.url}/users/google/callback`,
      response_type: 'code',
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    expect(nonce.length).toBeGreaterThanOrEqual(32);
    // The return URL travels encrypted, not readable in Google's logs.
    expect(authorize.search).not.toContain('welcome');
    expect(cookieNamed(started.setCookies, 'gatehouse_google_sign_in')).toMatch(/path=\/users\/google\/callback;.*samesite=lax;.*httponly/i);

    const email = uniqueEmail('redirect');
    world.google.registerAuthCode('4/0redirect-code', { email, email_verified: true, nonce, given_name: 'Katherine' });
    const callback = await get(`${world.server.url}/users/google/callback?code=${encodeURIComponent('4/0redirect-code')}&state=${state}&scope=openid`, cookies);

    expect(callback.status).toBe(302);
    expect(callback.location).toBe(returnTo());
    const session = cookieNamed(callback.setCookies, 'n_token')!;
    expect(session).toMatch(/path=\/;.*samesite=lax;.*httponly/i);
    expect(session).not.toMatch(/secure/i); // http issuer in tests; Secure on https
    const token = session.split(';')[0]!.slice('n_token='.length);
    const sub = decodeJwt(token).sub!;
    expect(await userinfo(world.server, token)).toMatchObject({ status: 200, body: { sub, email } });
    expect(await customerRow(world.server, sub)).toMatchObject({ first_name: 'Katherine', source: 'google' });

    // Google received the verifier whose S256 challenge went out in the authorization URL.
    const exchange = world.google.tokenRequests.at(-1)!;
    expect(exchange).toMatchObject({
      code: '4/0redirect-code',
      clientSecret: 'google-client-secret',
      redirectUri: `${world.server.url}/users/google/callback`,
    });
    expect(createHash('sha256').update(exchange.codeVerifier!).digest('base64url')).toBe(authorize.searchParams.get('code_challenge'));
    // The binding cookie is spent.
    expect(cookieNamed(callback.setCookies, 'gatehouse_google_sign_in')).toMatch(/^gatehouse_google_sign_in=;/);
  });

  it('defaults to the issuer’s home page without url', async () => {
    const started = await get(`${world.server.url}/users/google/sign`);
    const authorize = new URL(started.location!);
    world.google.registerAuthCode('4/0home', { email: uniqueEmail('home'), email_verified: true, nonce: authorize.searchParams.get('nonce')! });
    const callback = await get(
      `${world.server.url}/users/google/callback?code=4/0home&state=${authorize.searchParams.get('state')}`,
      cookiePairs(started.setCookies),
    );
    expect(callback.location).toBe(`${world.server.url}/`);
  });

  it('refuses a callback from a browser that did not start the sign-in (no binding cookie)', async () => {
    const { nonce, state } = await startGoogle();
    world.google.registerAuthCode('4/0csrf', { email: uniqueEmail('csrf'), email_verified: true, nonce });
    const before = await count(world.server, 'customer');
    const callback = await get(`${world.server.url}/users/google/callback?code=4/0csrf&state=${state}`, ['gatehouse_google_sign_in=someone-elses']);
    expect(callback.status).toBe(400);
    expect(JSON.parse(callback.body)).toMatchObject({ status: 'error', code: 'invalid_state' });
    expect(callback.location).toBeNull();
    expect(cookieNamed(callback.setCookies, 'n_token')).toBeUndefined();
    expect(await count(world.server, 'customer')).toBe(before);
  });

  it('refuses a tampered or foreign state', async () => {
    const { state, cookies } = await startGoogle();
    const tampered = `${state.slice(0, -4)}AAAA`;
    expect((await get(`${world.server.url}/users/google/callback?code=x&state=${tampered}`, cookies)).status).toBe(400);
    expect((await get(`${world.server.url}/users/google/callback?code=x`, cookies)).status).toBe(400);
  });

  it('refuses an ID token that does not carry the nonce of this sign-in', async () => {
    const { state, cookies } = await startGoogle();
    world.google.registerAuthCode('4/0replayed', { email: uniqueEmail('replay'), email_verified: true, nonce: 'nonce-of-another-sign-in' });
    const before = await count(world.server, 'customer');
    const callback = await get(`${world.server.url}/users/google/callback?code=4/0replayed&state=${state}`, cookies);
    expect(callback.status).toBe(400);
    expect(JSON.parse(callback.body)).toMatchObject({ status: 'error', code: 'invalid_id_token', message: expect.stringMatching(/nonce/) });
    expect(cookieNamed(callback.setCookies, 'n_token')).toBeUndefined();
    expect(await count(world.server, 'customer')).toBe(before);
  });

  it('reports a sign-in the user cancelled at Google', async () => {
    const { state, cookies } = await startGoogle();
    const callback = await get(`${world.server.url}/users/google/callback?error=access_denied&state=${state}`, cookies);
    expect(callback.status).toBe(400);
    expect(JSON.parse(callback.body)).toMatchObject({ code: 'sign_in_cancelled' });
  });

  it('refuses url on a foreign domain with 400 and no redirect', async () => {
    for (const url of [
      'https://evil.example/steal',
      '//evil.example/x',
      'javascript:alert(1)',
      `http://user:pw@evil.example/`,
      'https://localhost.evil.example/',
    ]) {
      const response = await get(`${world.server.url}/users/google/sign?url=${encodeURIComponent(url)}`);
      expect(response.status, url).toBe(400);
      expect(response.location, url).toBeNull();
      expect(JSON.parse(response.body)).toMatchObject({ status: 'error', code: 'invalid_url' });
      expect(cookieNamed(response.setCookies, 'gatehouse_google_sign_in')).toBeUndefined();
    }
  });

  it('accepts url on a domain allowed by SIGN_IN_REDIRECT_ALLOWED_DOMAINS and on loopback hosts', async () => {
    for (const url of ['https://shop.partner.example/basket', 'https://partner.example/', 'http://127.0.0.1:8080/', '/account']) {
      expect((await get(`${world.server.url}/users/google/sign?url=${encodeURIComponent(url)}`)).status, url).toBe(302);
    }
  });
});

describe('Apple redirect sign-in (form_post)', () => {
  it('sends the browser to Apple, redeems the posted code with a client secret JWT and returns to url', async () => {
    const returnTo = `${world.server.url}/after-apple`;
    const started = await get(`${world.server.url}/users/apple/sign?url=${encodeURIComponent(returnTo)}`);
    expect(started.status).toBe(302);
    const authorize = new URL(started.location!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${world.apple.url}/auth/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: APPLE_WEB_CLIENT,
      redirect_uri: `${world.server.url}/users/apple/callback`,
      response_type: 'code',
      response_mode: 'form_post',
      scope: 'openid name email',
    });
    const nonce = authorize.searchParams.get('nonce')!;

    const email = uniqueEmail('apple-web');
    world.apple.registerAuthCode('c.apple-code', { email, email_verified: 'true', nonce });
    const user = JSON.stringify({ name: { firstName: 'Grace', lastName: 'Hopper' }, email });
    const callback = await postForm(
      `${world.server.url}/users/apple/callback`,
      { code: 'c.apple-code', state: authorize.searchParams.get('state')!, user },
      cookiePairs(started.setCookies),
    );

    expect(callback.status).toBe(302);
    expect(callback.location).toBe(returnTo);
    const token = cookieNamed(callback.setCookies, 'n_token')!.split(';')[0]!.slice('n_token='.length);
    const sub = decodeJwt(token).sub!;
    expect(await customerRow(world.server, sub)).toMatchObject({ email, first_name: 'Grace', last_name: 'Hopper', source: 'apple' });

    const exchange = world.apple.tokenRequests.at(-1)!;
    expect(exchange).toMatchObject({ clientId: APPLE_WEB_CLIENT, code: 'c.apple-code', redirectUri: `${world.server.url}/users/apple/callback` });
    expect(decodeJwt(exchange.clientSecret!)).toMatchObject({ iss: 'TEAM123456', sub: APPLE_WEB_CLIENT, aud: 'https://appleid.apple.com' });
  });

  it('refuses a code Apple does not redeem and signs nobody in', async () => {
    const started = await get(`${world.server.url}/users/apple/sign`);
    const state = new URL(started.location!).searchParams.get('state')!;
    const before = await count(world.server, 'customer');
    const callback = await postForm(`${world.server.url}/users/apple/callback`, { code: 'c.unknown', state }, cookiePairs(started.setCookies));
    expect(callback.status).toBe(400);
    expect(JSON.parse(callback.body)).toMatchObject({ status: 'error', code: 'invalid_authorization_code' });
    expect(await count(world.server, 'customer')).toBe(before);
  });

  it('will not take a Google state at the Apple callback', async () => {
    const started = await get(`${world.server.url}/users/google/sign`);
    const state = new URL(started.location!).searchParams.get('state')!;
    const callback = await postForm(`${world.server.url}/users/apple/callback`, { code: 'c.x', state }, ['gatehouse_apple_sign_in=x']);
    expect(JSON.parse(callback.body)).toMatchObject({ code: 'invalid_state' });
  });
});

import * as oidc from 'openid-client';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { startCallbackServer } from '../support/callback-server.js';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let browser: Browser;
let callback: Awaited<ReturnType<typeof startCallbackServer>>;
let user: { id: string; email: string; password: string };
let client: { clientId: string; clientSecret?: string };
let rp: oidc.Configuration;

beforeAll(async () => {
  [server, browser, callback] = await Promise.all([startTestServer(), launchBrowser(), startCallbackServer()]);
  user = await server.createUser({ firstName: 'Ada', lastName: 'Lovelace' });
  client = await server.createClient({
    name: 'Example App',
    redirectUris: [`${callback.url}/callback`],
    postLogoutRedirectUris: [`${callback.url}/signed-out`],
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: 'openid profile email offline_access users:read',
  });
  rp = await oidc.discovery(new URL(server.url), client.clientId, undefined, oidc.ClientSecretBasic(client.clientSecret!), {
    execute: [oidc.allowInsecureRequests],
  });
});

afterAll(async () => {
  await browser?.close();
  await callback?.stop();
  await server?.stop();
});

async function signInThroughPages(page: Page, authorizationUrl: URL) {
  await page.goto(authorizationUrl.href);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeTruthy();
  await page.getByLabel('E-mail address').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${callback.url}/callback**`);
  return new URL(page.url());
}

/** A new browser page on the sign-in step of a fresh authorization request. */
async function openSignInPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(
    oidc.buildAuthorizationUrl(rp, {
      redirect_uri: `${callback.url}/callback`,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).href,
  );
  return page;
}

describe('authorization code + PKCE with a real relying party and browser', () => {
  it('signs in, consents and runs the whole token life cycle', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authorizationUrl = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: `${callback.url}/callback`,
      scope: 'openid profile email offline_access users:read',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      prompt: 'consent',
    });
    const page = await browser.newPage();
    const redirectedTo = await signInThroughPages(page, authorizationUrl);

    const tokens = await oidc.authorizationCodeGrant(rp, redirectedTo, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    expect(tokens.claims()?.sub).toBe(user.id);
    expect(decodeProtectedHeader(tokens.id_token!).alg).toBe('RS256');
    expect(tokens.refresh_token).toBeTruthy();

    // RFC 9068 access token for the Gatehouse API.
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    const accessClaims = decodeJwt(tokens.access_token);
    expect(accessClaims).toMatchObject({ iss: server.url, aud: `${server.url}/api`, sub: user.id, client_id: client.clientId });
    expect(String(accessClaims.scope).split(' ')).toEqual(expect.arrayContaining(['openid', 'users:read']));

    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, user.id);
    expect(userinfo).toMatchObject({ sub: user.id, email: user.email, email_verified: true, given_name: 'Ada', family_name: 'Lovelace' });

    const introspected = await oidc.tokenIntrospection(rp, tokens.access_token);
    expect(introspected).toMatchObject({ active: true, sub: user.id, client_id: client.clientId });

    // Rotation: the new refresh token works, the old one is refused.
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeTruthy();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const reuse = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
      { basic: [client.clientId, client.clientSecret!] },
    );
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');

    // Reuse detection revoked the whole grant: the rotated refresh token and its access token die too.
    const afterReuse = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token! },
      { basic: [client.clientId, client.clientSecret!] },
    );
    expect(afterReuse.status).toBe(400);
    expect(afterReuse.body.error).toBe('invalid_grant');
    expect((await oidc.tokenIntrospection(rp, refreshed.access_token)).active).toBe(false);
    expect((await oidc.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);

    // RP-initiated logout through the confirmation page.
    const logoutUrl = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${callback.url}/signed-out`, state: 'bye' });
    await page.goto(logoutUrl.href);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${callback.url}/signed-out**`);
    expect(new URL(page.url()).searchParams.get('state')).toBe('bye');
    await page.close();
  });

  it('revokes an access token (RFC 7009) so introspection and userinfo refuse it', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const page = await browser.newPage();
    const redirectedTo = await signInThroughPages(
      page,
      oidc.buildAuthorizationUrl(rp, {
        redirect_uri: `${callback.url}/callback`,
        scope: 'openid email offline_access',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        prompt: 'consent',
      }),
    );
    await page.close();
    const tokens = await oidc.authorizationCodeGrant(rp, redirectedTo, { pkceCodeVerifier: verifier, idTokenExpected: true });
    await oidc.tokenRevocation(rp, tokens.access_token);
    expect((await oidc.tokenIntrospection(rp, tokens.access_token)).active).toBe(false);
    await expect(oidc.fetchUserInfo(rp, tokens.access_token, oidc.skipSubjectCheck)).rejects.toThrow();

    // Refresh tokens are revoked through the provider and then refused.
    await oidc.tokenRevocation(rp, tokens.refresh_token!);
    expect((await oidc.tokenIntrospection(rp, tokens.refresh_token!)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toThrow();
  });

  it('shows a field-tied error for a wrong password and keeps the user on the sign-in page', async () => {
    const page = await openSignInPage();
    await page.getByLabel('E-mail address').fill(user.email);
    await page.getByLabel('Password').fill('not the password');
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().includes('/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(response.status()).toBe(401);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('incorrect');
    expect(await page.getByLabel('E-mail address').inputValue()).toBe(user.email);
    await page.close();
  });

  it('refuses a sign-in form posted without its CSRF token', async () => {
    const page = await openSignInPage();
    const action = await page.locator('form').first().getAttribute('action');
    const status = await page.evaluate(async (url) => {
      const response = await fetch(url!, { method: 'POST', body: new URLSearchParams({ email: 'x@example.com', password: 'y' }) });
      return response.status;
    }, action);
    expect(status).toBe(403);
    await page.close();
  });
});

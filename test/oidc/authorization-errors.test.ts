import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { startCallbackServer } from '../support/callback-server.js';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let browser: Browser;
let callback: Awaited<ReturnType<typeof startCallbackServer>>;
let client: { clientId: string; clientSecret?: string };
let user: { email: string; password: string };

beforeAll(async () => {
  [server, browser, callback] = await Promise.all([startTestServer({ AUTHORIZATION_CODE_TTL: '2' }), launchBrowser(), startCallbackServer()]);
  client = await server.createClient({ name: 'RP', redirectUris: [`${callback.url}/cb`], scope: 'openid profile' });
  user = await server.createUser();
});
afterAll(async () => {
  await browser?.close();
  await callback?.stop();
  await server?.stop();
});

function authorize(params: Record<string, string>) {
  const url = new URL(`${server.url}/oauth/authorize`);
  for (const [key, value] of Object.entries({
    client_id: client.clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${callback.url}/cb`,
    ...params,
  }))
    url.searchParams.set(key, value);
  return fetch(url, { redirect: 'manual' });
}

async function obtainCode(verifier: string): Promise<string> {
  const page = await browser.newPage();
  const url = new URL(`${server.url}/oauth/authorize`);
  const params = {
    client_id: client.clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: `${callback.url}/cb`,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  };
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  await page.goto(url.href);
  await page.getByLabel('E-mail address').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const consent = page.getByRole('button', { name: 'Allow' });
  await Promise.race([consent.waitFor().then(() => consent.click()), page.waitForURL(`${callback.url}/**`)]);
  await page.waitForURL(`${callback.url}/**`);
  const code = new URL(page.url()).searchParams.get('code');
  await page.close();
  return code!;
}

const exchange = (code: string, verifier: string) =>
  postForm(
    `${server.url}/oauth/token`,
    { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: `${callback.url}/cb` },
    { basic: [client.clientId, client.clientSecret!] },
  );

describe('authorization endpoint refuses bad requests', () => {
  it('does not redirect to an unregistered redirect_uri', async () => {
    const response = await authorize({ redirect_uri: 'https://attacker.example/cb', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('redirect_uri');
  });

  it('requires PKCE', async () => {
    const response = await authorize({});
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(callback.url);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('refuses the plain PKCE method', async () => {
    const response = await authorize({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses an unknown client', async () => {
    const response = await authorize({ client_id: 'unknown', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('invalid_client');
  });
});

describe('authorization codes', () => {
  it('are single use: a replayed code is refused with invalid_grant', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const code = await obtainCode(verifier);
    const first = await exchange(code, verifier);
    expect(first.status).toBe(200);
    const replay = await exchange(code, verifier);
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
  });

  it('need the matching code_verifier', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const code = await obtainCode(verifier);
    const wrong = await exchange(code, oidc.randomPKCECodeVerifier());
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
  });

  it('expire (AUTHORIZATION_CODE_TTL)', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const code = await obtainCode(verifier);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const late = await exchange(code, verifier);
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
  });
});

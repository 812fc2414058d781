import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, pkcePair } from '../support/code-flow.js';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

// Issue #12 §3: the browser sign-in runs the one sign-in pipeline: it is recorded in the admin's
// login-attempt log and locked out after the same number of failures as the password grant.
const REDIRECT_URI = 'https://app.example/callback';

let server: TestServer;
let app: { clientId: string; clientSecret?: string };
let admin: { clientId: string; clientSecret?: string };

beforeAll(async () => {
  server = await startTestServer();
  app = await server.createClient({ name: 'Web', redirectUris: [REDIRECT_URI], grantTypes: ['authorization_code', 'password'], scope: 'openid email' });
  admin = await server.createClient({ name: 'Admin', grantTypes: ['client_credentials'], scope: 'users:admin' });
});
afterAll(() => server?.stop());

/** Opens the sign-in page of a fresh authorization request and answers a function that posts the form. */
async function signInPage() {
  const jar = new CookieJar();
  const query = new URLSearchParams({
    client_id: app.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid email',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    state: 's',
  });
  const authorize = await jar.fetch(`${server.url}/oauth/authorize?${query}`);
  const pagePath = new URL(authorize.headers.get('location')!, server.url).pathname;
  const html = await (await jar.fetch(`${server.url}${pagePath}`)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  return (email: string, password: string) =>
    jar.fetch(`${server.url}${pagePath}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email, password, csrf }).toString(),
    });
}

describe('browser sign-in through the one pipeline', () => {
  it('records each attempt for admins and locks the account after 5 failures, like the password grant', async () => {
    const user = await server.createUser();
    const submit = await signInPage();
    for (let attempt = 0; attempt < 5; attempt += 1) expect((await submit(user.email, `wrong-${attempt}`)).status).toBe(401);
    const locked = await submit(user.email, user.password);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // The same lock holds at the token endpoint: one limiter key per account, whatever the door.
    const grant = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'password', username: user.email, password: user.password },
      { basic: [app.clientId, app.clientSecret!] },
    );
    expect(grant.status).toBe(429);

    const token = (
      await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'users:admin' }, { basic: [admin.clientId, admin.clientSecret!] })
    ).body.access_token;
    const listed = await (await fetch(`${server.url}/api/v1/admin/login-attempts?limit=50`, { headers: { authorization: `Bearer ${token}` } })).json();
    const fromBrowser = listed.login_attempts.filter((row: { source: string | null }) => row.source === 'browser');
    expect(fromBrowser.filter((row: { result: string }) => row.result === 'failure')).toHaveLength(5);
    expect(fromBrowser.filter((row: { result: string }) => row.result === 'locked')).toHaveLength(1);
  });

  it('records a successful browser sign-in with the customer', async () => {
    const user = await server.createUser();
    const submit = await signInPage();
    expect((await submit(user.email, user.password)).status).toBe(303);
    const token = (
      await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'users:admin' }, { basic: [admin.clientId, admin.clientSecret!] })
    ).body.access_token;
    const listed = await (
      await fetch(`${server.url}/api/v1/admin/login-attempts?customer_id=${user.id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json();
    expect(listed.login_attempts).toEqual([expect.objectContaining({ customer_id: user.id, method: 'password', result: 'success', source: 'browser' })]);
  });
});

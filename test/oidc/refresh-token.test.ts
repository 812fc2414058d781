import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

/**
 * A refresh rotation reads the refresh token, its grant and its account in one statement
 * (src/oauth/adapter.ts, issue 14 item 1): the account read there must be as current as a read
 * of its own, so the new ID token carries today's claims and a deactivated customer is refused.
 */
let server: TestServer;
let app: { clientId: string; clientSecret?: string };

beforeAll(async () => {
  server = await startTestServer();
  app = await server.createClient({ name: 'Refresh app', grantTypes: ['password', 'refresh_token'], scope: 'openid profile email offline_access users:read' });
});
afterAll(() => server?.stop());

const token = (form: Record<string, string>) => postForm(`${server.url}/oauth/token`, form, { basic: [app.clientId, app.clientSecret!] });

async function idTokenClaims(idToken: string) {
  const { payload } = await jwtVerify(idToken, createRemoteJWKSet(new URL(`${server.url}/oauth/jwks`)), { issuer: server.url, audience: app.clientId });
  return payload;
}

async function signIn(user: { email: string; password: string }) {
  const issued = await token({
    grant_type: 'password',
    username: user.email,
    password: user.password,
    scope: 'openid profile email offline_access users:read',
  });
  expect(issued.status).toBe(200);
  return issued.body as { refresh_token: string; id_token: string };
}

describe('refresh_token rotation with the account read alongside the token', () => {
  it("puts the customer's current claims in the new ID token", async () => {
    const user = await server.createUser({ firstName: 'Ada', lastName: 'Lovelace' });
    const issued = await signIn(user);
    expect(await idTokenClaims(issued.id_token)).toMatchObject({ sub: user.id, given_name: 'Ada', email: user.email });

    await server.em().getConnection().execute(`update customer set first_name = 'Augusta' where id = ?`, [user.id]);
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: issued.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(await idTokenClaims(refreshed.body.id_token)).toMatchObject({ sub: user.id, given_name: 'Augusta', family_name: 'Lovelace' });
  });

  it('refuses the refresh token of a customer deactivated since, with invalid_grant', async () => {
    const user = await server.createUser();
    const issued = await signIn(user);
    await server.em().getConnection().execute('update customer set deactivated_at = now() where id = ?', [user.id]);
    const refused = await token({ grant_type: 'refresh_token', refresh_token: issued.refresh_token });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid_grant');
  });
});

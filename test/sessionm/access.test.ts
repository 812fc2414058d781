import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createApiKey, revokeApiKey } from '../../src/identity/api-keys/service.js';
import { clientToken } from '../http/support.js';
import { postForm, startTestServer, type TestServer } from '../support/server.js';
import { sessionm, setUpIntegration, signupExample, usersPath, type SessionmIntegration } from './support.js';

let server: TestServer;
let app: SessionmIntegration;
let profile: { id: string; email: string };

beforeAll(async () => {
  server = await startTestServer({ API_KEY_CACHE_SECONDS: '1' });
  app = await setUpIntegration(server);
  const signup = signupExample();
  const created = await sessionm(server, 'POST', usersPath(app.apiKey), { token: app.serverToken, json: signup });
  profile = { id: created.body.user.id, email: signup.user.email };
});
afterAll(() => server?.stop());

const read = (apiKey: string, headers: { token?: string; basic?: [string, string] }) => sessionm(server, 'GET', usersPath(apiKey, `/${profile.id}`), headers);

/** A customer's own token from the password grant, as the spec's Step 3 obtains it. */
async function customerToken(email: string, scope: string): Promise<string> {
  const login = await postForm(
    `${server.url}/oauth/token`,
    { grant_type: 'password', email, password: 'Aaaaaaaa1', scope },
    { basic: [app.clientId, app.clientSecret] },
  );
  expect(login.status).toBe(200);
  return login.body.access_token;
}

describe('the API key in the path', () => {
  it('refuses an unknown or malformed key with 401 invalid_api_key', async () => {
    for (const key of [`gh_${'A'.repeat(43)}`, 'not-a-key']) {
      const refused = await read(key, { token: app.serverToken });
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({ status: 'error', errors: { code: 'invalid_api_key', message: 'The API key in the path is invalid or revoked' } });
    }
  });

  it('refuses a key that is not whitelisted for the endpoint with 403', async () => {
    const searchOnly = await createApiKey(server.em() as EntityManager, { name: 'Search only', endpoints: ['sessionm.users.search'] });
    const refused = await sessionm(server, 'POST', usersPath(searchOnly.key), { token: app.serverToken, json: signupExample() });
    expect(refused.status).toBe(403);
    expect(refused.body.errors).toEqual({ code: 'forbidden', message: 'The API key is not whitelisted for this endpoint' });
    const search = await sessionm(server, 'GET', usersPath(searchOnly.key, '/search'), { token: app.serverToken, query: { email: profile.email } });
    expect(search.status).toBe(200);
  });

  it('refuses a revoked key', async () => {
    const { key, row } = await createApiKey(server.em() as EntityManager, { name: 'Soon revoked', endpoints: ['*'] });
    expect((await read(key, { token: app.serverToken })).status).toBe(200);
    await revokeApiKey(server.em() as EntityManager, row.id);
    // Valid keys are cached for API_KEY_CACHE_SECONDS (1 here) on an instance that did not revoke them.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await read(key, { token: app.serverToken })).status).toBe(401);
  });
});

describe('the Authorization header', () => {
  it('is required: the API key alone is refused with 401 in the SessionM envelope', async () => {
    const refused = await read(app.apiKey, {});
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('Bearer');
    expect(refused.body).toEqual({ status: 'error', errors: { code: 'unauthorized', message: 'Authorization is required' } });
    const keyAsToken = await read(app.apiKey, { token: app.apiKey });
    expect(keyAsToken.status).toBe(401);
  });

  it('accepts the client id and secret as Basic credentials (the spec’s "authorization: Basic AUTH_ID")', async () => {
    expect((await read(app.apiKey, { basic: [app.clientId, app.clientSecret] })).status).toBe(200);
    const wrong = await read(app.apiKey, { basic: [app.clientId, 'wrong-secret'] });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors.code).toBe('invalid_client');
  });

  it('needs users:write to create and update, users:read to search and read', async () => {
    const reader = await clientToken(server, 'users:read');
    const created = await sessionm(server, 'POST', usersPath(app.apiKey), { token: reader.accessToken, json: signupExample() });
    expect(created.status).toBe(403);
    expect(created.body.errors).toMatchObject({ code: 'insufficient_scope', scope: 'users:write' });
    const basicReader = await sessionm(server, 'PUT', usersPath(app.apiKey, `/${profile.id}`), {
      basic: [reader.clientId, reader.clientSecret],
      json: { user: { first_name: 'X' } },
    });
    expect(basicReader.status).toBe(403);
    expect((await read(app.apiKey, { token: reader.accessToken })).status).toBe(200);
  });

  it('lets a customer’s own token (Step 3: openid profile email) read and update its own profile only, and never search', async () => {
    const token = await customerToken(profile.email, 'openid profile email');
    expect((await read(app.apiKey, { token })).body.user.id).toBe(profile.id);
    const updated = await sessionm(server, 'PUT', usersPath(app.apiKey, `/${profile.id}`), { token, json: { user: { last_name: 'Smythe' } } });
    expect(updated.body.user.last_name).toBe('Smythe');

    const other = signupExample();
    const otherId = (await sessionm(server, 'POST', usersPath(app.apiKey), { token: app.serverToken, json: other })).body.user.id;
    const foreign = await sessionm(server, 'GET', usersPath(app.apiKey, `/${otherId}`), { token });
    expect(foreign.status).toBe(403);
    const unknown = await sessionm(server, 'GET', usersPath(app.apiKey, '/no-such-external-id'), { token });
    expect(unknown.status).toBe(403);
    const search = await sessionm(server, 'GET', usersPath(app.apiKey, '/search'), { token, query: { email: other.user.email } });
    expect(search.status).toBe(403);
    // The profile scope is what lets a customer's token at its profile; server scopes do not.
    const withoutScope = await customerToken(profile.email, 'openid users:read users:write');
    const refused = await read(app.apiKey, { token: withoutScope });
    expect(refused.status).toBe(403);
    expect(refused.body.errors).toMatchObject({ code: 'insufficient_scope', scope: 'profile' });
  });
});

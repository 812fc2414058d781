import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import { postForm, startTestServer, TEST_SECRET, type TestServer } from '../support/server.js';
import { count, ID_TOKEN_TYPE, TOKEN_EXCHANGE } from './support.js';

describe('without social configuration', () => {
  let server: TestServer;
  let app: { clientId: string; clientSecret?: string };

  beforeAll(async () => {
    server = await startTestServer();
    app = await server.createClient({ name: 'exchange', grantTypes: [TOKEN_EXCHANGE], scope: 'openid email' });
  });
  afterAll(() => server?.stop());

  it('answers invalid_request at the token-exchange grant and creates nobody', async () => {
    const before = await count(server, 'customer');
    const response = await postForm(
      `${server.url}/oauth/token`,
      {
        grant_type: TOKEN_EXCHANGE,
        subject_token: 'eyJhbGciOiJSUzI1NiJ9.e30.sig',
        subject_token_type: ID_TOKEN_TYPE,
        subject_issuer: 'https://accounts.google.com',
      },
      { basic: [app.clientId, app.clientSecret!] },
    );
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_request', error_description: expect.stringMatching(/not enabled/) });
    expect(await count(server, 'customer')).toBe(before);
  });

  it('answers 403 sign_in_disabled at the REMP endpoints and the redirect flows', async () => {
    for (const path of ['/api/v1/users/google-token-sign-in', '/api/v1/users/apple-token-sign-in']) {
      const response = await postForm(`${server.url}${path}`, { id_token: 'x' });
      expect(response.status, path).toBe(403);
      expect(response.body, path).toMatchObject({ status: 'error', code: 'sign_in_disabled' });
    }
    for (const provider of ['google', 'apple']) {
      const response = await fetch(`${server.url}/users/${provider}/sign?url=/`, { redirect: 'manual' });
      expect(response.status, provider).toBe(403);
      expect(response.headers.get('location')).toBeNull();
    }
  });
});

describe('when the identity provider cannot be reached', () => {
  let server: TestServer;
  let app: { clientId: string; clientSecret?: string };
  const closedPort = 'http://127.0.0.1:9';

  beforeAll(async () => {
    server = await startTestServer({
      GOOGLE_CLIENT_IDS: 'web.apps.googleusercontent.com',
      GOOGLE_CERTS_URL: `${closedPort}/oauth2/v1/certs`,
      FACEBOOK_APP_ID: '42',
      FACEBOOK_APP_SECRET: 'secret',
      FACEBOOK_GRAPH_URL: closedPort,
    });
    app = await server.createClient({ name: 'exchange', grantTypes: [TOKEN_EXCHANGE], scope: 'openid email' });
  });
  afterAll(() => server?.stop());

  it('answers 503 temporarily_unavailable at the grant, without counting it against the caller', async () => {
    const response = await postForm(
      `${server.url}/oauth/token`,
      {
        grant_type: TOKEN_EXCHANGE,
        subject_token: 'EAAsome-token',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_issuer: 'facebook',
      },
      { basic: [app.clientId, app.clientSecret!] },
    );
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/Facebook could not be reached/) });
    const [row] = await server.em().getConnection().execute(`select count(*) as n from login_attempt where method = 'facebook' and result = 'failure'`);
    expect(Number(row!.n)).toBe(0);
  });

  it('answers 503 provider_unavailable at the REMP endpoint', async () => {
    const response = await postForm(`${server.url}/api/v1/users/google-token-sign-in`, { id_token: 'eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.e30.c2ln' });
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ status: 'error', code: 'provider_unavailable' });
  });
});

describe('social sign-in configuration', () => {
  const base = { NODE_ENV: 'test', GATEHOUSE_SECRET: TEST_SECRET, DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db' };
  const load = (env: Record<string, string>) => loadConfig({ ...base, ...env });

  it('enables a provider by its client id, with the documented defaults', () => {
    const config = load({
      GOOGLE_CLIENT_IDS: 'web.apps.googleusercontent.com, ios.apps.googleusercontent.com',
      APPLE_CLIENT_ID: 'com.example.web',
      FACEBOOK_APP_ID: '42',
      FACEBOOK_APP_SECRET: 's',
    });
    expect(config.social.google).toMatchObject({
      webClientId: 'web.apps.googleusercontent.com',
      clientIds: ['web.apps.googleusercontent.com', 'ios.apps.googleusercontent.com'],
      certsUrl: 'https://www.googleapis.com/oauth2/v1/certs',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    });
    expect(config.social.apple).toMatchObject({ clientId: 'com.example.web', trustedClientIds: [], baseUrl: 'https://appleid.apple.com', codeFlow: undefined });
    expect(config.social.facebook).toMatchObject({ appId: '42', graphUrl: 'https://graph.facebook.com' });
    expect(load({}).social).toEqual({ google: undefined, apple: undefined, facebook: undefined, redirectAllowedDomains: [] });
  });

  it('refuses half a configuration with a one-line message', () => {
    expect(() => load({ FACEBOOK_APP_ID: '42' })).toThrow(ConfigError);
    expect(() => load({ FACEBOOK_APP_ID: '42' })).toThrow(/FACEBOOK_APP_ID and FACEBOOK_APP_SECRET/);
    expect(() => load({ APPLE_CLIENT_ID: 'x', APPLE_TEAM_ID: 'T' })).toThrow(/APPLE_TEAM_ID, APPLE_KEY_ID and APPLE_PRIVATE_KEY/);
    expect(() => load({ APPLE_CLIENT_ID: 'x', APPLE_TEAM_ID: 'T', APPLE_KEY_ID: 'K', APPLE_PRIVATE_KEY: 'not a key' })).toThrow(/APPLE_PRIVATE_KEY/);
    expect(() => load({ GOOGLE_CLIENT_SECRET: 's' })).toThrow(/GOOGLE_CLIENT_IDS/);
    expect(() => load({ SIGN_IN_REDIRECT_ALLOWED_DOMAINS: 'ok.example, https://not-a-host/' })).toThrow(/SIGN_IN_REDIRECT_ALLOWED_DOMAINS/);
  });
});

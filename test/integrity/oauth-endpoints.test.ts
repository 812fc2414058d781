import * as oauth from 'oauth4webapi';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, obtainAuthorizationCallback, pkcePair } from '../support/code-flow.js';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

// Issue #10 §4–8: one client-authentication policy, the RFC 7662/7009 policy for introspection and
// revocation, URLs pinned to ISSUER, nothing usable in a dump, and the small RFC gaps.
const REDIRECT_URI = 'https://app.example/callback';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let server: TestServer;
let user: { id: string; email: string; password: string };
let basicApp: { clientId: string; clientSecret?: string };
let postApp: { clientId: string; clientSecret?: string };
let backOffice: { clientId: string; clientSecret?: string };
let resourceServer: { clientId: string; clientSecret?: string };

beforeAll(async () => {
  server = await startTestServer();
  user = await server.createUser();
  const scope = 'openid email offline_access users:read';
  basicApp = await server.createClient({ name: 'Basic', redirectUris: [REDIRECT_URI], grantTypes: ['authorization_code', 'refresh_token', 'password'], scope });
  postApp = await server.createClient({ name: 'Post', grantTypes: ['password', 'refresh_token'], scope, tokenEndpointAuthMethod: 'client_secret_post' });
  backOffice = await server.createClient({ name: 'Back office', grantTypes: ['client_credentials'], scope: 'users:read' });
  resourceServer = await server.createClient({ name: 'Orders API', grantTypes: ['client_credentials'], scope: 'users:read', introspection: true });
});
afterAll(() => server?.stop());

const basic = (client: { clientId: string; clientSecret?: string }) => ({ basic: [client.clientId, client.clientSecret!] as [string, string] });
const inBody = (client: { clientId: string; clientSecret?: string }) => ({ client_id: client.clientId, client_secret: client.clientSecret! });
const userTokens = async () => {
  const response = await postForm(
    `${server.url}/oauth/token`,
    { grant_type: 'password', username: user.email, password: user.password, scope: 'openid offline_access users:read' },
    basic(basicApp),
  );
  expect(response.status).toBe(200);
  return response.body as { access_token: string; refresh_token: string };
};

describe('one client-authentication policy', () => {
  it('refuses the registered method presented the other way, alike at token, introspection and revocation, with one realm', async () => {
    const tokens = await userTokens();
    const realm = `Basic realm="${server.url}"`;
    for (const path of ['/oauth/token', '/oauth/introspect', '/oauth/revoke']) {
      const form: Record<string, string> =
        path === '/oauth/token' ? { grant_type: 'refresh_token', refresh_token: tokens.refresh_token } : { token: tokens.access_token };
      // client_secret_basic client sending its secret in the body:
      const posted = await postForm(`${server.url}${path}`, { ...form, ...inBody(basicApp) });
      expect(posted.status, path).toBe(401);
      expect(posted.body.error, path).toBe('invalid_client');
      // client_secret_post client sending Basic:
      const basicked = await postForm(`${server.url}${path}`, form, basic(postApp));
      expect(basicked.status, path).toBe(401);
      expect(basicked.body.error, path).toBe('invalid_client');
      expect(basicked.headers.get('www-authenticate'), path).toBe(realm);
    }
    // The refresh token was never redeemed by those refusals.
    expect((await postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic(basicApp))).status).toBe(
      200,
    );
  });

  it('authenticates a private_key_jwt client (oauth4webapi), at the token endpoint and at introspection, and refuses a replayed assertion', async () => {
    const keys = (await generateKeyPair('ES256', { extractable: true })) as CryptoKeyPair;
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const registered = await server.createClient({
      name: 'Signed',
      grantTypes: ['client_credentials'],
      scope: 'users:read',
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [jwk] } as never,
    });
    expect(registered.clientSecret).toBeUndefined();
    const as = await oauth.processDiscoveryResponse(new URL(server.url), await oauth.discoveryRequest(new URL(server.url), insecure));
    const client: oauth.Client = { client_id: registered.clientId };
    const auth = oauth.PrivateKeyJwt({ key: keys.privateKey, kid: 'k1' });
    const granted = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'users:read' }, insecure),
    );
    expect(granted.access_token).toBeTruthy();
    const introspection = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, granted.access_token, insecure),
    );
    expect(introspection.active).toBe(true);

    // The same assertion twice: the second is a replay (RFC 7523 §3 item 7).
    let captured: string | undefined;
    await oauth.introspectionRequest(as, client, auth, granted.access_token, {
      ...insecure,
      [oauth.customFetch]: async (url: string, init: RequestInit) => {
        captured = String(init.body);
        return fetch(url, init);
      },
    });
    const replayed = await fetch(`${server.url}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: captured,
    });
    expect(replayed.status).toBe(401);
    // A secret is no way in for a private_key_jwt client.
    expect(
      (await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', client_id: registered.clientId, client_secret: 'guess' })).status,
    ).toBe(401);
  });

  it('lists in discovery only the methods and algorithms a client can use', async () => {
    const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    expect(discovery.token_endpoint_auth_methods_supported.sort()).toEqual(['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt']);
    expect(discovery.token_endpoint_auth_signing_alg_values_supported).not.toContain('HS256');
    expect(discovery.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256']));
  });
});

describe('introspection and revocation policy (RFC 7662 §4, RFC 7009 §2.1)', () => {
  it("answers another client's access and refresh tokens as inactive to a client that is no resource server", async () => {
    const tokens = await userTokens();
    for (const token of [tokens.access_token, tokens.refresh_token]) {
      const response = await postForm(`${server.url}/oauth/introspect`, { token }, basic(backOffice));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ active: false });
    }
    // The client they were issued to still sees them.
    expect((await postForm(`${server.url}/oauth/introspect`, { token: tokens.refresh_token }, basic(basicApp))).body.active).toBe(true);
  });

  it('lets a registered resource server introspect access tokens for its audience, never refresh tokens', async () => {
    const tokens = await userTokens();
    expect((await postForm(`${server.url}/oauth/introspect`, { token: tokens.access_token }, basic(resourceServer))).body).toMatchObject({
      active: true,
      sub: user.id,
    });
    expect((await postForm(`${server.url}/oauth/introspect`, { token: tokens.refresh_token }, basic(resourceServer))).body).toEqual({ active: false });
  });

  it("answers a revocation of another client's token with 200 for every token type, and changes nothing", async () => {
    const tokens = await userTokens();
    for (const token of [tokens.access_token, tokens.refresh_token]) {
      const response = await postForm(`${server.url}/oauth/revoke`, { token }, basic(backOffice));
      expect(response.status).toBe(200);
    }
    expect((await postForm(`${server.url}/oauth/introspect`, { token: tokens.access_token }, basic(basicApp))).body.active).toBe(true);
    expect((await postForm(`${server.url}/oauth/introspect`, { token: tokens.refresh_token }, basic(basicApp))).body.active).toBe(true);
  });
});

describe('URLs pinned to ISSUER', () => {
  it('builds discovery and JWKS URLs from ISSUER whatever Host or X-Forwarded-* say', async () => {
    const { request } = await import('node:http');
    const address = new URL(server.gatehouse.url);
    const body: string = await new Promise((resolve, reject) => {
      const outgoing = request(
        {
          host: address.hostname,
          port: address.port,
          path: '/.well-known/openid-configuration',
          headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve(text));
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
    expect(body).not.toContain('evil.example');
    const discovery = JSON.parse(body);
    expect(discovery.issuer).toBe(server.url);
    for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'introspection_endpoint'])
      expect(discovery[key].startsWith(`${server.url}/`), key).toBe(true);
  });
});

describe('nothing usable in a database dump', () => {
  it('stores sessions, interactions, grants, codes and refresh tokens under hashes: no cookie, code or token appears', async () => {
    const jar = new CookieJar();
    const pkce = pkcePair();
    const callback = await obtainAuthorizationCallback(
      server.url,
      { clientId: basicApp.clientId, redirectUri: REDIRECT_URI, scope: 'openid offline_access', challenge: pkce.challenge, state: 'dump-state', user },
      jar,
    );
    const code = callback.searchParams.get('code')!;
    const tokens = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: pkce.verifier },
      basic(basicApp),
    );
    expect(tokens.status).toBe(200);
    const rows: Array<Record<string, unknown>> = await server.em().getConnection().execute('select * from oidc_model');
    const dump = JSON.stringify(rows);
    expect(rows.some((row) => row.model === 'Session')).toBe(true);
    const secrets = [
      code,
      tokens.body.refresh_token,
      ...jar
        .values()
        .map((value) => value.split('.')[0]!)
        .filter((value) => value.length >= 16),
    ];
    expect(secrets.length).toBeGreaterThan(2);
    for (const secret of secrets) expect(dump).not.toContain(secret);
  });
});

describe('small RFC gaps', () => {
  it('answers an unknown scope with invalid_scope, at client_credentials and at the password grant', async () => {
    const cc = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'users:read no-such-scope' }, basic(backOffice));
    expect(cc.status).toBe(400);
    expect(cc.body.error).toBe('invalid_scope');
    const password = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'password', username: user.email, password: user.password, scope: 'openid bogus' },
      basic(basicApp),
    );
    expect(password.body.error).toBe('invalid_scope');
  });

  it('answers GET /oauth/token with 405 JSON and Allow: POST', async () => {
    const response = await fetch(`${server.url}/oauth/token`);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('says what was granted in every token response', async () => {
    const cc = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, basic(backOffice));
    expect(cc.status).toBe(200);
    expect(typeof cc.body.scope).toBe('string');
    const tokens = await userTokens();
    const refreshed = await postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic(basicApp));
    expect(refreshed.body.scope).toEqual(expect.any(String));
  });
});

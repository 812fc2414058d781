import { randomBytes, createHash } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { obtainAuthorizationCallback, pkcePair } from '../support/code-flow.js';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

// Issue #10 §3, RFC 9449: a DPoP-bound access token works only with `Authorization: DPoP` and a
// valid proof for this very request, at every resource route, and is refused as Bearer.
const REDIRECT_URI = 'https://app.example/callback';

let server: TestServer;
let user: { id: string; email: string; password: string };
let app: { clientId: string; clientSecret?: string };
let as: oauth.AuthorizationServer;
let keyPair: CryptoKeyPair;
let publicJwk: JWK;
let tokens: { access_token: string; refresh_token?: string };

const insecure = { [oauth.allowInsecureRequests]: true } as const;

beforeAll(async () => {
  server = await startTestServer();
  user = await server.createUser({ firstName: 'Dee', lastName: 'Pop' });
  app = await server.createClient({
    name: 'DPoP app',
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: 'openid email offline_access users:read',
  });
  as = await oauth.processDiscoveryResponse(new URL(server.url), await oauth.discoveryRequest(new URL(server.url), insecure));
  keyPair = (await generateKeyPair('ES256', { extractable: true })) as CryptoKeyPair;
  publicJwk = await exportJWK(keyPair.publicKey);
  tokens = await dpopTokens(keyPair);
});
afterAll(() => server?.stop());

/** The whole flow through oauth4webapi: PKCE, the real sign-in pages, a DPoP-bound code exchange. */
async function dpopTokens(keys: CryptoKeyPair) {
  const client: oauth.Client = { client_id: app.clientId };
  const pkce = pkcePair();
  const state = oauth.generateRandomState();
  const callback = await obtainAuthorizationCallback(server.url, {
    clientId: app.clientId,
    redirectUri: REDIRECT_URI,
    scope: 'openid email offline_access users:read',
    challenge: pkce.challenge,
    state,
    user,
  });
  const parameters = oauth.validateAuthResponse(as, client, callback, state);
  const DPoP = oauth.DPoP(client, keys);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(app.clientSecret!), parameters, REDIRECT_URI, pkce.verifier, {
    DPoP,
    ...insecure,
  });
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: true });
  expect(result.token_type.toLowerCase()).toBe('dpop');
  return result;
}

/** A hand-made proof, for the cases a correct client library never produces. */
async function proof(options: { method?: string; url?: string; accessToken?: string; iat?: number; key?: CryptoKey; jwk?: JWK; jti?: string } = {}) {
  return new SignJWT({
    jti: options.jti ?? randomBytes(12).toString('base64url'),
    htm: options.method ?? 'GET',
    htu: options.url ?? `${server.url}/api/v1/user/info`,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ath: createHash('sha256')
      .update(options.accessToken ?? tokens.access_token)
      .digest('base64url'),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: options.jwk ?? publicJwk })
    .sign(options.key ?? keyPair.privateKey);
}

const userInfo = (headers: Record<string, string>) => fetch(`${server.url}/api/v1/user/info`, { headers });

describe('DPoP-bound access tokens', () => {
  it('binds the token to the key (cnf.jkt) and works through oauth4webapi at the REMP API and userinfo', async () => {
    const thumbprint = await calculateJwkThumbprint(publicJwk);
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString());
    expect(claims.cnf).toEqual({ jkt: thumbprint });

    const DPoP = oauth.DPoP({}, keyPair);
    const info = await oauth.protectedResourceRequest(tokens.access_token, 'GET', new URL(`${server.url}/api/v1/user/info`), undefined, undefined, {
      DPoP,
      ...insecure,
    });
    expect(info.status).toBe(200);
    expect((await info.json()).user).toMatchObject({ email: user.email });

    const userinfo = await oauth.userInfoRequest(as, { client_id: app.clientId }, tokens.access_token, { DPoP, ...insecure });
    expect(await oauth.processUserInfoResponse(as, { client_id: app.clientId }, user.id, userinfo)).toMatchObject({ sub: user.id, email: user.email });

    // Introspection says what it is (RFC 9449 §6.2).
    const introspected = await postForm(`${server.url}/oauth/introspect`, { token: tokens.access_token }, { basic: [app.clientId, app.clientSecret!] });
    expect(introspected.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: thumbprint } });
  });

  it('refreshes with a proof from the same key into a bound token; without a proof the new token is unbound', async () => {
    const client: oauth.Client = { client_id: app.clientId };
    const fresh = await dpopTokens(keyPair);
    // RFC 9449 §5: a confidential client's refresh token is sender-constrained by its client
    // authentication, not by the key; without a proof the access token it gets is a Bearer one.
    const without = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'refresh_token', refresh_token: fresh.refresh_token! },
      { basic: [app.clientId, app.clientSecret!] },
    );
    expect(without.status).toBe(200);
    expect(without.body.token_type).toBe('Bearer');
    const response = await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretBasic(app.clientSecret!), without.body.refresh_token, {
      DPoP: oauth.DPoP(client, keyPair),
      ...insecure,
    });
    expect((await oauth.processRefreshTokenResponse(as, client, response)).token_type.toLowerCase()).toBe('dpop');
  });

  it('refuses the token presented as Bearer, with a DPoP challenge, at the REMP, admin, SessionM and userinfo routes', async () => {
    for (const url of [`${server.url}/api/v1/user/info`, `${server.url}/api/v1/admin/login-attempts`, `${server.url}/oauth/userinfo`]) {
      const response = await fetch(url, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);
    }
  });

  it('accepts a valid hand-made proof once, and refuses it replayed', async () => {
    const once = await proof();
    expect((await userInfo({ authorization: `DPoP ${tokens.access_token}`, dpop: once })).status).toBe(200);
    const replayed = await userInfo({ authorization: `DPoP ${tokens.access_token}`, dpop: once });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
  });

  it('refuses a proof for another URL, another method, another token, an expired one, and one from another key', async () => {
    const other = (await generateKeyPair('ES256', { extractable: true })) as CryptoKeyPair;
    const cases = {
      url: await proof({ url: `${server.url}/api/v1/users/list` }),
      method: await proof({ method: 'POST' }),
      token: await proof({ accessToken: 'another.access.token' }),
      expired: await proof({ iat: Math.floor(Date.now() / 1000) - 600 }),
      key: await proof({ key: other.privateKey, jwk: await exportJWK(other.publicKey) }),
      none: undefined,
    };
    for (const [name, value] of Object.entries(cases)) {
      const response = await userInfo({ authorization: `DPoP ${tokens.access_token}`, ...(value ? { dpop: value } : {}) });
      expect(response.status, name).toBe(401);
      expect(response.headers.get('www-authenticate'), name).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
    }
  });

  it('refuses a plain Bearer token presented with the DPoP scheme', async () => {
    const plain = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'users:read' }, { basic: await ccClient() });
    const response = await fetch(`${server.url}/api/v1/users/list`, {
      method: 'POST',
      headers: {
        authorization: `DPoP ${plain.body.access_token}`,
        dpop: await proof({ method: 'POST', accessToken: plain.body.access_token, url: `${server.url}/api/v1/users/list` }),
      },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_token"/);
  });

  it('refuses unbound tokens to a client registered with dpop_bound_access_tokens', async () => {
    const bound = await server.createClient({ name: 'Bound', grantTypes: ['client_credentials'], scope: 'users:read', dpopBoundAccessTokens: true });
    const refused = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'client_credentials', scope: 'users:read' },
      { basic: [bound.clientId, bound.clientSecret!] },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/invalid_grant|invalid_dpop_proof|invalid_request/);
    expect(refused.body.access_token).toBeUndefined();
    const client: oauth.Client = { client_id: bound.clientId };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(bound.clientSecret!),
      { scope: 'users:read' },
      { DPoP: oauth.DPoP(client, keyPair), ...insecure },
    );
    expect((await oauth.processClientCredentialsResponse(as, client, response)).token_type.toLowerCase()).toBe('dpop');
  });
});

describe('DPoP with a server nonce (DPOP_REQUIRE_NONCE)', () => {
  it('asks for a nonce with use_dpop_nonce and DPoP-Nonce, and oauth4webapi retries with it', async () => {
    const strict = await startTestServer({ DPOP_REQUIRE_NONCE: 'true', DATABASE_URL: server.databaseUrl, ISSUER: server.url });
    try {
      const DPoP = oauth.DPoP({}, keyPair);
      const url = new URL(`${server.url}/api/v1/user/info`);
      // The strict instance serves the same issuer; ask it directly.
      const direct = (init: RequestInit) => fetch(`${strict.gatehouse.url}/api/v1/user/info`, init);
      const first = await direct({ headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await proof() } });
      expect(first.status).toBe(401);
      expect(first.headers.get('www-authenticate')).toMatch(/error="use_dpop_nonce"/);
      const nonce = first.headers.get('dpop-nonce');
      expect(nonce).toBeTruthy();
      const withNonce = new SignJWT({
        jti: randomBytes(12).toString('base64url'),
        htm: 'GET',
        htu: url.toString(),
        iat: Math.floor(Date.now() / 1000),
        nonce,
        ath: createHash('sha256').update(tokens.access_token).digest('base64url'),
      })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk })
        .sign(keyPair.privateKey);
      expect((await direct({ headers: { authorization: `DPoP ${tokens.access_token}`, dpop: await withNonce } })).status).toBe(200);
      expect(DPoP).toBeDefined();
    } finally {
      await strict.stop();
    }
  });
});

async function ccClient(): Promise<[string, string]> {
  const client = await server.createClient({ name: 'Back office', grantTypes: ['client_credentials'], scope: 'users:read' });
  return [client.clientId, client.clientSecret!];
}

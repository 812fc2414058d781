import { createHmac, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { assertSelfOrScope, type Caller } from '../../src/oauth/callers/authenticator.js';
import { ApiError } from '../../src/platform/http/errors.js';
import { postForm, startTestServer, type TestServer } from '../support/server.js';
import { API_KEYS_PATH, bearer, call, clientToken, genuineClaims, signWithForeignKey, signWithServerKey, userToken } from './support.js';

const REVOCATION_CACHE_SECONDS = 1;
let server: TestServer;
let admin: Awaited<ReturnType<typeof clientToken>>;

beforeAll(async () => {
  server = await startTestServer({ REVOCATION_CACHE_SECONDS: String(REVOCATION_CACHE_SECONDS) });
  admin = await clientToken(server, 'users:admin');
});
afterAll(() => server?.stop());

const listKeys = (headers: Record<string, string> = {}) => call(server, 'GET', API_KEYS_PATH, { headers });

function expectInvalidToken(response: Awaited<ReturnType<typeof call>>) {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
  expect(response.body).toMatchObject({ status: 'error', code: 'invalid_token' });
}

describe('resource-server authentication', () => {
  it('answers a request without credentials with 401 and bare Bearer and DPoP challenges (RFC 6750 §3, RFC 9449 §7.1)', async () => {
    const challenge = 'Bearer realm="gatehouse", DPoP realm="gatehouse", algs="ES256 PS256 RS256 EdDSA"';
    const response = await listKeys();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(challenge);
    expect(response.body).toEqual({ status: 'error', code: 'unauthorized', message: 'Authorization is required' });
    // Another scheme is no bearer credential either.
    expect((await listKeys({ authorization: 'Basic dXNlcjpwYXNz' })).headers.get('www-authenticate')).toBe(challenge);
  });

  it('accepts a client-credentials token carrying users:admin', async () => {
    const response = await listKeys(bearer(admin.accessToken));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ api_keys: [] });
  });

  it('refuses malformed tokens with 401 invalid_token', async () => {
    expectInvalidToken(await listKeys(bearer('not-a-jwt')));
    expectInvalidToken(await listKeys({ authorization: 'Bearer two words' }));
    expectInvalidToken(await listKeys({ authorization: 'Bearer' }));
    const [header, payload] = admin.accessToken.split('.');
    expectInvalidToken(await listKeys(bearer(`${header}.${payload}.`)));
  });

  it('refuses a token whose signature does not verify', async () => {
    expectInvalidToken(await listKeys(bearer(await signWithForeignKey(server, genuineClaims(server)))));
    const [header, , signature] = admin.accessToken.split('.');
    const elevated = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(admin.accessToken.split('.')[1]!, 'base64url').toString()), scope: 'users:admin tenants:admin' }),
    ).toString('base64url');
    expectInvalidToken(await listKeys(bearer(`${header}.${elevated}.${signature}`)));
  });

  it('refuses tokens signed with the server key but meant for another audience or issuer, of another type, or expired', async () => {
    // The control: the same forging path with genuine claims is accepted.
    expect((await listKeys(bearer(await signWithServerKey(server, genuineClaims(server))))).status).toBe(200);

    expectInvalidToken(await listKeys(bearer(await signWithServerKey(server, genuineClaims(server, { aud: 'https://other.example/api' })))));
    expectInvalidToken(await listKeys(bearer(await signWithServerKey(server, genuineClaims(server, { iss: 'https://other.example' })))));
    // An ID token is signed by the same key; its typ is not at+jwt (RFC 9068 §4).
    expectInvalidToken(await listKeys(bearer(await signWithServerKey(server, genuineClaims(server), { typ: 'JWT' }))));
    const now = Math.floor(Date.now() / 1000);
    const expired = await listKeys(bearer(await signWithServerKey(server, genuineClaims(server, { iat: now - 120, exp: now - 60 }))));
    expectInvalidToken(expired);
    expect(expired.headers.get('www-authenticate')).toContain('error_description="The access token expired"');
  });

  it("refuses unsigned tokens, HMAC with the public key as secret, another algorithm than the key's, and missing or unknown key ids", async () => {
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const claims = genuineClaims(server);
    const rsaKey = server.gatehouse.providers.keys.publicJwks.keys.find((key) => key.alg === 'RS256')!;
    // alg "none" (RFC 7518 §3.6), with and without the server's kid.
    expectInvalidToken(await listKeys(bearer(`${encode({ alg: 'none', typ: 'at+jwt' })}.${encode(claims)}.`)));
    expectInvalidToken(await listKeys(bearer(`${encode({ alg: 'none', kid: rsaKey.kid, typ: 'at+jwt' })}.${encode(claims)}.`)));
    // Key confusion (RFC 8725 §2.1): HS256 keyed with the published RSA public key.
    const publicPem = createPublicKey({ key: rsaKey as Record<string, unknown>, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const confused = `${encode({ alg: 'HS256', kid: rsaKey.kid, typ: 'at+jwt' })}.${encode(claims)}`;
    expectInvalidToken(await listKeys(bearer(`${confused}.${createHmac('sha256', publicPem).update(confused).digest('base64url')}`)));
    // A genuine signature under a header that names another algorithm, no kid, or a kid nobody published.
    const genuine = await signWithServerKey(server, claims);
    const [, payload, signature] = genuine.split('.');
    for (const header of [
      { alg: 'ES256', kid: rsaKey.kid, typ: 'at+jwt' },
      { alg: 'RS256', typ: 'at+jwt' },
      { alg: 'RS256', kid: 'someone-elses-key', typ: 'at+jwt' },
    ]) {
      expectInvalidToken(await listKeys(bearer(`${encode(header)}.${payload}.${signature}`)));
    }
  });

  it('answers a token without the required scope with 403 insufficient_scope naming the scope', async () => {
    const reader = await clientToken(server, 'users:read');
    const response = await listKeys(bearer(reader.accessToken));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse", error="insufficient_scope", scope="users:admin"');
    expect(response.body).toMatchObject({ status: 'error', code: 'insufficient_scope', message: 'The users:admin scope is required' });
  });

  it("resolves a customer's token as a user caller and holds it to the same scopes", async () => {
    const user = await server.createUser();
    expect((await listKeys(bearer(await userToken(server, user.id, 'openid users:read')))).status).toBe(403);
    expect((await listKeys(bearer(await userToken(server, user.id, 'users:admin')))).status).toBe(200);
  });

  it('refuses a token whose subject is neither a customer nor the client (a tenant admin)', async () => {
    const token = await signWithServerKey(server, genuineClaims(server, { sub: 'tenant-admin:5b8a1c58-1f7e-4b53-9f0c-4c4f4a0f3c11', client_id: 'gatehouse' }));
    expectInvalidToken(await listKeys(bearer(token)));
  });

  it('refuses an access token revoked at /oauth/revoke within REVOCATION_CACHE_SECONDS', async () => {
    const victim = await clientToken(server, 'users:admin');
    expect((await listKeys(bearer(victim.accessToken))).status).toBe(200);

    const revokedAt = Date.now();
    const revoked = await postForm(
      `${server.url}/oauth/revoke`,
      { token: victim.accessToken, token_type_hint: 'access_token' },
      { basic: [victim.clientId, victim.clientSecret] },
    );
    expect(revoked.status).toBe(200);
    await vi.waitFor(async () => expectInvalidToken(await listKeys(bearer(victim.accessToken))), { timeout: 10_000, interval: 100 });
    // One refresh interval, plus the poll itself and scheduling slack.
    expect(Date.now() - revokedAt).toBeLessThan(REVOCATION_CACHE_SECONDS * 1000 + 1500);
    expect((await listKeys(bearer(victim.accessToken))).headers.get('www-authenticate')).toContain('The access token was revoked');
    // Other tokens are untouched.
    expect((await listKeys(bearer(admin.accessToken))).status).toBe(200);
  });

  it('refuses every token of a revoked grant', async () => {
    const grantId = `grant-${Date.now()}`;
    const first = await signWithServerKey(server, genuineClaims(server, { gid: grantId }));
    const second = await signWithServerKey(server, genuineClaims(server, { gid: grantId }));
    expect((await listKeys(bearer(first))).status).toBe(200);
    await server.em().getConnection().execute(`insert into revoked_token (kind, value, expires_at) values ('grant', ?, now() + interval '1 hour')`, [grantId]);
    await vi.waitFor(async () => expectInvalidToken(await listKeys(bearer(first))), { timeout: 10_000, interval: 100 });
    expectInvalidToken(await listKeys(bearer(second)));
  });

  it('refuses two different credentials in one request (RFC 6750 §2)', async () => {
    const response = await listKeys({ ...bearer(admin.accessToken), 'x-api-key': 'gh_something' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ status: 'error', code: 'invalid_request' });
  });

  it('does not accept API keys where the route did not ask for them', async () => {
    const created = await call(server, 'POST', API_KEYS_PATH, { headers: bearer(admin.accessToken), json: { name: 'all', endpoints: ['*'] } });
    expect(created.status).toBe(201);
    expectInvalidToken(await listKeys(bearer(created.body.key)));
    expectInvalidToken(await listKeys({ 'x-api-key': created.body.key }));
  });
});

describe('assertSelfOrScope', () => {
  const self = '0b0e4a3c-1c1f-4e55-9d8e-3a3f3b1c2d4e';
  const other = '7f1d2c3b-4a5e-4f60-8b7a-6c5d4e3f2a1b';
  const user = (scopes: string[]): Caller => ({ kind: 'user', customerId: self, clientId: 'app', scopes, tokenId: 'jti' });

  it('lets a user act on itself only, unless its scopes say otherwise', () => {
    expect(() => assertSelfOrScope(user(['users:read']), self, 'users:admin')).not.toThrow();
    expect(() => assertSelfOrScope(user(['users:admin']), other, 'users:admin')).not.toThrow();
    let refused: unknown;
    try {
      assertSelfOrScope(user(['users:read']), other, 'users:admin');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({
      status: 403,
      code: 'insufficient_scope',
      headers: { 'WWW-Authenticate': 'Bearer realm="gatehouse", error="insufficient_scope", scope="users:admin"' },
    });
  });

  it('lets clients and API keys act on any customer (their route scopes or whitelist decided)', () => {
    expect(() => assertSelfOrScope({ kind: 'client', clientId: 'backoffice', scopes: ['users:read'] }, other, 'users:admin')).not.toThrow();
    expect(() => assertSelfOrScope({ kind: 'api_key', keyId: 'k', name: 'crm', scopes: [] }, other, 'users:admin')).not.toThrow();
  });
});

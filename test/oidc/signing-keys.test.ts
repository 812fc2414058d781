import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let client: { clientId: string; clientSecret?: string };

beforeAll(async () => {
  server = await startTestServer();
  client = await server.createClient({ name: 'Keys', grantTypes: ['client_credentials'], scope: 'users:read' });
});
afterAll(() => server?.stop());

const issue = async () => {
  const response = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [client.clientId, client.clientSecret!] });
  expect(response.status).toBe(200);
  return response.body.access_token as string;
};
const introspect = (token: string) => postForm(`${server.url}/oauth/introspect`, { token }, { basic: [client.clientId, client.clientSecret!] });
const jwksKids = async () => (await (await fetch(`${server.url}/oauth/jwks`)).json()).keys as Array<{ kid: string; alg: string; d?: string }>;

describe('signing keys', () => {
  it('publishes RS256 and ES256 public keys only', async () => {
    const keys = await jwksKids();
    expect(new Set(keys.map((key) => key.alg))).toEqual(new Set(['RS256', 'ES256']));
    expect(keys.every((key) => key.d === undefined)).toBe(true);
    const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    expect(discovery.id_token_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS256', 'ES256']));
  });

  it('publishes, for the keys that sign through node:crypto (LocalSigningKey), exactly their public halves', async () => {
    const served = (await (await fetch(`${server.url}/oauth/jwks`)).json()).keys as Array<Record<string, unknown>>;
    const own = server.gatehouse.providers.keys.publicJwks.keys;
    expect(served.map((key) => key.kid).sort()).toEqual(own.map((key) => key.kid).sort());
    for (const key of served) {
      const expected = own.find((candidate) => candidate.kid === key.kid)!;
      for (const member of ['kty', 'crv', 'x', 'y', 'n', 'e', 'alg'])
        expect(key[member], `${String(key.kid)} ${member}`).toEqual(expected[member as keyof typeof expected]);
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key[member]).toBeUndefined();
    }
    // And what they sign verifies against what they publish: an access token (ES256) here, ID tokens in test/oidc/refresh-token.test.ts.
    const token = await issue();
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${server.url}/oauth/jwks`)), { issuer: server.url });
    expect(payload.client_id).toBe(client.clientId);
  });

  it('stores private keys encrypted, never as plain JWK', async () => {
    const rows: any[] = await server.em().getConnection().execute('select kid, encrypted_jwk from signing_key');
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) {
      expect(row.encrypted_jwk).toMatch(/^v1\./);
      expect(row.encrypted_jwk).not.toContain('"d"');
    }
  });

  it('keeps keys across a restart: a token issued before verifies after', async () => {
    const before = await issue();
    const kidsBefore = (await jwksKids()).map((key) => key.kid);
    await server.restart();
    expect((await jwksKids()).map((key) => key.kid)).toEqual(kidsBefore);
    expect((await introspect(before)).body.active).toBe(true);
  });

  it('rotates with keys:rotate: the pre-published key signs, the old one stays published', async () => {
    const oldToken = await issue();
    const { kid: oldKid, alg: oldAlg } = decodeProtectedHeader(oldToken) as { kid: string; alg: string };
    const keysBefore = await jwksKids();
    const publishedBefore = keysBefore.map((key) => key.kid);

    const result = await runCli(['keys:rotate'], server.env);
    expect(result.code, result.stderr).toBe(0);
    const { activated, retired } = JSON.parse(result.stdout.slice(result.stdout.indexOf('{')));
    expect(retired).toContain(oldKid);
    // The successor of the key that signed: same algorithm (ACCESS_TOKEN_ALG).
    const newKid = activated.find((kid: string) => keysBefore.some((key) => key.kid === kid && key.alg === oldAlg));
    // The key that now signs was already in JWKS before the rotation.
    expect(publishedBefore).toEqual(expect.arrayContaining(activated));

    // The running instance picks the new keys up within KEY_REFRESH_INTERVAL (1 s in tests).
    let newToken = '';
    for (let attempt = 0; attempt < 50; attempt += 1) {
      newToken = await issue();
      if (decodeProtectedHeader(newToken).kid !== oldKid) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    const published = (await jwksKids()).map((key) => key.kid);
    expect(published).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect((await introspect(oldToken)).body.active).toBe(true);
    expect((await introspect(newToken)).body.active).toBe(true);
  });
});

describe('access tokens of every selectable algorithm verify at the resource server', () => {
  for (const algorithm of ['RS256', 'EdDSA'] as const) {
    it(`ACCESS_TOKEN_ALG=${algorithm}: issued with it, active at introspection, refused once tampered`, async () => {
      const other = await startTestServer({ ACCESS_TOKEN_ALG: algorithm });
      try {
        const app = await other.createClient({ name: algorithm, grantTypes: ['client_credentials'], scope: 'users:read' });
        const issued = await postForm(`${other.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [app.clientId, app.clientSecret!] });
        const token = issued.body.access_token as string;
        expect(decodeProtectedHeader(token)).toMatchObject({ alg: algorithm, typ: 'at+jwt' });
        const check = (presented: string) => postForm(`${other.url}/oauth/introspect`, { token: presented }, { basic: [app.clientId, app.clientSecret!] });
        expect((await check(token)).body).toMatchObject({ active: true, client_id: app.clientId });
        const [header, payload, signature] = token.split('.');
        const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BA' : 'AA'}`;
        expect((await check(`${header}.${payload}.${flipped}`)).body).toEqual({ active: false });
      } finally {
        await other.stop();
      }
    });
  }
});

import { randomUUID } from 'node:crypto';
import { generateKeyPair, importJWK, SignJWT, type JWTPayload } from 'jose';
import { mintAccessToken } from '../../src/oauth/token-minter.js';
import { postForm, type TestServer } from '../support/server.js';

export const API_KEYS_PATH = '/api/v1/admin/api-keys';

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(
  server: TestServer,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; json?: unknown } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, { method, headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A registered client that may use client_credentials with these scopes, and a token for them. */
export async function clientToken(server: TestServer, scope: string): Promise<{ clientId: string; clientSecret: string; accessToken: string }> {
  const client = await server.createClient({ name: `client ${scope}`, grantTypes: ['client_credentials'], scope });
  const issued = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', scope }, { basic: [client.clientId, client.clientSecret!] });
  if (issued.status !== 200) throw new Error(`client_credentials failed: ${JSON.stringify(issued.body)}`);
  return { clientId: client.clientId, clientSecret: client.clientSecret!, accessToken: issued.body.access_token };
}

/** A customer's access token, issued by the provider the way REST logins issue them. */
export async function userToken(server: TestServer, customerId: string, scope: string): Promise<string> {
  const minted = await mintAccessToken(server.gatehouse.providers.current, server.gatehouse.config, {
    accountId: customerId,
    scope,
    grantType: 'urn:gatehouse:test',
  });
  return minted.accessToken;
}

/** The claims a genuine client-credentials access token of this server carries. */
export function genuineClaims(server: TestServer, overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: server.gatehouse.config.issuer,
    aud: server.gatehouse.config.apiAudience,
    sub: 'forged-client',
    client_id: 'forged-client',
    scope: 'users:admin',
    jti: randomUUID(),
    iat: now,
    exp: now + 300,
    ...overrides,
  };
}

/**
 * Signs with the server's own current RS256 key (the test runs in the same process), so a refusal
 * can only come from the claim or header under test, not from the signature.
 */
export async function signWithServerKey(server: TestServer, claims: JWTPayload, header: { typ?: string } = {}): Promise<string> {
  const jwk = server.gatehouse.providers.keys.privateJwks.keys.find((key) => key.alg === 'RS256' && !key.key_ops);
  if (!jwk) throw new Error('no RS256 signing key');
  const key = await importJWK(jwk, 'RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: jwk.kid, typ: header.typ ?? 'at+jwt' }).sign(key);
}

/** Same claims and kid, but signed with a key the server has never seen. */
export async function signWithForeignKey(server: TestServer, claims: JWTPayload): Promise<string> {
  const jwk = server.gatehouse.providers.keys.privateJwks.keys.find((key) => key.alg === 'RS256' && !key.key_ops);
  const { privateKey } = await generateKeyPair('RS256');
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: jwk?.kid, typ: 'at+jwt' }).sign(privateKey);
}

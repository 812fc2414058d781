import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let client: { clientId: string; clientSecret?: string };
const tokenUrl = () => `${server.url}/oauth/token`;

beforeAll(async () => {
  server = await startTestServer();
  client = await server.createClient({ name: 'Back office', grantTypes: ['client_credentials'], scope: 'users:read users:write' });
});
afterAll(() => server?.stop());

describe('client_credentials', () => {
  it('issues a JWT access token for the API with the requested allowed scopes', async () => {
    const response = await postForm(tokenUrl(), { grant_type: 'client_credentials', scope: 'users:read' }, { basic: [client.clientId, client.clientSecret!] });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'Bearer', scope: 'users:read', expires_in: 3600 });
    expect(decodeJwt(response.body.access_token)).toMatchObject({ sub: client.clientId, aud: `${server.url}/api`, scope: 'users:read' });
  });

  it('refuses a scope the client is not allowed', async () => {
    const response = await postForm(
      tokenUrl(),
      { grant_type: 'client_credentials', scope: 'users:read users:admin' },
      { basic: [client.clientId, client.clientSecret!] },
    );
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_scope');
  });

  it('answers a wrong secret with 401 invalid_client', async () => {
    const response = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, { basic: [client.clientId, 'wrong-secret'] });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
  });

  it('answers an unknown client with 401 invalid_client', async () => {
    const response = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, { basic: ['no-such-client', 'whatever'] });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
  });

  it('stores only a hash of the client secret', async () => {
    const rows: any[] = await server
      .em()
      .getConnection()
      .execute('select secret_hash, metadata::text as metadata from oauth_client where client_id = ?', [client.clientId]);
    expect(rows[0].secret_hash).not.toContain(client.clientSecret);
    expect(rows[0].secret_hash).toHaveLength(43);
    expect(rows[0].metadata).not.toContain(client.clientSecret);
  });

  it('refuses a grant type the client is not registered for', async () => {
    const response = await postForm(tokenUrl(), { grant_type: 'refresh_token', refresh_token: 'x' }, { basic: [client.clientId, client.clientSecret!] });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('unauthorized_client');
  });

  it('answers an unknown grant type with unsupported_grant_type', async () => {
    const response = await postForm(tokenUrl(), { grant_type: 'urn:example:nope' }, { basic: [client.clientId, client.clientSecret!] });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('unsupported_grant_type');
  });

  it('refuses a JSON body at the token endpoint with invalid_request', async () => {
    const response = await fetch(tokenUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` },
      body: '{"grant_type": "client_credentials"',
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toBe('invalid_request');
  });

  it('refuses a body over 100 kB', async () => {
    const response = await postForm(
      tokenUrl(),
      { grant_type: 'client_credentials', padding: 'x'.repeat(101 * 1024) },
      { basic: [client.clientId, client.clientSecret!] },
    );
    expect(response.status).toBe(413);
    expect(response.body.error).toBe('invalid_request');
  });

  it('introspects its own token as active and a garbage token as inactive', async () => {
    const issued = await postForm(tokenUrl(), { grant_type: 'client_credentials', scope: 'users:write' }, { basic: [client.clientId, client.clientSecret!] });
    const active = await postForm(`${server.url}/oauth/introspect`, { token: issued.body.access_token }, { basic: [client.clientId, client.clientSecret!] });
    expect(active.body).toMatchObject({ active: true, client_id: client.clientId, scope: 'users:write', token_type: 'Bearer' });
    const tampered = `${issued.body.access_token.slice(0, -4)}AAAA`;
    const inactive = await postForm(`${server.url}/oauth/introspect`, { token: tampered }, { basic: [client.clientId, client.clientSecret!] });
    expect(inactive.body).toEqual({ active: false });
    const unauthenticated = await postForm(`${server.url}/oauth/introspect`, { token: issued.body.access_token }, { basic: [client.clientId, 'bad'] });
    expect(unauthenticated.status).toBe(401);
  });
});

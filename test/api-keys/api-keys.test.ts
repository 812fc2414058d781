import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { API_KEYS_PATH, bearer, call, clientToken } from '../http/support.js';
import { createKeyByCli, probe, startProbe, type Probe } from './support.js';

const API_KEY_CACHE_SECONDS = 1;
let server: TestServer;
let target: Probe;
let adminToken: string;
/** Created once with the CLI (a separate process, ~seconds); further keys come from the admin API. */
let crm: Awaited<ReturnType<typeof createKeyByCli>>;

beforeAll(async () => {
  server = await startTestServer({ API_KEY_CACHE_SECONDS: String(API_KEY_CACHE_SECONDS) });
  target = await startProbe(server);
  adminToken = (await clientToken(server, 'users:admin')).accessToken;
  crm = await createKeyByCli(server, ['--name', 'Newsletter sync', '--endpoint', 'users.create', '--scope', 'users:read']);
});

afterAll(async () => {
  await target?.stop();
  await server?.stop();
});

/** A key made through the admin API. */
async function createKey(json: { name: string; endpoints?: string[]; scopes?: string[] }): Promise<{ id: string; key: string }> {
  const created = await call(server, 'POST', API_KEYS_PATH, { headers: bearer(adminToken), json });
  expect(created.status).toBe(201);
  return created.body;
}

const row = async (id: string) => ((await server.em().getConnection().execute('select * from api_key where id = ?', [id])) as any[])[0];

describe('API keys created with the CLI', () => {
  it('prints the key once, stores only its sha256 and a display prefix', async () => {
    const created = crm;
    expect(created.key).toMatch(/^gh_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      name: 'Newsletter sync',
      prefix: created.key.slice(0, 8),
      endpoints: ['users.create'],
      scopes: ['users:read'],
      revoked_at: null,
    });
    expect(created.stderr).toContain('not shown again');

    const stored = await row(created.id);
    expect(stored.key_hash).toBe(createHash('sha256').update(created.key).digest('base64url'));
    expect(JSON.stringify(stored)).not.toContain(created.key);

    const listed = await runCli(['api-keys:list'], server.env);
    expect(listed.stdout).toContain(created.id);
    expect(listed.stdout).not.toContain(created.key);
    expect(listed.stdout).not.toContain(stored.key_hash);
  });

  it('authenticates with Authorization: Bearer, api_key and x-api-key on a whitelisted endpoint', async () => {
    const expected = { kind: 'api_key', keyId: crm.id, name: 'Newsletter sync', scopes: ['users:read'] };
    const headerSets: Record<string, string>[] = [bearer(crm.key), { api_key: crm.key }, { 'x-api-key': crm.key }];
    for (const headers of headerSets) {
      const response = await probe(target, 'users.create', headers);
      expect(response.status).toBe(200);
      expect(response.body).toEqual(expected);
    }
  });

  it('refuses the key on an endpoint it is not whitelisted for, and a key with no endpoints everywhere', async () => {
    const refused = await probe(target, 'users.delete', { 'x-api-key': crm.key });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ status: 'error', code: 'forbidden', message: 'The API key is not whitelisted for this endpoint' });

    const nothing = await createKey({ name: 'Default' });
    expect((await row(nothing.id)).endpoints).toEqual([]);
    for (const endpoint of ['users.create', 'users.delete', 'user-meta.list']) {
      expect((await probe(target, endpoint, { 'x-api-key': nothing.key })).status).toBe(403);
    }
  });

  it('lets a key whitelisted with * call every endpoint', async () => {
    const created = await createKey({ name: 'Everything', endpoints: ['*'] });
    for (const endpoint of ['users.create', 'users.delete', 'user-meta.list']) {
      expect((await probe(target, endpoint, bearer(created.key))).status).toBe(200);
    }
  });

  it('records when a key was last used, without writing on every request', async () => {
    const created = await createKey({ name: 'CRM', endpoints: ['users.create'] });
    expect((await row(created.id)).last_used_at).toBeNull();
    await probe(target, 'users.create', { 'x-api-key': created.key });
    await vi.waitFor(async () => expect((await row(created.id)).last_used_at).not.toBeNull(), { timeout: 5000, interval: 50 });
    const first = (await row(created.id)).last_used_at as Date;
    for (let i = 0; i < 5; i += 1) await probe(target, 'users.create', { 'x-api-key': created.key });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await row(created.id)).last_used_at).toEqual(first);
  });

  it('refuses a key revoked with the CLI within API_KEY_CACHE_SECONDS', async () => {
    const created = await createKey({ name: 'Leaked', endpoints: ['users.create'] });
    expect((await probe(target, 'users.create', { api_key: created.key })).status).toBe(200);
    const revoked = await runCli(['api-keys:revoke', created.id], server.env);
    expect(revoked.code).toBe(0);
    const revokedAt = Date.now();
    await vi.waitFor(async () => expect((await probe(target, 'users.create', { api_key: created.key })).status).toBe(401), { timeout: 10_000, interval: 100 });
    expect(Date.now() - revokedAt).toBeLessThan(API_KEY_CACHE_SECONDS * 1000 + 1000);
    expect((await row(created.id)).revoked_at).not.toBeNull();
  });

  it('answers an unknown key with 401 invalid_token', async () => {
    const response = await probe(target, 'users.create', { 'x-api-key': `gh_${'A'.repeat(43)}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(response.body).toEqual({ status: 'error', code: 'invalid_token', message: 'The API key is invalid' });
  });

  it('still holds user and client tokens to the route scopes on a route that also takes API keys', async () => {
    expect((await probe(target, 'users.create', bearer((await clientToken(server, 'users:read')).accessToken))).status).toBe(403);
    const writer = await probe(target, 'users.create', bearer((await clientToken(server, 'users:write')).accessToken));
    expect(writer.status).toBe(200);
    expect(writer.body).toMatchObject({ kind: 'client', scopes: ['users:write'] });
  });
});

describe('API key administration over HTTP', () => {
  it('creates a key for a users:admin caller and shows it only in that response', async () => {
    const created = await call(server, 'POST', API_KEYS_PATH, {
      headers: bearer(adminToken),
      json: { name: 'Mailer', endpoints: ['users.create', 'users.create'], scopes: ['users:read'] },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(created.body).sort()).toEqual(['created_at', 'endpoints', 'id', 'key', 'last_used_at', 'name', 'prefix', 'revoked_at', 'scopes']);
    expect(created.body).toMatchObject({ name: 'Mailer', endpoints: ['users.create'], scopes: ['users:read'], prefix: created.body.key.slice(0, 8) });
    expect((await probe(target, 'users.create', bearer(created.body.key))).status).toBe(200);

    const listed = await call(server, 'GET', API_KEYS_PATH, { headers: bearer(adminToken) });
    expect(listed.status).toBe(200);
    const entry = listed.body.api_keys.find((each: any) => each.id === created.body.id);
    expect(Object.keys(entry).sort()).toEqual(['created_at', 'endpoints', 'id', 'last_used_at', 'name', 'prefix', 'revoked_at', 'scopes']);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
  });

  it('refuses invalid input with 400', async () => {
    const post = (json: unknown) => call(server, 'POST', API_KEYS_PATH, { headers: bearer(adminToken), json });
    expect((await post({ endpoints: ['users.create'] })).status).toBe(400);
    expect((await post({ name: 'x', endpoints: ['Users Create!'] })).status).toBe(400);
    const badScope = await post({ name: 'x', scopes: ['root'] });
    expect(badScope.status).toBe(400);
    expect(badScope.body).toMatchObject({ status: 'error', code: 'invalid_request' });
  });

  it('revokes a key: refused on this instance at once, revoking twice keeps the first time, unknown ids 404', async () => {
    const created = await call(server, 'POST', API_KEYS_PATH, { headers: bearer(adminToken), json: { name: 'Temp', endpoints: ['*'] } });
    expect((await probe(target, 'users.create', bearer(created.body.key))).status).toBe(200);

    const revoked = await call(server, 'DELETE', `${API_KEYS_PATH}/${created.body.id}`, { headers: bearer(adminToken) });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: created.body.id, revoked_at: expect.any(String) });
    expect(revoked.body.key).toBeUndefined();
    expect((await probe(target, 'users.create', bearer(created.body.key))).status).toBe(401);

    const again = await call(server, 'DELETE', `${API_KEYS_PATH}/${created.body.id}`, { headers: bearer(adminToken) });
    expect(again.body.revoked_at).toBe(revoked.body.revoked_at);
    expect((await call(server, 'DELETE', `${API_KEYS_PATH}/00000000-0000-4000-8000-000000000000`, { headers: bearer(adminToken) })).status).toBe(404);
    expect((await call(server, 'DELETE', `${API_KEYS_PATH}/not-a-uuid`, { headers: bearer(adminToken) })).status).toBe(400);
  });

  it('lets only users:admin callers manage keys, never an API key', async () => {
    const reader = (await clientToken(server, 'users:read')).accessToken;
    expect((await call(server, 'POST', API_KEYS_PATH, { headers: bearer(reader), json: { name: 'x' } })).status).toBe(403);
    expect((await call(server, 'DELETE', `${API_KEYS_PATH}/00000000-0000-4000-8000-000000000000`, { headers: bearer(reader) })).status).toBe(403);
    expect((await call(server, 'POST', API_KEYS_PATH, { json: { name: 'x' } })).status).toBe(401);
    const { key } = await createKey({ name: 'All', endpoints: ['*'] });
    expect((await call(server, 'GET', API_KEYS_PATH, { headers: { 'x-api-key': key } })).status).toBe(401);
  });
});

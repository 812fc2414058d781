import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { api, apiKey, clientToken, events, expectFieldError, numericIdOf, rempLogin, sql, userToken } from './support.js';

let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  key = await apiKey(server, ['user-meta.upsert', 'user-meta.list', 'user-meta.key-users', 'user-meta.delete']);
});
afterAll(() => server?.stop());

const metaRows = async (customerId: string) => sql(server, 'select key, value, is_public from user_meta where customer_id = ? order by key', [customerId]);
const upsert = (body: Record<string, unknown>, auth = key) => api(server, 'POST', '/api/v1/user-meta/upsert', { auth, json: body });

describe('POST /api/v1/user-meta/upsert', () => {
  it('creates and updates a value, answering {key, value, is_public}, each change with an event', async () => {
    const user = await server.createUser();
    const created = await upsert({ user_id: user.id, key: 'foo', value: 'bar', is_public: false });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ key: 'foo', value: 'bar', is_public: false });
    const updated = await api(server, 'POST', '/api/v1/user-meta/upsert', { auth: key, form: { user_id: user.id, key: 'foo', value: 'baz', is_public: '1' } });
    expect(updated.body).toEqual({ key: 'foo', value: 'baz', is_public: true });
    // Without is_public the flag is kept.
    expect((await upsert({ user_id: user.id, key: 'foo', value: 'qux' })).body).toEqual({ key: 'foo', value: 'qux', is_public: true });
    expect(await metaRows(user.id)).toEqual([{ key: 'foo', value: 'qux', is_public: true }]);
    const recorded = await events(server, user.id);
    expect(recorded).toHaveLength(3);
    expect(recorded.every((event) => event.type === 'UserMetaChangedEvent' && event.payload.data.key === 'foo')).toBe(true);
  });

  it('answers 404 user_not_found for an unknown user', async () => {
    const reply = await upsert({ user_id: '00000000-0000-4000-8000-000000000000', key: 'foo', value: 'bar' });
    expect(reply.status).toBe(404);
    expect(reply.body.code).toBe('user_not_found');
  });

  it('lets a REMP user token set its own meta only', async () => {
    const [me, other] = [await server.createUser(), await server.createUser()];
    const token = await rempLogin(server, me);
    expect((await upsert({ user_id: me.id, key: 'theme', value: 'dark' }, token)).status).toBe(200);
    const foreign = await upsert({ user_id: other.id, key: 'theme', value: 'dark' }, token);
    expect(foreign.status).toBe(403);
    expect(await metaRows(other.id)).toEqual([]);
    expect(await events(server, other.id)).toEqual([]);
  });

  it('refuses callers without meta:write', async () => {
    const user = await server.createUser();
    expect((await upsert({ user_id: user.id, key: 'a', value: 'b' }, (await clientToken(server, 'meta:read')).accessToken)).status).toBe(403);
    expect((await upsert({ user_id: user.id, key: 'a', value: 'b' }, await apiKey(server, ['user-meta.list']))).status).toBe(403);
    expect((await upsert({ user_id: user.id, key: 'a', value: 'b' }, await userToken(server, user.id, 'meta:read'))).status).toBe(403);
    expect((await upsert({ user_id: user.id, key: 'a', value: 'b' }, (await clientToken(server, 'meta:write')).accessToken)).status).toBe(200);
  });

  it('refuses wrong types, over-long values and unknown fields with a 400 naming the field', async () => {
    const user = await server.createUser();
    expectFieldError(await upsert({ user_id: user.id, key: 'a', value: 1 }), 'value');
    expectFieldError(await upsert({ user_id: user.id, key: 'a', value: 'b', is_public: 'perhaps' }), 'is_public');
    expectFieldError(await upsert({ user_id: user.id, key: 'k'.repeat(256), value: 'b' }), 'key');
    expectFieldError(await upsert({ user_id: user.id, key: 'has space', value: 'b' }), 'key');
    expectFieldError(await upsert({ user_id: user.id, key: 'a', value: 'v'.repeat(10_001) }), 'value');
    expectFieldError(await upsert({ user_id: 'user-12345', key: 'a', value: 'b' }), 'user_id');
    expectFieldError(await upsert({ user_id: 1.5, key: 'a', value: 'b' }), 'user_id');
    expectFieldError(await upsert({ user_id: user.id, key: 'a', value: 'b', public: true }), 'public');
    expectFieldError(await api(server, 'POST', '/api/v1/user-meta/upsert', { auth: key, raw: { type: 'application/json', body: '[' } }), 'body');
    expect(await metaRows(user.id)).toEqual([]);
  });
});

describe('/api/v1/user-meta/list', () => {
  it('lists public meta only, for a user token its own (GET with a query string and POST)', async () => {
    const user = await server.createUser();
    await upsert({ user_id: user.id, key: 'foo', value: 'bar', is_public: true });
    await upsert({ user_id: user.id, key: 'fooz', value: '1', is_public: true });
    await upsert({ user_id: user.id, key: 'hidden', value: 'secret', is_public: false });
    const token = await rempLogin(server, user);
    const own = await api(server, 'POST', '/api/v1/user-meta/list', { auth: token });
    expect(own.status).toBe(200);
    expect(own.body).toEqual([
      { user_id: await numericIdOf(server, user.id), key: 'foo', value: 'bar' },
      { user_id: await numericIdOf(server, user.id), key: 'fooz', value: '1' },
    ]);
    const byKey = await api(server, 'GET', '/api/v1/user-meta/list', { auth: key, query: { user_id: user.id, key: 'fooz' } });
    expect(byKey.body).toEqual([{ user_id: await numericIdOf(server, user.id), key: 'fooz', value: '1' }]);
    // REMP's example names the user by its integer id (user_id=12345).
    const byNumber = await api(server, 'GET', '/api/v1/user-meta/list', {
      auth: key,
      query: { user_id: String(await numericIdOf(server, user.id)), key: 'fooz' },
    });
    expect(byNumber.body).toEqual(byKey.body);
    expect(JSON.stringify((await api(server, 'POST', '/api/v1/user-meta/list', { auth: key, form: { user_id: user.id } })).body)).not.toContain('secret');
  });

  it('needs user_id with an API token, and refuses another user’s id with a user token', async () => {
    const [me, other] = [await server.createUser(), await server.createUser()];
    await upsert({ user_id: other.id, key: 'foo', value: 'theirs', is_public: true });
    expectFieldError(await api(server, 'POST', '/api/v1/user-meta/list', { auth: key }), 'user_id');
    const foreign = await api(server, 'POST', '/api/v1/user-meta/list', { auth: await rempLogin(server, me), form: { user_id: other.id } });
    expect(foreign.status).toBe(403);
    expect(JSON.stringify(foreign.body)).not.toContain('theirs');
    expect((await api(server, 'POST', '/api/v1/user-meta/list', { auth: key, form: { user_id: '00000000-0000-4000-8000-000000000000' } })).status).toBe(404);
    expect(
      (await api(server, 'POST', '/api/v1/user-meta/list', { auth: (await clientToken(server, 'meta:write')).accessToken, form: { user_id: other.id } }))
        .status,
    ).toBe(403);
    expectFieldError(await api(server, 'GET', '/api/v1/user-meta/list', { auth: key, query: { user_id: other.id, is_public: '0' } }), 'is_public');
  });
});

describe('POST /api/v1/user-meta/key-users', () => {
  it('lists users having a key, optionally with a value', async () => {
    const [first, second] = [await server.createUser(), await server.createUser()];
    await upsert({ user_id: first.id, key: 'segment', value: 'bar' });
    await upsert({ user_id: second.id, key: 'segment', value: 'friend', is_public: true });
    const all = await api(server, 'POST', '/api/v1/user-meta/key-users', { auth: key, json: { key: 'segment' } });
    expect(all.status).toBe(200);
    expect(all.body).toEqual(
      expect.arrayContaining([
        { user_id: await numericIdOf(server, first.id), value: 'bar' },
        { user_id: await numericIdOf(server, second.id), value: 'friend' },
      ]),
    );
    expect(all.body).toHaveLength(2);
    expect((await api(server, 'POST', '/api/v1/user-meta/key-users', { auth: key, form: { key: 'segment', value: 'friend' } })).body).toEqual([
      { user_id: await numericIdOf(server, second.id), value: 'friend' },
    ]);
  });

  it('refuses user tokens without users:admin and invalid input', async () => {
    const user = await server.createUser();
    expect((await api(server, 'POST', '/api/v1/user-meta/key-users', { auth: await rempLogin(server, user), form: { key: 'segment' } })).status).toBe(403);
    expect(
      (await api(server, 'POST', '/api/v1/user-meta/key-users', { auth: await userToken(server, user.id, 'meta:read users:admin'), form: { key: 'segment' } }))
        .status,
    ).toBe(200);
    expectFieldError(await api(server, 'POST', '/api/v1/user-meta/key-users', { auth: key, form: {} }), 'key');
    expectFieldError(await api(server, 'POST', '/api/v1/user-meta/key-users', { auth: key, form: { key: 'a', user_id: user.id } }), 'user_id');
  });
});

describe('POST /api/v1/user-meta/delete', () => {
  it('deletes a key (only with the given value when one is sent) and records the change', async () => {
    const user = await server.createUser();
    await upsert({ user_id: user.id, key: 'gdpr', value: 'yes' });
    await upsert({ user_id: user.id, key: 'other', value: 'keep' });
    const before = (await events(server, user.id)).length;

    const wrongValue = await api(server, 'POST', '/api/v1/user-meta/delete', { auth: key, json: { user_id: user.id, key: 'gdpr', value: 'no' } });
    expect(wrongValue.body).toEqual({ status: 'ok' });
    expect(await events(server, user.id)).toHaveLength(before);

    const deleted = await api(server, 'POST', '/api/v1/user-meta/delete', { auth: key, json: { user_id: user.id, key: 'gdpr' } });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ status: 'ok' });
    expect(await metaRows(user.id)).toEqual([{ key: 'other', value: 'keep', is_public: false }]);
    const recorded = await events(server, user.id);
    expect(recorded).toHaveLength(before + 1);
    expect(recorded.some((event) => event.type === 'UserMetaChangedEvent' && event.payload.data.action === 'deleted')).toBe(true);
  });

  it('lets a user token delete its own meta only; unknown users are 404 for API tokens', async () => {
    const [me, other] = [await server.createUser(), await server.createUser()];
    await upsert({ user_id: other.id, key: 'gdpr', value: 'yes' });
    const token = await rempLogin(server, me);
    expect((await api(server, 'POST', '/api/v1/user-meta/delete', { auth: token, form: { user_id: other.id, key: 'gdpr' } })).status).toBe(403);
    expect(await metaRows(other.id)).toHaveLength(1);
    expect(
      (await api(server, 'POST', '/api/v1/user-meta/delete', { auth: key, form: { user_id: '00000000-0000-4000-8000-000000000000', key: 'gdpr' } })).body.code,
    ).toBe('user_not_found');
    expectFieldError(await api(server, 'POST', '/api/v1/user-meta/delete', { auth: key, form: { user_id: other.id } }), 'key');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { api, apiKey, clientToken, customerRow, events, expectFieldError, numericIdOf, rempLogin, sql } from './support.js';

let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await startTestServer();
  key = await apiKey(server, ['users.list', 'users.confirm', 'users.set-email-validated', 'users.set-email-invalidated']);
});
afterAll(() => server?.stop());

describe('POST /api/v1/users/list', () => {
  const list = (form: Record<string, string>, auth = key) => api(server, 'POST', '/api/v1/users/list', { auth, form });

  it('lists requested users keyed by id, never anonymised ones, deactivated ones only on request', async () => {
    const [active, deactivated, anonymised] = [await server.createUser(), await server.createUser(), await server.createUser()];
    await sql(server, 'update customer set deactivated_at = now() where id = ?', [deactivated.id]);
    await sql(server, 'update customer set anonymized_at = now() where id = ?', [anonymised.id]);
    const ids = JSON.stringify([active.id, deactivated.id, anonymised.id]);

    const activeId = await numericIdOf(server, active.id);
    const reply = await list({ user_ids: ids, page: '1' });
    expect(reply.status).toBe(200);
    // Keyed by REMP's integer id ("9": {"id": 9, …}); the UUID comes beside it.
    expect(reply.body).toEqual({
      status: 'ok',
      page: 1,
      totalPages: 1,
      totalCount: 1,
      users: { [String(activeId)]: { id: activeId, uuid: active.id, email: active.email } },
    });

    const withDeactivated = await api(server, 'POST', '/api/v1/users/list', { auth: key, json: { user_ids: ids, page: 1, include_deactivated: true } });
    expect(withDeactivated.body.totalCount).toBe(2);
    expect(Object.keys(withDeactivated.body.users).sort()).toEqual([String(activeId), String(await numericIdOf(server, deactivated.id))].sort());

    // REMP's own form: integer ids, as its example sends them (user_ids=[9,10]); UUIDs may be mixed in.
    const byNumber = await list({ user_ids: JSON.stringify([activeId, await numericIdOf(server, anonymised.id)]), page: '1' });
    expect(Object.keys(byNumber.body.users)).toEqual([String(activeId)]);
    const mixed = await list({ user_ids: JSON.stringify([activeId, active.id]), page: '1' });
    expect(mixed.body.totalCount).toBe(1);

    // A JSON body may carry the array itself; no ids is an empty page.
    expect((await api(server, 'POST', '/api/v1/users/list', { auth: key, json: { user_ids: [active.id], page: 1 } })).body.totalCount).toBe(1);
    expect((await list({ user_ids: '[]', page: '1' })).body).toEqual({ status: 'ok', page: 1, totalPages: 0, totalCount: 0, users: {} });
  });

  it('pages by 1,000 users', async () => {
    const rows = await sql<{ id: string }>(
      server,
      `insert into customer (id, email, email_normalized, created_at, updated_at)
       select gen_random_uuid(), 'bulk' || n || '@example.com', 'bulk' || n || '@example.com', now(), now() from generate_series(1, 1001) n returning id`,
    );
    const ids = JSON.stringify(rows.map((row) => row.id));
    const first = await list({ user_ids: ids, page: '1' });
    expect(first.body).toMatchObject({ page: 1, totalPages: 2, totalCount: 1001 });
    expect(Object.keys(first.body.users)).toHaveLength(1000);
    const second = await list({ user_ids: ids, page: '2' });
    expect(Object.keys(second.body.users)).toHaveLength(1);
    expect((await list({ user_ids: ids, page: '3' })).body).toMatchObject({ page: 3, totalPages: 2, users: {} });
  });

  it('lets a user token list itself only', async () => {
    const [me, other] = [await server.createUser(), await server.createUser()];
    const token = await rempLogin(server, me);
    const myId = await numericIdOf(server, me.id);
    expect(Object.keys((await list({ user_ids: JSON.stringify([me.id]), page: '1' }, token)).body.users)).toEqual([String(myId)]);
    expect(Object.keys((await list({ user_ids: JSON.stringify([myId]), page: '1' }, token)).body.users)).toEqual([String(myId)]);
    const foreign = await list({ user_ids: JSON.stringify([me.id, other.id]), page: '1' }, token);
    expect(foreign.status).toBe(403);
    expect(JSON.stringify(foreign.body)).not.toContain(other.email);
    const foreignNumber = await list({ user_ids: JSON.stringify([myId, await numericIdOf(server, other.id)]), page: '1' }, token);
    expect(foreignNumber.status).toBe(403);
  });

  it('accepts a client token with users:read and refuses keys whitelisted elsewhere', async () => {
    const user = await server.createUser();
    const reader = await clientToken(server, 'users:read');
    expect((await list({ user_ids: JSON.stringify([user.id]), page: '1' }, reader.accessToken)).status).toBe(200);
    expect((await list({ user_ids: JSON.stringify([user.id]), page: '1' }, await apiKey(server, ['users.confirm']))).status).toBe(403);
    expect((await list({ user_ids: JSON.stringify([user.id]), page: '1' }, (await clientToken(server, 'meta:read')).accessToken)).status).toBe(403);
  });

  it('refuses malformed user_ids and pages with a 400 naming the field', async () => {
    expectFieldError(await list({ user_ids: '[1,2', page: '1' }), 'user_ids');
    expectFieldError(await list({ user_ids: '["not-a-uuid"]', page: '1' }), 'user_ids');
    expectFieldError(await list({ user_ids: '[]' }), 'page');
    expectFieldError(await list({ user_ids: '[]', page: '0' }), 'page');
    expectFieldError(await list({ user_ids: '[]', page: 'first' }), 'page');
    expectFieldError(await list({ user_ids: '[]', page: '1', limit: '5' }), 'limit');
  });
});

describe('POST /api/v1/users/confirm', () => {
  it('confirms the user, records UserConfirmedEvent and shows confirmed_at in user info', async () => {
    const user = await server.createUser();
    const reply = await api(server, 'POST', '/api/v1/users/confirm', { auth: key, form: { email: user.email } });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok' });
    expect((await customerRow(server, user.id)).confirmed_at).not.toBeNull();
    expect((await events(server, user.id)).map((event) => event.type)).toEqual(['UserConfirmedEvent']);
    const info = await api(server, 'GET', '/api/v1/user/info', { auth: await rempLogin(server, user) });
    expect(info.body.user.confirmed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    // Confirming again changes nothing.
    expect((await api(server, 'POST', '/api/v1/users/confirm', { auth: key, form: { email: user.email } })).status).toBe(200);
    expect(await events(server, user.id)).toHaveLength(1);
  });

  it('answers 404 user_not_found for an unknown e-mail', async () => {
    const reply = await api(server, 'POST', '/api/v1/users/confirm', { auth: key, form: { email: 'ghost@example.com' } });
    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ status: 'error', code: 'user_not_found' });
  });

  it('refuses a user token without users:admin and a client without users:write, changing nothing', async () => {
    const user = await server.createUser();
    const token = await rempLogin(server, user);
    expect((await api(server, 'POST', '/api/v1/users/confirm', { auth: token, form: { email: user.email } })).status).toBe(403);
    const reader = await clientToken(server, 'users:read');
    expect((await api(server, 'POST', '/api/v1/users/confirm', { auth: reader.accessToken, form: { email: user.email } })).status).toBe(403);
    expect((await customerRow(server, user.id)).confirmed_at).toBeNull();
    expect(await events(server, user.id)).toEqual([]);
  });

  it('refuses invalid input with a 400 naming the field', async () => {
    expectFieldError(await api(server, 'POST', '/api/v1/users/confirm', { auth: key, form: { email: 'nope' } }), 'email');
    expectFieldError(await api(server, 'POST', '/api/v1/users/confirm', { auth: key, json: { email: ['a@example.com'] } }), 'email');
  });
});

describe.each([
  ['set-email-validated', 'Email has been validated'],
  ['set-email-invalidated', 'Email has been invalidated'],
] as const)('POST /api/v1/users/%s', (action, message) => {
  const call = (form: Record<string, string>, auth = key) => api(server, 'POST', `/api/v1/users/${action}`, { auth, form });

  it('answers the documented success body and updates the e-mail state', async () => {
    const user = await server.createUser();
    const reply = await call({ email: user.email });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ status: 'ok', message, code: 'success' });
    const row = await customerRow(server, user.id);
    if (action === 'set-email-validated') {
      expect(row.email_verified_at).not.toBeNull();
      expect(row.email_invalidated_at).toBeNull();
    } else {
      expect(row.email_verified_at).toBeNull();
      expect(row.email_invalidated_at).not.toBeNull();
    }
    expect((await events(server, user.id)).map((event) => event.type)).toEqual(['UserUpdatedEvent']);
  });

  it('answers invalid_request, invalid_param and email_not_found as documented', async () => {
    const missing = await call({});
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ status: 'error', code: 'invalid_request' });
    expect(missing.body.message).toContain('email');
    const unknownField = await call({ email: 'a@example.com', force: '1' });
    expect(unknownField.body).toMatchObject({ status: 'error', code: 'invalid_request' });
    expect(unknownField.body.message).toContain('force');

    const invalid = await call({ email: 'not an e-mail' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({ status: 'error', code: 'invalid_param', message: 'Email not valid' });

    const notFound = await call({ email: 'nobody@example.com' });
    expect(notFound.status).toBe(404);
    expect(notFound.body).toEqual({ status: 'error', code: 'email_not_found', message: "Email isn't assigned to any user" });
  });

  it('needs an API key, a client token with users:write or an administrator', async () => {
    const user = await server.createUser();
    expect((await api(server, 'POST', `/api/v1/users/${action}`, { form: { email: user.email } })).status).toBe(403);
    expect((await call({ email: user.email }, await rempLogin(server, user))).status).toBe(403);
    expect(await events(server, user.id)).toEqual([]);
    const writer = await clientToken(server, 'users:write');
    expect((await call({ email: user.email }, writer.accessToken)).status).toBe(200);
  });
});

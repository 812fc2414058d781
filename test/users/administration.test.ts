import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startTestServer, type TestServer } from '../support/server.js';
import { api, apiKey, clientToken, customerRow, events, expectFieldError, numericIdOf, rempLogin } from './support.js';

/**
 * Issue #13 §6: deactivating, reactivating, assigning roles and protecting from deletion, which
 * REMP does in its admin console, through Gatehouse's admin API.
 */

let server: TestServer;
let adminToken: string;

beforeAll(async () => {
  server = await startTestServer({ REVOCATION_CACHE_SECONDS: '1' });
  adminToken = (await clientToken(server, 'users:admin')).accessToken;
});
afterAll(() => server?.stop());

const manage = (method: string, path: string, json?: unknown, auth = adminToken) => api(server, method, `/api/v1/admin/users/${path}`, { auth, json });
const login = (user: { email: string; password: string }) => postForm(`${server.url}/api/v1/users/login`, { email: user.email, password: user.password });

describe('deactivate and reactivate', () => {
  it('deactivates a user by its integer id: sign-in is refused, its tokens stop working, the e-mail stays taken', async () => {
    const user = await server.createUser();
    const token = await rempLogin(server, user);
    const id = await numericIdOf(server, user.id);

    const deactivated = await manage('POST', `${id}/deactivate`);
    expect(deactivated.status).toBe(200);
    expect(deactivated.body).toEqual({
      status: 'ok',
      user: {
        id: user.id,
        numeric_id: id,
        email: user.email,
        first_name: 'Test',
        last_name: 'User',
        roles: [],
        delete_protected: false,
        deactivated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        confirmed_at: null,
        created_at: expect.any(String),
      },
    });
    expect((await customerRow(server, user.id)).deactivated_at).not.toBeNull();
    expect((await events(server, user.id)).map((event) => [event.type, event.payload.data.changed])).toEqual([['UserUpdatedEvent', ['deactivated']]]);

    expect((await login(user)).status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await api(server, 'GET', '/api/v1/user/info', { auth: token })).status).toBe(403);
    const email = await api(server, 'POST', '/api/v2/users/email', { form: { email: user.email } });
    expect(email.body.status).toBe('taken');

    // Repeating it changes nothing.
    expect((await manage('POST', `${user.id}/deactivate`)).body.user.deactivated_at).toBe(deactivated.body.user.deactivated_at);
    expect(await events(server, user.id)).toHaveLength(1);

    const reactivated = await manage('POST', `${user.id}/reactivate`);
    expect(reactivated.status).toBe(200);
    expect(reactivated.body.user.deactivated_at).toBeNull();
    expect((await login(user)).status).toBe(200);
  });

  it('gives users/list’s include_deactivated its meaning', async () => {
    const [kept, paused] = [await server.createUser(), await server.createUser()];
    await manage('POST', `${paused.id}/deactivate`);
    const key = await apiKey(server, ['users.list']);
    const ids = JSON.stringify([kept.id, paused.id]);
    const without = await api(server, 'POST', '/api/v1/users/list', { auth: key, form: { user_ids: ids, page: '1' } });
    expect(Object.keys(without.body.users)).toEqual([String(await numericIdOf(server, kept.id))]);
    const withFlag = await api(server, 'POST', '/api/v1/users/list', { auth: key, form: { user_ids: ids, page: '1', include_deactivated: '1' } });
    expect(withFlag.body.totalCount).toBe(2);
  });
});

describe('roles and delete protection', () => {
  it('sets the admin roles REMP’s login answers, and replaces them', async () => {
    const user = await server.createUser();
    const set = await manage('PUT', `${user.id}/roles`, { roles: ['redaktor', 'superadmin', 'redaktor'] });
    expect(set.status).toBe(200);
    expect(set.body.user.roles).toEqual(['redaktor', 'superadmin']);
    expect((await login(user)).body.user.roles).toEqual(['redaktor', 'superadmin']);
    expect((await manage('PUT', `${user.id}/roles`, { roles: [] })).body.user.roles).toEqual([]);
    expect((await events(server, user.id)).map((event) => event.payload.data.changed)).toEqual([['roles'], ['roles']]);
    expectFieldError(await manage('PUT', `${user.id}/roles`, { roles: ['has space'] }), 'roles');
    expectFieldError(await manage('PUT', `${user.id}/roles`, { role: 'x' }), 'role');
  });

  it('protects a user from user/delete and lifts the protection', async () => {
    const user = await server.createUser();
    const token = await rempLogin(server, user);
    expect((await manage('PUT', `${user.id}/delete-protection`, { delete_protected: true })).body.user.delete_protected).toBe(true);
    const refused = await api(server, 'POST', '/api/v1/user/delete', { auth: token });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('user_delete_protected');
    expect((await customerRow(server, user.id)).anonymized_at).toBeNull();
    expect((await manage('PUT', `${user.id}/delete-protection`, { delete_protected: false })).body.user.delete_protected).toBe(false);
    expect((await api(server, 'POST', '/api/v1/user/delete', { auth: token })).status).toBe(204);
    // An anonymised user is gone for the admin API too.
    expect((await manage('GET', user.id)).status).toBe(404);
  });
});

describe('who may administer users', () => {
  it('needs users:admin (or an API key whitelisted for admin.users), and answers as Gatehouse’s own paths do', async () => {
    const user = await server.createUser();
    const path = `${user.id}/deactivate`;
    const missing = await api(server, 'POST', `/api/v1/admin/users/${path}`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect((await manage('POST', path, undefined, (await clientToken(server, 'users:write')).accessToken)).status).toBe(403);
    expect((await manage('POST', path, undefined, await rempLogin(server, user))).status).toBe(403);
    expect((await manage('POST', path, undefined, await apiKey(server, ['users.update']))).status).toBe(403);
    expect((await customerRow(server, user.id)).deactivated_at).toBeNull();
    const key = await apiKey(server, ['admin.users']);
    expect((await manage('GET', user.id, undefined, key)).body.user).toMatchObject({ id: user.id, deactivated_at: null });
  });

  it('answers 404 for an unknown user and 400 for what is no user id', async () => {
    expect((await manage('GET', '2147483647')).status).toBe(404);
    expect((await manage('GET', '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expectFieldError(await manage('GET', 'someone'), 'id');
  });
});

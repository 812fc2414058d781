import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { api, apiKey, clientToken, events, expectFieldError, rempLogin, sql, userToken } from './support.js';

let server: TestServer;
let key: string;
let adminToken: string;
let groupId: number;

beforeAll(async () => {
  server = await startTestServer();
  key = await apiKey(server, ['users.add-to-group', 'users.remove-from-group']);
  adminToken = (await clientToken(server, 'users:admin')).accessToken;
  const created = await runCli(['groups:create', 'Premium', 'readers'], server.env);
  expect(created.code, created.stderr).toBe(0);
  groupId = JSON.parse(created.stdout).id;
});
afterAll(() => server?.stop());

const members = async (customerId: string) =>
  (await sql(server, 'select group_id from user_group_member where customer_id = ?', [customerId])).map((row) => row.group_id);

describe('user groups', () => {
  it('are created with the CLI and POST /api/v1/groups (users:admin), names unique regardless of case', async () => {
    expect((await sql(server, 'select name from user_group where id = ?', [groupId]))[0].name).toBe('Premium readers');
    const created = await api(server, 'POST', '/api/v1/groups', { auth: adminToken, json: { name: 'Students' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ status: 'ok', group: { id: expect.any(Number), name: 'Students', created_at: expect.any(String) } });
    const listed = await api(server, 'GET', '/api/v1/groups', { auth: adminToken });
    expect(listed.body.groups.map((group: { name: string }) => group.name)).toEqual(['Premium readers', 'Students']);

    const duplicate = await api(server, 'POST', '/api/v1/groups', { auth: adminToken, form: { name: 'students' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('group_exists');
    expectFieldError(await api(server, 'POST', '/api/v1/groups', { auth: adminToken, form: { name: 'x'.repeat(101) } }), 'name');
    expect((await api(server, 'POST', '/api/v1/groups', { auth: key, form: { name: 'By key' } })).status).toBe(401);
    expect(
      (await api(server, 'POST', '/api/v1/groups', { auth: (await clientToken(server, 'groups:write')).accessToken, form: { name: 'By writer' } })).status,
    ).toBe(403);
    expect((await api(server, 'GET', '/api/v1/groups', { auth: (await clientToken(server, 'groups:write')).accessToken })).status).toBe(403);
  });
});

describe.each(['POST', 'GET'])('%s /api/v1/users/add-to-group and /remove-from-group', (method) => {
  const call = (action: string, params: Record<string, string>, auth = key) =>
    api(server, method, `/api/v1/users/${action}`, method === 'GET' ? { auth, query: params } : { auth, form: params });

  it('adds and removes a member, each change with a UserGroupChangedEvent; repeating changes nothing', async () => {
    const user = await server.createUser();
    const added = await call('add-to-group', { email: user.email, group_id: String(groupId) });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({ status: 'ok' });
    expect(await members(user.id)).toEqual([groupId]);
    expect((await call('add-to-group', { email: user.email, group_id: String(groupId) })).status).toBe(200);

    const removed = await call('remove-from-group', { email: user.email, group_id: String(groupId) });
    expect(removed.body).toEqual({ status: 'ok' });
    expect(await members(user.id)).toEqual([]);
    expect((await call('remove-from-group', { email: user.email, group_id: String(groupId) })).status).toBe(200);

    const recorded = await events(server, user.id);
    expect(recorded.map((event) => [event.type, event.payload.data.action])).toEqual([
      ['UserGroupChangedEvent', 'added'],
      ['UserGroupChangedEvent', 'removed'],
    ]);
  });

  it('answers 404 user_not_found and group_not_found', async () => {
    const user = await server.createUser();
    const noUser = await call('add-to-group', { email: 'ghost@example.com', group_id: String(groupId) });
    expect(noUser.status).toBe(404);
    expect(noUser.body.code).toBe('user_not_found');
    const noGroup = await call('add-to-group', { email: user.email, group_id: '999999' });
    expect(noGroup.status).toBe(404);
    expect(noGroup.body.code).toBe('group_not_found');
    expect(await events(server, user.id)).toEqual([]);
  });

  it('accepts groups:write clients and administrators, refuses plain user tokens and other keys', async () => {
    const user = await server.createUser();
    expect((await call('add-to-group', { email: user.email, group_id: String(groupId) }, (await clientToken(server, 'groups:write')).accessToken)).status).toBe(
      200,
    );
    expect(
      (await call('remove-from-group', { email: user.email, group_id: String(groupId) }, await userToken(server, user.id, 'groups:write users:admin'))).status,
    ).toBe(200);

    const self = await call('add-to-group', { email: user.email, group_id: String(groupId) }, await userToken(server, user.id, 'groups:write'));
    expect(self.status).toBe(403);
    expect((await call('add-to-group', { email: user.email, group_id: String(groupId) }, await rempLogin(server, user))).status).toBe(403);
    expect((await call('add-to-group', { email: user.email, group_id: String(groupId) }, await apiKey(server, ['users.remove-from-group']))).status).toBe(403);
    expect((await call('add-to-group', { email: user.email, group_id: String(groupId) }, (await clientToken(server, 'users:write')).accessToken)).status).toBe(
      403,
    );
    expect(await members(user.id)).toEqual([]);
  });

  it('refuses invalid input with a 400 naming the field', async () => {
    expectFieldError(await call('add-to-group', { email: 'nope', group_id: '1' }), 'email');
    expectFieldError(await call('add-to-group', { email: 'a@example.com', group_id: 'one' }), 'group_id');
    expectFieldError(await call('add-to-group', { email: 'a@example.com' }), 'group_id');
    expectFieldError(await call('remove-from-group', { email: 'a@example.com', group_id: '1', group: 'x' }), 'group');
  });
});

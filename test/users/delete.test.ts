import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { api, apiKey, clientToken, customerRow, events, expectFieldError, rempLogin, sql, userToken } from './support.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ REVOCATION_CACHE_SECONDS: '1' });
});
afterAll(() => server?.stop());

/** A user with something in every table that holds personal data. */
async function userWithPersonalData() {
  const user = await server.createUser({ firstName: 'Erika', lastName: 'Musterfrau' });
  await sql(server, `update customer set phone_number = '+421900000001', external_id = ?, note = 'vip', address_city = 'Bratislava' where id = ?`, [
    `ext-${user.id.slice(0, 8)}`,
    user.id,
  ]);
  await sql(
    server,
    `insert into customer_phone (id, customer_id, phone_number, phone_type, created_at) values (gen_random_uuid(), ?, '+421900000001', 'mobile', now())`,
    [user.id],
  );
  await sql(server, `insert into customer_identity (provider, subject, customer_id, email, created_at) values ('google', ?, ?, ?, now())`, [
    `g-${user.id}`,
    user.id,
    user.email,
  ]);
  await sql(server, `insert into user_meta (customer_id, key, value, is_public, created_at, updated_at) values (?, 'gdpr', '1', true, now(), now())`, [
    user.id,
  ]);
  const [address] = await sql(
    server,
    `insert into address (customer_id, type, first_name, city, created_at, updated_at) values (?, 'print', 'Erika', 'Bratislava', now(), now()) returning id`,
    [user.id],
  );
  await sql(
    server,
    `insert into address_change_request (address_id, customer_id, type, status, city, created_at) values (?, ?, 'print', 'new', 'Praha', now())`,
    [address.id, user.id],
  );
  const [group] = await sql(server, `insert into user_group (name, created_at) values (?, now()) returning id`, [`group-${user.id}`]);
  await sql(server, `insert into user_group_member (group_id, customer_id, created_at) values (?, ?, now())`, [group.id, user.id]);
  const device = await api(server, 'POST', '/api/v1/users/get-device-token', { form: { device_id: `phone-${user.id}` } });
  const login = await api(server, 'POST', '/api/v1/users/login', {
    form: { email: user.email, password: user.password, device_token: device.body.device_token },
  });
  expect(login.status).toBe(200);
  return { ...user, deviceToken: device.body.device_token as string, deviceLoginToken: login.body.access.token as string };
}

const personalRows = async (customerId: string) => {
  const counts: Record<string, number> = {};
  for (const table of ['customer_phone', 'customer_identity', 'user_meta', 'address', 'address_change_request', 'user_group_member']) {
    counts[table] = Number((await sql(server, `select count(*) as n from ${table} where customer_id = ?`, [customerId]))[0].n);
  }
  return counts;
};

describe('POST /api/v1/user/delete', () => {
  it('anonymises the user, deletes its personal data, revokes its tokens and answers 204', async () => {
    const user = await userWithPersonalData();
    const token = await rempLogin(server, user);
    expect(Object.values(await personalRows(user.id)).every((count) => count === 1)).toBe(true);

    const reply = await api(server, 'POST', '/api/v1/user/delete', { auth: token });
    expect(reply.status).toBe(204);
    expect(reply.body).toBe('');

    const row = await customerRow(server, user.id);
    expect(row.email).toMatch(/^deleted-[0-9a-f-]{36}@anonymized\.invalid$/);
    expect(row).toMatchObject({
      first_name: null,
      last_name: null,
      password_hash: null,
      phone_number: null,
      external_id: null,
      note: null,
      address_city: null,
    });
    expect(row.anonymized_at).not.toBeNull();
    expect(Object.values(await personalRows(user.id)).every((count) => count === 0)).toBe(true);
    expect((await sql(server, `select revoked_at from device_token where device_id = ?`, [`phone-${user.id}`]))[0].revoked_at).not.toBeNull();
    expect(await sql(server, `select id from oidc_model where model = 'Grant' and payload->>'accountId' = ?`, [user.id])).toEqual([]);
    expect((await events(server, user.id)).map((event) => event.type)).toEqual(['UserDeletedEvent']);

    // Every token of the user stops working (within the revocation cache interval).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await api(server, 'GET', '/api/v1/user/info', { auth: token })).status).toBe(403);
    expect((await api(server, 'GET', '/api/v1/user/info', { auth: user.deviceLoginToken })).status).toBe(403);
    expect((await api(server, 'POST', '/api/v1/users/login', { form: { email: user.email, password: user.password } })).status).toBe(401);
    // The e-mail is free again; the anonymised account is never listed.
    expect((await api(server, 'POST', '/api/v2/users/email', { form: { email: user.email } })).body.status).toBe('available');
    const list = await api(server, 'POST', '/api/v1/users/list', {
      auth: await apiKey(server, ['users.list']),
      form: { user_ids: JSON.stringify([user.id]), page: '1' },
    });
    expect(list.body.totalCount).toBe(0);
  });

  it('answers 403 user_delete_protected with a reason, and changes nothing', async () => {
    const user = await server.createUser();
    await sql(server, 'update customer set delete_protected = true where id = ?', [user.id]);
    const token = await rempLogin(server, user);
    const reply = await api(server, 'POST', '/api/v1/user/delete', { auth: token });
    expect(reply.status).toBe(403);
    expect(reply.body).toEqual({
      status: 'error',
      code: 'user_delete_protected',
      message: 'Unable to delete user due to system protection configuration',
      reason: 'Account cannot be deleted automatically. Please contact customer support.',
    });
    const row = await customerRow(server, user.id);
    expect(row).toMatchObject({ email: user.email, anonymized_at: null });
    expect(await events(server, user.id)).toEqual([]);
    expect((await api(server, 'GET', '/api/v1/user/info', { auth: token })).status).toBe(200);
  });

  it('accepts only the user’s own token with users:write', async () => {
    const user = await server.createUser();
    expect((await api(server, 'POST', '/api/v1/user/delete')).status).toBe(403);
    expect((await api(server, 'POST', '/api/v1/user/delete', { auth: await apiKey(server, ['*']) })).status).toBe(403);
    expect((await api(server, 'POST', '/api/v1/user/delete', { auth: (await clientToken(server, 'users:write users:admin')).accessToken })).status).toBe(403);
    const readOnly = await api(server, 'POST', '/api/v1/user/delete', { auth: await userToken(server, user.id, 'users:read') });
    expect(readOnly.status).toBe(403);
    expect(readOnly.body.code).toBe('insufficient_scope');
    expect((await customerRow(server, user.id)).anonymized_at).toBeNull();
  });

  it('takes no parameters: a user_id cannot point it at someone else', async () => {
    const [me, other] = [await server.createUser(), await server.createUser()];
    const reply = await api(server, 'POST', '/api/v1/user/delete', { auth: await rempLogin(server, me), form: { user_id: other.id } });
    expectFieldError(reply, 'user_id');
    expect((await customerRow(server, other.id)).anonymized_at).toBeNull();
    expect((await customerRow(server, me.id)).anonymized_at).toBeNull();
  });
});

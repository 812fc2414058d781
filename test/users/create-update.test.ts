import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { api, apiKey, clientToken, customerRow, events, expectFieldError, numericIdOf, rempLogin, sql, userToken } from './support.js';

let server: TestServer;
let createKey: string;
let updateKey: string;

beforeAll(async () => {
  server = await startTestServer();
  createKey = await apiKey(server, ['users.create']);
  updateKey = await apiKey(server, ['users.update']);
});
afterAll(() => server?.stop());

const outboxCount = async () => Number((await sql(server, 'select count(*) as n from outbox_event'))[0].n);
const customerCount = async () => Number((await sql(server, 'select count(*) as n from customer'))[0].n);
const create = (form: Record<string, string>, auth = createKey) => api(server, 'POST', '/api/v1/users/create', { auth, form });

describe('POST /api/v1/users/create', () => {
  it('registers a user with every documented field and returns a working user token', async () => {
    const reply = await create({
      email: 'new.reader@example.com',
      first_name: 'New',
      last_name: 'Reader',
      ext_id: '4711',
      source: 'ios_app',
      referer: 'https://news.example.com/article/1',
      note: 'met at the fair',
      send_email: 'false',
      locale: 'sk_SK',
      newsletters_subscribe: '1',
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toEqual({
      status: 'ok',
      user: {
        id: expect.any(Number),
        uuid: expect.any(String),
        email: 'new.reader@example.com',
        confirmed_at: null,
        first_name: 'New',
        last_name: 'Reader',
        roles: [],
      },
      access: { token: expect.any(String) },
    });
    const row = await customerRow(server, reply.body.user.uuid);
    expect(row).toMatchObject({
      external_id: '4711',
      source: 'ios_app',
      referer: 'https://news.example.com/article/1',
      note: 'met at the fair',
      locale: 'sk_SK',
      newsletters_subscribed: true,
      unclaimed: false,
    });
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(row.registered_at).not.toBeNull();

    const info = await api(server, 'GET', '/api/v1/user/info', { auth: reply.body.access.token });
    expect(info.body.user).toMatchObject({ id: reply.body.user.id, uuid: reply.body.user.uuid });
    expect((await events(server, reply.body.user.uuid)).map((event) => event.type).sort()).toEqual(['NewUserEvent', 'UserRegisteredEvent']);
  });

  it('sets the given password (JSON and multipart bodies are accepted too)', async () => {
    const json = await api(server, 'POST', '/api/v1/users/create', {
      auth: createKey,
      json: { email: 'json.user@example.com', password: 'a long enough password' },
    });
    expect(json.status).toBe(200);
    await rempLogin(server, { email: 'json.user@example.com', password: 'a long enough password' });

    const form = new FormData();
    form.set('email', 'multipart.user@example.com');
    const multipart = await fetch(`${server.url}/api/v1/users/create`, { method: 'POST', headers: { authorization: `Bearer ${createKey}` }, body: form });
    expect(multipart.status).toBe(200);

    // An empty password field means "generate one".
    const generated = await create({ email: 'generated@example.com', password: '' });
    expect(generated.status).toBe(200);
    expect((await customerRow(server, generated.body.user.uuid)).password_hash).toMatch(/^\$argon2id\$/);
  });

  it('creates an unclaimed user with NewUserEvent but no UserRegisteredEvent', async () => {
    const reply = await create({ email: 'unclaimed@example.com', unclaimed: 'true' });
    expect(reply.status).toBe(200);
    expect(await customerRow(server, reply.body.user.uuid)).toMatchObject({ unclaimed: true, registered_at: null });
    expect((await events(server, reply.body.user.uuid)).map((event) => event.type)).toEqual(['NewUserEvent']);
  });

  it('answers 409 email_taken (any case) and writes neither a user nor an event', async () => {
    await create({ email: 'taken@example.com' });
    const [users, outbox] = [await customerCount(), await outboxCount()];
    const reply = await create({ email: 'TAKEN@example.com' });
    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ status: 'error', code: 'email_taken' });
    expect(await customerCount()).toBe(users);
    expect(await outboxCount()).toBe(outbox);
  });

  it('answers 409 external_id_taken for an ext_id already in use', async () => {
    await create({ email: 'ext1@example.com', ext_id: '99' });
    const outbox = await outboxCount();
    const reply = await create({ email: 'ext2@example.com', ext_id: '99' });
    expect(reply.status).toBe(409);
    expect(reply.body.code).toBe('external_id_taken');
    expect(await outboxCount()).toBe(outbox);
  });

  it('pairs the token with an unpaired device token, and refuses an unknown one before creating anyone', async () => {
    const device = await api(server, 'POST', '/api/v1/users/get-device-token', { form: { device_id: 'pixel' } });
    const paired = await create({ email: 'device@example.com', device_token: device.body.device_token });
    expect(paired.status).toBe(200);
    const rows = await sql(server, 'select customer_id from device_token where device_id = ?', ['pixel']);
    expect(rows[0].customer_id).toBe(paired.body.user.uuid);

    const users = await customerCount();
    const refused = await create({ email: 'device2@example.com', device_token: 'no-such-device-token' });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('invalid_device_token');
    // A device already paired with someone cannot be paired with a new user either.
    expect((await create({ email: 'device3@example.com', device_token: device.body.device_token })).body.code).toBe('invalid_device_token');
    expect(await customerCount()).toBe(users);
  });

  it('refuses an address that cannot receive mail unless disable_email_validation is set', async () => {
    expectFieldError(await create({ email: 'someone@mail.test' }), 'email');
    expect((await create({ email: 'someone@mail.test', disable_email_validation: '1' })).status).toBe(200);
  });

  it('accepts a client token with users:write and an administrator user token; refuses other callers with 403', async () => {
    const writer = await clientToken(server, 'users:write');
    expect((await create({ email: 'by-client@example.com' }, writer.accessToken)).status).toBe(200);
    const admin = await server.createUser();
    expect((await create({ email: 'by-admin@example.com' }, await userToken(server, admin.id, 'users:write users:admin'))).status).toBe(200);

    const users = await customerCount();
    const reader = await clientToken(server, 'users:read');
    expect((await create({ email: 'x1@example.com' }, reader.accessToken)).body.code).toBe('insufficient_scope');
    const otherKey = await apiKey(server, ['users.update']);
    const wrongKey = await create({ email: 'x2@example.com' }, otherKey);
    expect(wrongKey.status).toBe(403);
    const plainUser = await rempLogin(server, admin);
    const byUser = await create({ email: 'x3@example.com' }, plainUser);
    expect(byUser.status).toBe(403);
    expect(byUser.body.code).toBe('insufficient_scope');
    expect((await api(server, 'POST', '/api/v1/users/create', { form: { email: 'x4@example.com' } })).status).toBe(403);
    expect(await customerCount()).toBe(users);
  });

  it('refuses wrong types, over-long values, unknown fields and malformed bodies with a 400 naming the field', async () => {
    expectFieldError(await create({ email: 'v@example.com', first_name: 'x'.repeat(101) }), 'first_name');
    expectFieldError(await create({ email: 'v@example.com', unclaimed: 'maybe' }), 'unclaimed');
    expectFieldError(await create({ email: 'v@example.com', ext_id: 'abc' }), 'ext_id');
    expectFieldError(await create({ email: 'v@example.com', password: 'short' }), 'password');
    expectFieldError(await create({ email: 'v@example.com', locale: 'not a locale' }), 'locale');
    expectFieldError(await create({ email: 'v@example.com', is_admin: '1' }), 'is_admin');
    expectFieldError(await create({}), 'email');
    expectFieldError(
      await api(server, 'POST', '/api/v1/users/create', { auth: createKey, json: { email: 'v@example.com', newsletters_subscribe: { yes: true } } }),
      'newsletters_subscribe',
    );
    expectFieldError(
      await api(server, 'POST', '/api/v1/users/create', { auth: createKey, raw: { type: 'application/json', body: '{"email": "v@example.com"' } }),
      'body',
    );
    expect((await sql(server, `select 1 from customer where email = 'v@example.com'`)).length).toBe(0);
  });
});

describe('POST /api/v1/users/update', () => {
  const update = (form: Record<string, string>, auth = updateKey) => api(server, 'POST', '/api/v1/users/update', { auth, form });

  it('changes e-mail and locale, answers the documented shape and records one UserUpdatedEvent', async () => {
    const user = await server.createUser();
    const reply = await update({ user_id: user.id, email: 'renamed@example.com', locale: 'cs_CZ' });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      status: 'ok',
      user: { id: await numericIdOf(server, user.id), uuid: user.id, email: 'renamed@example.com', confirmed_at: null },
    });
    const row = await customerRow(server, user.id);
    expect(row).toMatchObject({ email: 'renamed@example.com', email_normalized: 'renamed@example.com', locale: 'cs_CZ', email_verified_at: null });
    const recorded = await events(server, user.id);
    expect(recorded.map((event) => event.type)).toEqual(['UserUpdatedEvent']);
    expect(recorded[0]!.payload.data.changed).toEqual(['email', 'locale']);
  });

  it('takes the integer id REMP integrators store (user_id=42), as a form digit string or a JSON number', async () => {
    const user = await server.createUser();
    const id = await numericIdOf(server, user.id);
    const byForm = await update({ user_id: String(id), locale: 'sk_SK' });
    expect(byForm.status).toBe(200);
    expect(byForm.body.user).toMatchObject({ id, uuid: user.id });
    const byJson = await api(server, 'POST', '/api/v1/users/update', { auth: updateKey, json: { user_id: id, locale: 'cs_CZ' } });
    expect(byJson.body.user).toMatchObject({ id, uuid: user.id });
    expect((await customerRow(server, user.id)).locale).toBe('cs_CZ');
    expect((await update({ user_id: '2147483647', locale: 'en' })).status).toBe(404);
    expectFieldError(await update({ user_id: '0', locale: 'en' }), 'user_id');
  });

  it('changes the password and ext_id', async () => {
    const user = await server.createUser();
    expect((await update({ user_id: user.id, password: 'a brand new password', ext_id: '12345' })).status).toBe(200);
    await rempLogin(server, { email: user.email, password: 'a brand new password' });
    expect((await customerRow(server, user.id)).external_id).toBe('12345');
  });

  it('answers 404 user_not_found for an unknown user and 409 email_taken without an event', async () => {
    const missing = await update({ user_id: '00000000-0000-4000-8000-000000000000', locale: 'en' });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 'error', code: 'user_not_found' });

    const [first, second] = [await server.createUser(), await server.createUser()];
    const taken = await update({ user_id: second.id, email: first.email.toUpperCase() });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('email_taken');
    expect((await customerRow(server, second.id)).email).toBe(second.email);
    expect(await events(server, second.id)).toEqual([]);
  });

  it('lets a user token change its own user only, and not its ext_id', async () => {
    const [me, other] = [await server.createUser(), await server.createUser()];
    const token = await rempLogin(server, me);
    expect((await update({ user_id: me.id, locale: 'de_DE' }, token)).status).toBe(200);

    const foreign = await update({ user_id: other.id, email: 'stolen@example.com', password: 'taken over password' }, token);
    expect(foreign.status).toBe(403);
    expect(foreign.body.code).toBe('insufficient_scope');
    const otherRow = await customerRow(server, other.id);
    expect(otherRow.email).toBe(other.email);
    await rempLogin(server, other);
    expect(await events(server, other.id)).toEqual([]);
    // An unknown id looks the same as someone else's: no probing for ids with a user token.
    expect((await update({ user_id: '00000000-0000-4000-8000-000000000000', locale: 'en' }, token)).status).toBe(403);
    expect((await update({ user_id: me.id, ext_id: '1' }, token)).status).toBe(403);
  });

  it('refuses callers without users:write', async () => {
    const user = await server.createUser();
    const reader = await clientToken(server, 'users:read');
    expect((await update({ user_id: user.id, locale: 'en' }, reader.accessToken)).status).toBe(403);
    expect((await update({ user_id: user.id, locale: 'en' }, createKey)).status).toBe(403);
    expect((await customerRow(server, user.id)).locale).toBeNull();
  });

  it('refuses invalid input with a 400 naming the field', async () => {
    const user = await server.createUser();
    expectFieldError(await update({ user_id: 'not-a-uuid' }), 'user_id');
    expectFieldError(await update({ user_id: user.id, email: 'nope' }), 'email');
    expectFieldError(await update({ user_id: user.id, first_name: 'Bob' }), 'first_name');
    expectFieldError(await api(server, 'POST', '/api/v1/users/update', { auth: updateKey, json: { user_id: user.id, locale: 7 } }), 'locale');
  });
});

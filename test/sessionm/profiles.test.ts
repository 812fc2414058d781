import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startTestServer, type TestServer } from '../support/server.js';
import { sessionm, setUpIntegration, signupExample, usersPath, type SessionmIntegration } from './support.js';

let server: TestServer;
let app: SessionmIntegration;

beforeAll(async () => {
  server = await startTestServer();
  app = await setUpIntegration(server);
});
afterAll(() => server?.stop());

const create = (json: unknown, token = app.serverToken) => sessionm(server, 'POST', usersPath(app.apiKey), { token, json });
const rows = async (sql: string, params: unknown[]) => (await server.em().getConnection().execute(sql, params)) as any[];

describe('SessionM signup (spec Step 2)', () => {
  it('creates a profile from the signup form, with phone numbers, their types and preference flags', async () => {
    const signup = signupExample();
    const created = await create(signup);
    expect(created.status).toBe(200);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const user = created.body.user;
    expect(created.body.status).toBe('ok');
    expect(user).toMatchObject({
      external_id: signup.user.external_id,
      opted_in: true,
      activated: false,
      proxy_ids: [],
      identifiers: [{ external_id: signup.user.external_id, external_id_type: 'facebook' }],
      email: signup.user.email,
      gender: 'm',
      dob: '1980-01-01',
      address: '7 Tremont Street',
      city: 'Boston',
      zip: '02021',
      state: 'MA',
      country: 'USA',
      suspended: false,
      first_name: 'John',
      last_name: 'Smith',
      test_account: false,
      account_status: 'good',
      tier_levels: [],
      phone_numbers: [
        { phone_number: `+1${signup.user.phone_numbers[0]!.phone_number}`, phone_type: 'home', preference_flags: ['primary'], verified_ownership: false },
        { phone_number: '+447911123456', phone_type: 'mobile', preference_flags: ['sms', 'marketing'], verified_ownership: false },
      ],
    });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(user.created_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(user.referrer_code).toMatch(/^JOHNS-[0-9A-F]{6}$/);
    expect(user).not.toHaveProperty('password');

    const [customer] = await rows('select * from customer where id = ?', [user.id]);
    expect(customer).toMatchObject({
      email: signup.user.email,
      external_id: signup.user.external_id,
      external_id_type: 'facebook',
      address_country_iso: 'US',
      phone_number: `+1${signup.user.phone_numbers[0]!.phone_number}`,
      email_opt_out: false,
      source: 'sessionm',
    });
    expect(customer.password_hash).toMatch(/^\$argon2id\$/);
    const phones = await rows('select phone_number, phone_type, preference_flags from customer_phone where customer_id = ? order by created_at', [user.id]);
    expect(phones).toEqual([
      { phone_number: `+1${signup.user.phone_numbers[0]!.phone_number}`, phone_type: 'home', preference_flags: ['primary'] },
      { phone_number: '+447911123456', phone_type: 'mobile', preference_flags: ['sms', 'marketing'] },
    ]);
    const events = await rows('select type, payload from outbox_event where customer_id = ? order by type', [user.id]);
    expect(events.map((event) => event.type)).toEqual(['NewUserEvent', 'UserRegisteredEvent']);
    expect(events[0].payload.data).toMatchObject({ user_id: user.id, email: signup.user.email, source: 'sessionm' });
  });

  it('lets the new customer log in with e-mail and password at /oauth/token (spec Step 3)', async () => {
    const signup = signupExample();
    expect((await create(signup)).status).toBe(200);
    const login = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'password', email: signup.user.email, password: 'Aaaaaaaa1', scope: 'openid profile email' },
      { basic: [app.clientId, app.clientSecret] },
    );
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ token_type: 'Bearer', scope: 'openid profile email' });
    expect(login.body.id_token).toEqual(expect.any(String));
  });

  it('answers a taken e-mail with 409 email_taken and creates nothing', async () => {
    const first = signupExample();
    expect((await create(first)).status).toBe(200);
    const again = signupExample({ email: first.user.email.toUpperCase() });
    const duplicate = await create(again);
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toEqual({ status: 'error', errors: { code: 'email_taken', message: 'A customer with this e-mail already exists' } });
    expect(await rows('select id from customer where external_id = ?', [again.user.external_id])).toEqual([]);
  });

  it('answers a taken external id with 409 external_id_taken', async () => {
    const first = signupExample();
    expect((await create(first)).status).toBe(200);
    const duplicate = await create(signupExample({ external_id: first.user.external_id }));
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.errors.code).toBe('external_id_taken');
  });

  it("stores the spec's own example number (1234123123, valid nowhere) as given, unverified, and not as the SMS number", async () => {
    const email = `as-given-${Date.now()}@example.com`;
    const created = await create(
      signupExample({ email, country: undefined, phone_numbers: [{ phone_number: '1234123123', phone_type: 'home', preference_flags: ['primary'] }] }),
    );
    expect(created.status).toBe(200);
    expect(created.body.user.phone_numbers).toEqual([
      { phone_number: '1234123123', phone_type: 'home', preference_flags: ['primary'], verified_ownership: false },
    ]);
    const [customer] = await rows('select phone_number from customer where email = ?', [email]);
    expect(customer.phone_number).toBeNull();
  });

  it('refuses bad input with 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ email: 'not-an-email' }, 'user.email: '],
      [{ external_id: 'x'.repeat(37) }, 'user.external_id: '],
      [{ dob: '1980-13-45' }, 'user.dob: '],
      [{ country: 'Atlantis' }, 'user.country: must be an ISO 3166-1 alpha-3'],
      [{ favourite_colour: 'blue' }, 'user.favourite_colour: is not a recognised field'],
      [{ phone_numbers: [{ phone_number: '12', phone_type: 'home' }] }, 'user.phone_numbers.0.phone_number: '],
      [{ phone_numbers: [{ phone_number: 'call me maybe', phone_type: 'home' }] }, 'user.phone_numbers.0.phone_number: not a phone number'],
    ];
    for (const [override, message] of cases) {
      const refused = await create(signupExample(override));
      expect(refused.status, JSON.stringify(override)).toBe(400);
      expect(refused.body.status).toBe('error');
      expect(refused.body.errors.code).toBe('invalid_request');
      expect(refused.body.errors.message.startsWith(message), refused.body.errors.message).toBe(true);
    }
    const noIdentity = await create({ user: { first_name: 'Nobody' } });
    expect(noIdentity.body.errors.message).toBe('user.email: email or external_id is required');
    const malformed = await sessionm(server, 'POST', usersPath(app.apiKey), { token: app.serverToken, raw: '{"user": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ status: 'error', errors: { code: 'invalid_request', message: 'body: malformed JSON' } });
  });
});

describe('SessionM search (spec Step 1)', () => {
  let profile: { id: string; email: string; externalId: string };

  beforeAll(async () => {
    const signup = signupExample();
    const created = await create(signup);
    profile = { id: created.body.user.id, email: signup.user.email, externalId: signup.user.external_id };
  });

  it('finds a profile by e-mail, whatever its case', async () => {
    const found = await sessionm(server, 'GET', usersPath(app.apiKey, '/search'), { token: app.serverToken, query: { email: profile.email.toUpperCase() } });
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ status: 'ok', user: { id: profile.id, email: profile.email } });
  });

  it('answers an unknown e-mail with 404 and the error envelope, so the caller goes to signup', async () => {
    const missing = await sessionm(server, 'GET', usersPath(app.apiKey, '/search'), { token: app.serverToken, query: { email: 'nobody-here@example.com' } });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ status: 'error', errors: { code: 'not_found', message: 'User not found' } });
  });

  it('finds a profile by external id, and by external id and type', async () => {
    const byId = await sessionm(server, 'GET', usersPath(app.apiKey, '/search'), { token: app.serverToken, query: { external_id: profile.externalId } });
    expect(byId.body.user.id).toBe(profile.id);
    const byIdAndType = await sessionm(server, 'GET', usersPath(app.apiKey, '/search'), {
      token: app.serverToken,
      query: { external_id: profile.externalId, external_id_type: 'facebook' },
    });
    expect(byIdAndType.body.user.id).toBe(profile.id);
    const otherType = await sessionm(server, 'GET', usersPath(app.apiKey, '/search'), {
      token: app.serverToken,
      query: { external_id: profile.externalId, external_id_type: 'google' },
    });
    expect(otherType.status).toBe(404);
  });

  it('needs exactly one of email, external_id, dob, or first and last name', async () => {
    const neither = await sessionm(server, 'GET', usersPath(app.apiKey, '/search'), { token: app.serverToken });
    expect(neither.status).toBe(400);
    expect(neither.body.errors.message).toBe('email: search by one of: email, external_id, dob, or first_name and last_name');
    const badEmail = await sessionm(server, 'GET', usersPath(app.apiKey, '/search'), { token: app.serverToken, query: { email: 'nope' } });
    expect(badEmail.body.errors.message).toMatch(/^email: /);
  });
});

describe('SessionM retrieve and update (spec Steps 5 and 6)', () => {
  let signup: ReturnType<typeof signupExample>;
  let id: string;

  beforeAll(async () => {
    signup = signupExample();
    id = (await create(signup)).body.user.id;
  });

  it('retrieves a profile by internal id and by external id', async () => {
    const byInternal = await sessionm(server, 'GET', usersPath(app.apiKey, `/${id}`), { token: app.serverToken });
    expect(byInternal.status).toBe(200);
    expect(byInternal.body.user).toMatchObject({ id, email: signup.user.email, first_name: 'John' });
    const byExternal = await sessionm(server, 'GET', usersPath(app.apiKey, `/${signup.user.external_id}`), { token: app.serverToken });
    expect(byExternal.body).toEqual(byInternal.body);
    const unknown = await sessionm(server, 'GET', usersPath(app.apiKey, '/e76fc440-d7f0-11e8-91e4-469b02598280'), { token: app.serverToken });
    expect(unknown.status).toBe(404);
  });

  it('changes only the fields sent, records UserUpdatedEvent with what changed', async () => {
    const updated = await sessionm(server, 'PUT', usersPath(app.apiKey, `/${id}`), { token: app.serverToken, json: { user: { first_name: 'ZZ' } } });
    expect(updated.status).toBe(200);
    expect(updated.body.user).toMatchObject({ id, first_name: 'ZZ', last_name: 'Smith', city: 'Boston', state: 'MA', country: 'USA' });
    expect(updated.body.user.phone_numbers).toHaveLength(2);
    const [customer] = await rows('select first_name, last_name from customer where id = ?', [id]);
    expect(customer).toEqual({ first_name: 'ZZ', last_name: 'Smith' });
    const events = await rows(`select payload from outbox_event where customer_id = ? and type = 'UserUpdatedEvent'`, [id]);
    expect(events.map((event) => event.payload.data)).toEqual([{ user_id: id, changed: ['first_name'], source: 'sessionm' }]);
  });

  it('replaces the phone list, moves the primary phone, clears a field with null and updates by external id', async () => {
    const updated = await sessionm(server, 'PUT', usersPath(app.apiKey, `/${signup.user.external_id}`), {
      token: app.serverToken,
      json: {
        user: {
          state: 'NY',
          zip: null,
          opted_in: false,
          phone_numbers: [{ phone_number: '+44 7911 123456', phone_type: 'mobile', preference_flags: ['primary'] }],
        },
      },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.user).toMatchObject({ state: 'NY', zip: null, opted_in: false });
    expect(updated.body.user.phone_numbers).toEqual([
      { phone_number: '+447911123456', phone_type: 'mobile', preference_flags: ['primary'], verified_ownership: false },
    ]);
    const [customer] = await rows('select phone_number, email_opt_out, address_zip from customer where id = ?', [id]);
    expect(customer).toEqual({ phone_number: '+447911123456', email_opt_out: true, address_zip: null });
    expect(await rows('select count(*)::int as n from customer_phone where customer_id = ?', [id])).toEqual([{ n: 1 }]);
    const [event] = await rows(`select payload from outbox_event where customer_id = ? and type = 'UserUpdatedEvent' order by created_at desc limit 1`, [id]);
    expect(event.payload.data.changed).toEqual(['zip', 'opted_in', 'phone_numbers', 'state']);
  });

  it('records no event when nothing changes', async () => {
    const before = await rows(`select count(*)::int as n from outbox_event where customer_id = ?`, [id]);
    const same = await sessionm(server, 'PUT', usersPath(app.apiKey, `/${id}`), { token: app.serverToken, json: { user: { first_name: 'ZZ' } } });
    expect(same.status).toBe(200);
    expect(await rows(`select count(*)::int as n from outbox_event where customer_id = ?`, [id])).toEqual(before);
  });

  it('refuses to take another customer’s e-mail, and refuses a bad field with 400', async () => {
    const other = signupExample();
    expect((await create(other)).status).toBe(200);
    const taken = await sessionm(server, 'PUT', usersPath(app.apiKey, `/${id}`), { token: app.serverToken, json: { user: { email: other.user.email } } });
    expect(taken.status).toBe(409);
    expect(taken.body.errors.code).toBe('email_taken');
    const bad = await sessionm(server, 'PUT', usersPath(app.apiKey, `/${id}`), { token: app.serverToken, json: { user: { dob: 'yesterday' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.message).toMatch(/^user\.dob: /);
    const password = await sessionm(server, 'PUT', usersPath(app.apiKey, `/${id}`), { token: app.serverToken, json: { user: { password: 'Bbbbbbbb2' } } });
    expect(password.body.errors.message).toBe('user.password: is not a recognised field');
  });
});

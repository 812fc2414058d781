import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { api, apiKey, clientToken, events, expectFieldError, numericIdOf, rempLogin, sql, userToken } from './support.js';

let server: TestServer;
let key: string;
let approver: string;

beforeAll(async () => {
  server = await startTestServer({ ADDRESS_DEFAULT_COUNTRY: 'SK' });
  key = await apiKey(server, ['users.addresses', 'users.address', 'users.change-address-request']);
  approver = await apiKey(server, ['users.address-change-approve']);
});
afterAll(() => server?.stop());

const addressRows = async (customerId: string) => sql(server, 'select * from address where customer_id = ? order by id', [customerId]);
const createAddress = (form: Record<string, string>, auth = key) => api(server, 'POST', '/api/v1/users/address', { auth, form });
const requestChange = (form: Record<string, string>, auth = key) => api(server, 'POST', '/api/v1/users/change-address-request', { auth, form });

describe('POST /api/v1/users/address and GET /api/v1/users/addresses', () => {
  it('creates an address and lists it in the documented shape, with the country by name', async () => {
    const user = await server.createUser();
    const created = await createAddress({
      email: user.email,
      type: 'invoice',
      first_name: 'AdrName',
      last_name: 'AdrLastName',
      address: '11th str.',
      number: '112',
      zip: '81105',
      city: 'Bratislava',
      country_iso: 'cz',
      company_name: 'Firma s.r.o.',
      company_id: '123',
      tax_id: 'T1',
      vat_id: 'SK1',
      phone_number: '0800123456',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toEqual({ status: 'ok', address: { id: expect.any(Number) } });

    const listed = await api(server, 'GET', '/api/v1/users/addresses', { auth: key, query: { email: user.email } });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      status: 'ok',
      addresses: [
        {
          id: created.body.address.id,
          // REMP's integer user id.
          user_id: await numericIdOf(server, user.id),
          type: 'invoice',
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          email: user.email,
          company_name: 'Firma s.r.o.',
          phone_number: '0800123456',
          company_id: '123',
          tax_id: 'T1',
          vat_id: 'SK1',
          first_name: 'AdrName',
          last_name: 'AdrLastName',
          address: '11th str.',
          number: '112',
          zip: '81105',
          city: 'Bratislava',
          country: 'Czechia',
          country_iso: 'CZ',
        },
      ],
    });
    const recorded = await events(server, user.id);
    expect(recorded.map((event) => [event.type, event.payload.data.action, event.payload.data.address_id])).toEqual([
      ['AddressChangedEvent', 'created', created.body.address.id],
    ]);
  });

  it('uses the default country when none is given, and filters the list by type', async () => {
    const user = await server.createUser();
    await createAddress({ email: user.email, type: 'print', city: 'Košice' });
    await createAddress({ email: user.email, type: 'invoice', city: 'Praha', country_iso: 'CZ' });
    const print = await api(server, 'GET', '/api/v1/users/addresses', { auth: key, query: { email: user.email, type: 'print' } });
    expect(print.body.addresses).toHaveLength(1);
    expect(print.body.addresses[0]).toMatchObject({ type: 'print', city: 'Košice', country: 'Slovakia', country_iso: 'SK' });
  });

  it('answers 404 user_not_found for an unknown e-mail, without writing anything', async () => {
    const count = Number((await sql(server, 'select count(*) as n from address'))[0].n);
    const created = await createAddress({ email: 'ghost@example.com', type: 'print' });
    expect(created.status).toBe(404);
    expect(created.body.code).toBe('user_not_found');
    expect((await api(server, 'GET', '/api/v1/users/addresses', { auth: key, query: { email: 'ghost@example.com' } })).status).toBe(404);
    expect(Number((await sql(server, 'select count(*) as n from address'))[0].n)).toBe(count);
  });

  it('lets a user token read and write its own addresses only', async () => {
    const [me, other] = [await server.createUser(), await server.createUser()];
    await createAddress({ email: other.email, type: 'print', city: 'Secret city' });
    const token = await rempLogin(server, me);
    expect((await createAddress({ email: me.email, type: 'print' }, token)).status).toBe(200);
    expect((await api(server, 'GET', '/api/v1/users/addresses', { auth: token, query: { email: me.email } })).body.addresses).toHaveLength(1);

    const foreignRead = await api(server, 'GET', '/api/v1/users/addresses', { auth: token, query: { email: other.email } });
    expect(foreignRead.status).toBe(403);
    expect(JSON.stringify(foreignRead.body)).not.toContain('Secret city');
    expect((await createAddress({ email: other.email, type: 'invoice' }, token)).status).toBe(403);
    expect((await requestChange({ email: other.email, type: 'print', city: 'Elsewhere' }, token)).status).toBe(403);
    expect((await addressRows(other.id)).map((row) => [row.type, row.city])).toEqual([['print', 'Secret city']]);
    expect(Number((await sql(server, 'select count(*) as n from address_change_request where customer_id = ?', [other.id]))[0].n)).toBe(0);
    // Administrators may act on anyone.
    const admin = await userToken(server, me.id, 'users:read users:admin');
    expect((await api(server, 'GET', '/api/v1/users/addresses', { auth: admin, query: { email: other.email } })).status).toBe(200);
  });

  it('refuses callers without the scope or whitelist', async () => {
    const user = await server.createUser();
    expect((await api(server, 'GET', '/api/v1/users/addresses', { query: { email: user.email } })).status).toBe(403);
    expect(
      (await api(server, 'GET', '/api/v1/users/addresses', { auth: (await clientToken(server, 'users:write')).accessToken, query: { email: user.email } }))
        .status,
    ).toBe(403);
    expect((await createAddress({ email: user.email, type: 'print' }, (await clientToken(server, 'users:read')).accessToken)).status).toBe(403);
    expect((await createAddress({ email: user.email, type: 'print' }, approver)).status).toBe(403);
    expect(await addressRows(user.id)).toEqual([]);
  });

  it('refuses unknown countries, bad types, over-long and unknown fields with a 400 naming the field', async () => {
    const user = await server.createUser();
    expectFieldError(await createAddress({ email: user.email, type: 'print', country_iso: 'XX' }), 'country_iso');
    expectFieldError(await createAddress({ email: user.email, type: 'print', country_iso: 'UK' }), 'country_iso');
    expectFieldError(await createAddress({ email: user.email, type: 'print', country_iso: 'SVK' }), 'country_iso');
    expectFieldError(await createAddress({ email: user.email, type: 'print invoice' }), 'type');
    expectFieldError(await createAddress({ email: user.email }), 'type');
    expectFieldError(await createAddress({ email: user.email, type: 'print', city: 'x'.repeat(101) }), 'city');
    expectFieldError(await createAddress({ email: user.email, type: 'print', street: 'Main' }), 'street');
    expectFieldError(await api(server, 'POST', '/api/v1/users/address', { auth: key, json: { email: user.email, type: 'print', zip: 81105 } }), 'zip');
    expectFieldError(
      await api(server, 'POST', '/api/v1/users/address', { auth: key, raw: { type: 'application/x-www-form-urlencoded', body: 'email=%E0%A4%A&type=print' } }),
      'email',
    );
    expectFieldError(await api(server, 'GET', '/api/v1/users/addresses', { auth: key, query: { email: user.email, limit: '1' } }), 'limit');
    expect(await addressRows(user.id)).toEqual([]);
  });
});

describe('address change requests', () => {
  it('answers 400 "Parent address not found" when the user has no address of the type', async () => {
    const user = await server.createUser();
    const reply = await requestChange({ email: user.email, type: 'print', city: 'Praha' });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ status: 'error', message: 'Parent address not found', code: 'parent_address_not_found' });
    expect(await events(server, user.id)).toEqual([]);
  });

  it('records a request without changing the address; approving applies the fields it carried', async () => {
    const user = await server.createUser();
    const created = await createAddress({ email: user.email, type: 'print', first_name: 'Old', city: 'Bratislava', zip: '81105' });
    const requested = await requestChange({
      email: user.email,
      type: 'print',
      city: 'Praha',
      zip: '11000',
      country_iso: 'CZ',
      company_tax_id: 'CZ-T',
      company_vat_id: 'CZ-V',
    });
    expect(requested.status).toBe(200);
    expect(requested.body).toEqual({
      status: 'ok',
      address: { id: created.body.address.id },
      change_request: { id: expect.any(Number), address_id: created.body.address.id, type: 'print', status: 'new' },
    });
    expect((await addressRows(user.id))[0]).toMatchObject({ city: 'Bratislava', zip: '81105' });

    const approved = await api(server, 'POST', `/api/v1/users/change-address-request/${requested.body.change_request.id}/approve`, { auth: approver });
    expect(approved.status).toBe(200);
    expect(approved.body).toEqual({
      status: 'ok',
      change_request: { id: requested.body.change_request.id, address_id: created.body.address.id, type: 'print', status: 'accepted' },
    });
    expect((await addressRows(user.id))[0]).toMatchObject({
      first_name: 'Old',
      city: 'Praha',
      zip: '11000',
      country_iso: 'CZ',
      tax_id: 'CZ-T',
      vat_id: 'CZ-V',
    });
    const recorded = (await events(server, user.id)).map((event) => `${event.type}:${event.payload.data.action}`);
    expect(recorded.sort()).toEqual([
      'AddressChangeRequestEvent:accepted',
      'AddressChangeRequestEvent:requested',
      'AddressChangedEvent:created',
      'AddressChangedEvent:updated',
    ]);

    const again = await api(server, 'POST', `/api/v1/users/change-address-request/${requested.body.change_request.id}/reject`, { auth: approver });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('change_request_resolved');
  });

  it('rejecting leaves the address as it was', async () => {
    const user = await server.createUser();
    await createAddress({ email: user.email, type: 'print', city: 'Bratislava' });
    const requested = await requestChange({ email: user.email, type: 'print', city: 'Wien', country_iso: 'AT' });
    const admin = (await clientToken(server, 'users:admin')).accessToken;
    const rejected = await api(server, 'POST', `/api/v1/users/change-address-request/${requested.body.change_request.id}/reject`, { auth: admin });
    expect(rejected.body.change_request.status).toBe('rejected');
    expect((await addressRows(user.id))[0]).toMatchObject({ city: 'Bratislava', country_iso: 'SK' });
    expect(
      (await sql(server, 'select status, resolved_at from address_change_request where id = ?', [requested.body.change_request.id]))[0].resolved_at,
    ).not.toBeNull();
  });

  it('approving needs users:admin or the users.address-change-approve key', async () => {
    const user = await server.createUser();
    await createAddress({ email: user.email, type: 'print', city: 'Bratislava' });
    const requested = await requestChange({ email: user.email, type: 'print', city: 'Praha' });
    const path = `/api/v1/users/change-address-request/${requested.body.change_request.id}/approve`;
    expect((await api(server, 'POST', path, { auth: key })).status).toBe(403);
    expect((await api(server, 'POST', path, { auth: await rempLogin(server, user) })).status).toBe(403);
    expect((await api(server, 'POST', path, { auth: (await clientToken(server, 'users:write')).accessToken })).status).toBe(403);
    expect((await addressRows(user.id))[0].city).toBe('Bratislava');
    expect((await api(server, 'POST', path, { auth: await userToken(server, user.id, 'users:admin') })).status).toBe(200);
  });

  it('answers 404 for an unknown request and 400 for a malformed id or a body', async () => {
    expect((await api(server, 'POST', '/api/v1/users/change-address-request/999999/approve', { auth: approver })).body.code).toBe('change_request_not_found');
    expectFieldError(await api(server, 'POST', '/api/v1/users/change-address-request/abc/approve', { auth: approver }), 'id');
    expectFieldError(await api(server, 'POST', '/api/v1/users/change-address-request/1/approve', { auth: approver, form: { city: 'x' } }), 'city');
  });

  it('refuses a country_id naming no country or another one than country_iso, and the address endpoint’s tax field names', async () => {
    const user = await server.createUser();
    await createAddress({ email: user.email, type: 'print' });
    expectFieldError(await requestChange({ email: user.email, type: 'print', country_id: '1' }), 'country_id');
    expectFieldError(await requestChange({ email: user.email, type: 'print', country_id: '703', country_iso: 'CZ' }), 'country_id');
    expectFieldError(await requestChange({ email: user.email, type: 'print', tax_id: '1' }), 'tax_id');
    expect(Number((await sql(server, 'select count(*) as n from address_change_request where customer_id = ?', [user.id]))[0].n)).toBe(0);
  });

  it('takes the deprecated country_id as REMP does, as the ISO 3166-1 numeric code of the country', async () => {
    const user = await server.createUser();
    await createAddress({ email: user.email, type: 'print', country_iso: 'CZ' });
    const requested = await requestChange({ email: user.email, type: 'print', country_id: '703' });
    expect(requested.status).toBe(200);
    const [row] = await sql(server, 'select country_iso from address_change_request where id = ?', [requested.body.change_request.id]);
    expect(row.country_iso).toBe('SK');
    expect((await api(server, 'POST', `/api/v1/users/change-address-request/${requested.body.change_request.id}/approve`, { auth: approver })).status).toBe(
      200,
    );
    const listed = await api(server, 'GET', '/api/v1/users/addresses', { auth: key, query: { email: user.email, type: 'print' } });
    expect(listed.body.addresses[0]).toMatchObject({ country_iso: 'SK', country: 'Slovakia' });
  });
});

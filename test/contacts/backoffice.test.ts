import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/api-keys/service.js';
import { newEmail, newPhone } from '../otp/support.js';
import { count, startCrmWorld, type CrmWorld } from './support.js';

let world: CrmWorld;

beforeAll(async () => {
  world = await startCrmWorld();
});
afterAll(() => world?.stop());

const contacts = '/backoffice/v1/contacts';

describe('creating contacts', () => {
  it("creates a person with the caller's id (36 characters) and cross-reference code, and reads it back by that id", async () => {
    const id = randomUUID();
    const email = newEmail('bo');
    const phone = newPhone();
    const created = await world.backoffice('POST', contacts, {
      id,
      title: 'Ms',
      first_name: 'Ada',
      last_name: 'Lovelace',
      email,
      phone_number: phone.local,
      country_code: 'CYP',
      cross_reference_code: 'ERP-0001',
      sms_opt_out: 'true',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id,
      type: 'PERSON',
      title: 'Ms',
      first_name: 'Ada',
      last_name: 'Lovelace',
      name: null,
      org_type: null,
      email,
      phone_number: phone.e164,
      cross_reference_code: 'ERP-0001',
      email_opt_out: false,
      sms_opt_out: true,
      locale: null,
      is_verified: false,
      organisations: [],
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const read = await world.backoffice('GET', `${contacts}/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const [row] = await world.server.em().getConnection().execute('select external_id, source, password_hash from customer where external_id = ?', [id]);
    expect(row).toEqual({ external_id: id, source: 'backoffice', password_hash: null });
    const events = await world.server
      .em()
      .getConnection()
      .execute(`select payload->'data' as data from outbox_event where type = 'ContactChangedEvent' and payload->'data'->>'contact_id' = ?`, [id]);
    expect(events).toEqual([{ data: { contact_id: id, type: 'PERSON', action: 'created' } }]);
  });

  it('generates the id when none is given', async () => {
    const created = await world.backoffice('POST', contacts, { first_name: 'No', last_name: 'Id' });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await world.backoffice('GET', `${contacts}/${created.body.id}`)).status).toBe(200);
  });

  it('refuses an id over 36 characters and a duplicate id, changing nothing', async () => {
    const before = await count(world.server, 'customer');
    const tooLong = await world.backoffice('POST', contacts, { id: 'x'.repeat(37), last_name: 'Long' });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body).toMatchObject({ status: 'error', code: 'invalid_request', message: expect.stringMatching(/^id: /) });

    expect((await world.backoffice('POST', contacts, { id: 'DUP-1', last_name: 'First' })).status).toBe(201);
    const duplicate = await world.backoffice('POST', contacts, { id: 'DUP-1', last_name: 'Second' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toEqual({ status: 'error', code: 'contact_id_taken', message: 'A contact with this id already exists' });
    const duplicateOrganisation = await world.backoffice('POST', contacts, { id: 'DUP-1', type: 'ORGANISATION', name: 'Clash Ltd' });
    expect(duplicateOrganisation.status).toBe(409);
    expect(await count(world.server, 'customer')).toBe(before + 1);
    expect(await count(world.server, 'organisation where external_id = ?', ['DUP-1'])).toBe(0);
  });

  it('accepts no credentials: a password or identity field is a 400 and nothing is created', async () => {
    const before = await count(world.server, 'customer');
    const withPassword = await world.backoffice('POST', contacts, { last_name: 'Sneaky', email: newEmail('pw'), password: 'secret-secret' });
    expect(withPassword.status).toBe(400);
    expect(withPassword.body.message).toMatch(/password/);
    const withIdentity = await world.backoffice('POST', contacts, { last_name: 'Sneaky', identity: { provider: 'EMAIL', email: newEmail('id') } });
    expect(withIdentity.status).toBe(400);
    const update = await world.backoffice('PUT', `${contacts}/DUP-1`, { password: 'secret-secret' });
    expect(update.status).toBe(400);
    expect(await count(world.server, 'customer')).toBe(before);
  });

  it('refuses what cannot be a phone number with 400 (three digits)', async () => {
    const response = await world.backoffice('POST', contacts, { last_name: 'Phone', phone_number: '123', country_code: 'CY' });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_phone_number');
  });
});

describe('updating, listing and searching', () => {
  it('updates the given fields; a new e-mail address is no longer verified', async () => {
    const created = await world.backoffice('POST', contacts, { id: 'UPD-1', first_name: 'Old', last_name: 'Name', email: newEmail('upd') });
    await world.server.em().getConnection().execute('update customer set email_verified_at = now() where external_id = ?', ['UPD-1']);
    const email = newEmail('upd2');
    const updated = await world.backoffice('PUT', `${contacts}/UPD-1`, { first_name: 'New', email, cross_reference_code: 'X-9', title: null });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ id: 'UPD-1', first_name: 'New', last_name: 'Name', email, cross_reference_code: 'X-9', is_verified: false });
    expect(updated.body.created_at).toBe(created.body.created_at);
    const taken = await world.backoffice('PUT', `${contacts}/DUP-1`, { email });
    expect(taken.status).toBe(409);
  });

  it('searches persons by e-mail, phone, cross-reference code and name, paginated', async () => {
    const email = newEmail('find');
    const phone = newPhone();
    await world.backoffice('POST', contacts, {
      id: 'FIND-1',
      first_name: 'Findable',
      last_name: 'Person',
      email,
      phone_number: phone.e164,
      cross_reference_code: 'FIND-XREF',
    });
    const ids = async (query: string) => {
      const response = await world.backoffice('GET', `${contacts}?${query}`);
      expect(response.status).toBe(200);
      return response.body.content.map((contact: { id: string }) => contact.id);
    };
    expect(await ids(`email=${encodeURIComponent(email.toUpperCase())}`)).toEqual(['FIND-1']);
    expect(await ids(`phone_number=${phone.local}&country_code=CY`)).toEqual(['FIND-1']);
    expect(await ids('cross_reference_code=FIND-XREF')).toEqual(['FIND-1']);
    expect(await ids('name=findable%20pers')).toEqual(['FIND-1']);
    expect(await ids('search=FIND-XREF')).toEqual(['FIND-1']);
    expect(await ids(`search=${encodeURIComponent(email)}`)).toEqual(['FIND-1']);
    expect(await ids('name=nobody-like-this')).toEqual([]);

    const page = await world.backoffice('GET', `${contacts}?size=2&page=1`);
    expect(page.body.content).toHaveLength(2);
    expect(page.body.paging).toMatchObject({ page: 1, size: 2 });
    expect(page.body.paging.total).toBeGreaterThan(2);
  });
});

describe('organisations (B2B)', () => {
  it('creates organisations, joins a person to one and shares it with another', async () => {
    const business = await world.backoffice('POST', contacts, {
      type: 'ORGANISATION',
      id: 'ORG-1',
      name: 'Acme Ltd',
      org_type: 'business',
      cross_reference_code: 'ACME',
    });
    expect(business.status).toBe(201);
    expect(business.body).toMatchObject({ id: 'ORG-1', type: 'ORGANISATION', name: 'Acme Ltd', org_type: 'BUSINESS', first_name: null });
    const partner = await world.backoffice('POST', contacts, { type: 'ORGANISATION', name: 'Partner plc' });
    expect(partner.body.org_type).toBe('BUSINESS');
    await world.backoffice('POST', contacts, { id: 'MEMBER-1', first_name: 'Mem', last_name: 'Ber' });

    expect((await world.backoffice('POST', `${contacts}/MEMBER-1/organisations`, { organisation_id: 'ORG-1' })).status).toBe(200);
    const shared = await world.backoffice('POST', `${contacts}/MEMBER-1/organisations`, { organisation_id: partner.body.id, relation: 'SHARED' });
    expect(shared.body.organisations).toEqual([
      { name: 'Acme Ltd', id: 'ORG-1', org_type: 'BUSINESS', relation: 'JOINED' },
      { name: 'Partner plc', id: partner.body.id, org_type: 'BUSINESS', relation: 'SHARED' },
    ]);

    const left = await world.backoffice('DELETE', `${contacts}/MEMBER-1/organisations/ORG-1`);
    expect(left.body.organisations).toEqual([{ name: 'Partner plc', id: partner.body.id, org_type: 'BUSINESS', relation: 'SHARED' }]);
    expect((await world.backoffice('DELETE', `${contacts}/MEMBER-1/organisations/ORG-1`)).status).toBe(404);

    const found = await world.backoffice('GET', `${contacts}?type=ORGANISATION&name=acme`);
    expect(found.body.content.map((contact: { id: string }) => contact.id)).toEqual(['ORG-1']);
    expect((await world.backoffice('POST', `${contacts}/ORG-1/organisations`, { organisation_id: partner.body.id })).status).toBe(400);
    expect((await world.backoffice('POST', contacts, { type: 'ORGANISATION', name: 'X', first_name: 'Nope' })).status).toBe(400);
  });
});

describe('who may call', () => {
  it('takes API keys whitelisted per endpoint and refuses customer tokens', async () => {
    const { key } = await createApiKey(world.server.em(), { name: 'ERP reader', endpoints: ['backoffice.contacts.read'] });
    const headers = { api_key: key };
    expect((await fetch(`${world.server.url}${contacts}/DUP-1`, { headers })).status).toBe(200);
    const write = await fetch(`${world.server.url}${contacts}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ last_name: 'X' }),
    });
    expect(write.status).toBe(403);

    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'A',
      last_name: 'B',
      identity: { provider: 'EMAIL', email: newEmail('user'), password: 'user password!' },
    });
    const asUser = await world.backoffice('GET', `${contacts}/DUP-1`, undefined, registered.body.access_token);
    expect(asUser.status).toBe(403);
    expect((await fetch(`${world.server.url}${contacts}/DUP-1`)).status).toBe(401);
  });
});

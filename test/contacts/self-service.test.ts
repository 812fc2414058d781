import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/identity/api-keys/service.js';
import { newEmail, newPhone, sleep } from '../otp/support.js';
import { codeIn, count, startCrmWorld, type CrmWorld } from './support.js';

let world: CrmWorld;

beforeAll(async () => {
  world = await startCrmWorld();
});
afterAll(() => world?.stop());

/** The SMS sent to `to` after the first `already` ones. */
async function nextSms(to: string, already: number, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const messages = world.providers.twilio.messages.filter((message) => message.to === to);
    if (messages.length > already) return messages[already]!;
    if (Date.now() > deadline) throw new Error(`no SMS #${already + 1} to ${to}`);
    await sleep(25);
  }
}

async function nextMail(to: string, already: number, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mails = world.providers.smtp.mails.filter((mail) => mail.to.includes(to.toLowerCase()));
    if (mails.length > already) return mails[already]!;
    if (Date.now() > deadline) throw new Error(`no mail #${already + 1} to ${to}`);
    await sleep(25);
  }
}

const userInfo = (accessToken: string) => fetch(`${world.server.url}/api/v1/user/info`, { headers: { authorization: `Bearer ${accessToken}` } });

function expectSignedIn(body: any, contact: Record<string, unknown>) {
  expect(body).toEqual({
    contact: { title: null, avatar: null, is_verified: expect.any(Boolean), ...contact },
    organisations: expect.any(Array),
    access_token: expect.any(String),
    refresh_token: expect.any(String),
    exp: expect.any(Number),
  });
  // Milliseconds, as in the spec's example (1629364506000), and the access token's own expiry.
  expect(body.exp).toBe(decodeJwt(body.access_token).exp! * 1000);
  expect(body.exp).toBeGreaterThan(Date.now() + 3500_000);
}

describe('phone + OTP (the spec flow)', () => {
  it('registers, texts a code, signs in, works at the users API, refreshes, and signs in again after logging out', async () => {
    const phone = newPhone();
    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Ahmed',
      last_name: 'Samir',
      identity: { provider: 'PHONE', phone_number: phone.local, country_code: 'CYP' },
      service_acceptance: 'true',
      email_opt_out: 'true',
      sms_opt_out: 'true',
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ id: expect.any(String), next_step: 'VALIDATE_OTP' });
    const [row] = await world.server
      .em()
      .getConnection()
      .execute<any[]>('select phone_number, email_opt_out, sms_opt_out, service_acceptance_at, phone_verified_at, source from customer where id = ?', [
        registered.body.id,
      ]);
    expect(row).toMatchObject({ phone_number: phone.e164, email_opt_out: true, sms_opt_out: true, phone_verified_at: null, source: 'self-service' });
    expect(row.service_acceptance_at).not.toBeNull();

    const sms = await nextSms(phone.e164, 0);
    const validated = await world.selfService('/self-service/v1/contacts/validate-otp', {
      credentials: [
        { name: 'PHONE', value: phone.local },
        { name: 'COUNTRY_CODE', value: 'CYP' },
      ],
      code: codeIn(sms.body),
    });
    expect(validated.status).toBe(200);
    expectSignedIn(validated.body, { first_name: 'Ahmed', last_name: 'Samir', is_verified: true });
    expect(validated.body.organisations).toEqual([]);
    expect(decodeJwt(validated.body.access_token)).toMatchObject({ sub: registered.body.id, aud: `${world.server.url}/api` });

    const info = await userInfo(validated.body.access_token);
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({
      status: 'ok',
      user: { id: expect.any(Number), uuid: registered.body.id, first_name: 'Ahmed', last_name: 'Samir' },
    });
    const oidcInfo = await fetch(`${world.server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${validated.body.access_token}` } });
    expect(await oidcInfo.json()).toMatchObject({ sub: registered.body.id, phone_number: phone.e164, phone_number_verified: true });

    const refreshed = await world.selfService('/self-service/v1/contacts/refresh', { refresh_token: validated.body.refresh_token });
    expect(refreshed.status).toBe(200);
    expectSignedIn(refreshed.body, { first_name: 'Ahmed', last_name: 'Samir', is_verified: true });
    expect(refreshed.body.refresh_token).not.toBe(validated.body.refresh_token);
    expect((await userInfo(refreshed.body.access_token)).status).toBe(200);

    const logout = await fetch(`${world.server.url}/api/v1/users/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${refreshed.body.access_token}` },
    });
    expect(logout.status).toBe(200);
    expect((await world.selfService('/self-service/v1/contacts/refresh', { refresh_token: refreshed.body.refresh_token })).status).toBe(401);

    await sleep(1100); // OTP_RESEND_SECONDS=1 in this world
    const requested = await world.selfService('/self-service/v1/contacts/request-otp', { credentials: [{ name: 'PHONE', value: phone.e164 }] });
    expect(requested.status).toBe(202);
    const again = await world.selfService('/self-service/v1/contacts/validate-otp', {
      credentials: [{ name: 'PHONE', value: phone.e164 }],
      code: codeIn((await nextSms(phone.e164, 1)).body),
    });
    expect(again.status).toBe(200);
    expect((await userInfo(again.body.access_token)).status).toBe(200);
  });

  it('refuses a wrong code with 401 and the REMP error shape', async () => {
    const phone = newPhone();
    await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'A',
      last_name: 'B',
      identity: { provider: 'PHONE', phone_number: phone.e164 },
    });
    const code = codeIn((await nextSms(phone.e164, 0)).body);
    const wrong = await world.selfService('/self-service/v1/contacts/validate-otp', {
      credentials: [{ name: 'PHONE', value: phone.e164 }],
      code: code === '000000' ? '111111' : '000000',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ status: 'error', code: 'invalid_code', message: 'The code is invalid or expired' });
  });

  it('refuses a refresh token presented twice and revokes the session', async () => {
    const email = newEmail('refresh');
    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Re',
      last_name: 'Fresh',
      identity: { provider: 'EMAIL', email, password: 'a long enough password' },
    });
    expect(registered.status).toBe(201);
    const first = await world.selfService('/self-service/v1/contacts/refresh', { refresh_token: registered.body.refresh_token });
    expect(first.status).toBe(200);
    const replay = await world.selfService('/self-service/v1/contacts/refresh', { refresh_token: registered.body.refresh_token });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_refresh_token');
    // The replay revoked the grant: the rotated refresh token is dead too.
    expect((await world.selfService('/self-service/v1/contacts/refresh', { refresh_token: first.body.refresh_token })).status).toBe(401);
  });
});

describe('e-mail + password', () => {
  it('registers and signs in at once, and signs in again with authenticate', async () => {
    const email = newEmail('pw');
    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Grace',
      last_name: 'Hopper',
      title: 'Rear Admiral',
      identity: { provider: 'EMAIL', email, password: 'compilers are fun' },
      service_acceptance: true,
    });
    expect(registered.status).toBe(201);
    expect(registered.body.id).toEqual(expect.any(String));
    expectSignedIn({ ...registered.body, id: undefined }, { title: 'Rear Admiral', first_name: 'Grace', last_name: 'Hopper', is_verified: false });
    expect((await userInfo(registered.body.access_token)).status).toBe(200);

    const signedIn = await world.selfService('/self-service/v1/contacts/authenticate', {
      credentials: [
        { name: 'EMAIL', value: email.toUpperCase() },
        { name: 'PASSWORD', value: 'compilers are fun' },
      ],
    });
    expect(signedIn.status).toBe(200);
    expectSignedIn(signedIn.body, { title: 'Rear Admiral', first_name: 'Grace', last_name: 'Hopper', is_verified: false });

    const wrong = await world.selfService('/self-service/v1/contacts/authenticate', {
      credentials: [
        { name: 'EMAIL', value: email },
        { name: 'PASSWORD', value: 'not the password' },
      ],
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ status: 'error', code: 'invalid_credentials', message: 'The credentials are invalid' });
  });
});

describe('e-mail + OTP', () => {
  it('registers without a password, mails a code and signs in with it', async () => {
    const email = newEmail('mailotp');
    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Andy',
      last_name: 'Steward',
      identity: { provider: 'EMAIL', email },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ id: expect.any(String), next_step: 'VALIDATE_OTP' });
    const mail = await nextMail(email, 0);
    const validated = await world.selfService('/self-service/v1/contacts/validate-otp', {
      credentials: [{ name: 'EMAIL', value: email }],
      code: codeIn(mail.text),
    });
    expect(validated.status).toBe(200);
    expectSignedIn(validated.body, { first_name: 'Andy', last_name: 'Steward', is_verified: true });
    expect((await userInfo(validated.body.access_token)).status).toBe(200);
  });
});

describe('Facebook', () => {
  it('registers with a Facebook access token, links the account and signs in', async () => {
    const email = newEmail('fb');
    const token = world.facebook.issueUserToken({ id: 'fb-100001', email, first_name: 'Face', last_name: 'Book' });
    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Mark',
      last_name: 'Z',
      identity: { provider: 'FACEBOOK', access_token: token },
    });
    expect(registered.status).toBe(201);
    expectSignedIn({ ...registered.body, id: undefined }, { first_name: 'Mark', last_name: 'Z', is_verified: true });
    const links = await world.server
      .em()
      .getConnection()
      .execute(`select provider, subject from customer_identity where customer_id = ?`, [registered.body.id]);
    expect(links).toEqual([{ provider: 'facebook', subject: 'fb-100001' }]);
    expect((await userInfo(registered.body.access_token)).status).toBe(200);

    const customers = await count(world.server, 'customer');
    const again = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Mark',
      last_name: 'Z',
      identity: { provider: 'FACEBOOK', access_token: token },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('identity_exists');
    expect(await count(world.server, 'customer')).toBe(customers);
  });

  it('refuses a token issued to another app with 400', async () => {
    const token = world.facebook.issueUserToken({ id: 'fb-100002', email: newEmail('fb'), appId: '999' });
    const response = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'X',
      last_name: 'Y',
      identity: { provider: 'FACEBOOK', access_token: token },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ status: 'error', code: 'invalid_access_token' });
  });
});

describe('identities that exist', () => {
  it('answers 409 for an e-mail or phone that is taken, and creates and sends nothing', async () => {
    const email = newEmail('dup');
    expect(
      (
        await world.selfService('/self-service/v1/contacts/register', {
          first_name: 'A',
          last_name: 'B',
          identity: { provider: 'EMAIL', email, password: 'first password!' },
        })
      ).status,
    ).toBe(201);
    const phone = newPhone();
    expect(
      (
        await world.selfService('/self-service/v1/contacts/register', {
          first_name: 'A',
          last_name: 'B',
          identity: { provider: 'PHONE', phone_number: phone.e164 },
        })
      ).status,
    ).toBe(201);
    await nextSms(phone.e164, 0);
    const customers = await count(world.server, 'customer');
    const mails = world.providers.smtp.mails.length;

    const sameEmail = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'C',
      last_name: 'D',
      identity: { provider: 'EMAIL', email: email.toUpperCase() },
    });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body).toEqual({ status: 'error', code: 'identity_exists', message: 'A contact with this e-mail address already exists' });
    const samePhone = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'C',
      last_name: 'D',
      identity: { provider: 'PHONE', phone_number: phone.local, country_code: '357' },
    });
    expect(samePhone.status).toBe(409);

    await sleep(300);
    expect(await count(world.server, 'customer')).toBe(customers);
    expect(world.providers.twilio.messages.filter((message) => message.to === phone.e164)).toHaveLength(1);
    expect(world.providers.smtp.mails.length).toBe(mails);
  });
});

describe('bad input and callers', () => {
  it('refuses an unknown provider, a malformed phone and an unknown country with 400, creating nothing', async () => {
    const customers = await count(world.server, 'customer');
    const unknown = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'A',
      last_name: 'B',
      identity: { provider: 'TWITTER', handle: '@x' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ status: 'error', code: 'invalid_request', message: expect.stringContaining('identity.provider') });
    const badPhone = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'A',
      last_name: 'B',
      identity: { provider: 'PHONE', phone_number: '12ab', country_code: 'CYP' },
    });
    expect(badPhone.status).toBe(400);
    expect(badPhone.body.code).toBe('invalid_phone_number');
    const badCountry = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'A',
      last_name: 'B',
      identity: { provider: 'PHONE', phone_number: '99478231', country_code: 'XYZ' },
    });
    expect(badCountry.status).toBe(400);
    expect(badCountry.body.code).toBe('invalid_country_code');
    expect(await count(world.server, 'customer')).toBe(customers);
  });

  it('needs an api_key whitelisted for the endpoint', async () => {
    const body = { first_name: 'A', last_name: 'B', identity: { provider: 'EMAIL', email: newEmail('auth') } };
    const missing = await fetch(`${world.server.url}/self-service/v1/contacts/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(missing.status).toBe(401);
    const { key } = await createApiKey(world.server.em(), { name: 'Other app', endpoints: ['contacts.refresh'] });
    const notWhitelisted = await world.selfService('/self-service/v1/contacts/register', body, key);
    expect(notWhitelisted.status).toBe(403);
    expect(notWhitelisted.body.status).toBe('error');
  });
});

describe('organisations and credentials for back-office contacts', () => {
  it('lists the organisations a contact joined or is shared with when it signs in', async () => {
    const email = newEmail('org');
    const registered = await world.selfService('/self-service/v1/contacts/register', {
      first_name: 'Jo',
      last_name: 'Inner',
      identity: { provider: 'EMAIL', email, password: 'joined password' },
    });
    const organisation = await world.backoffice('POST', '/backoffice/v1/contacts', {
      type: 'ORGANISATION',
      id: '943148fd-a8b7-4634-b39b-5120221967d3',
      name: 'DropHop',
      org_type: 'BUSINESS',
    });
    expect(organisation.status).toBe(201);
    const joined = await world.backoffice('POST', `/backoffice/v1/contacts/${registered.body.id}/organisations`, { organisation_id: organisation.body.id });
    expect(joined.status).toBe(200);
    const signedIn = await world.selfService('/self-service/v1/contacts/authenticate', {
      credentials: [
        { name: 'EMAIL', value: email },
        { name: 'PASSWORD', value: 'joined password' },
      ],
    });
    expect(signedIn.body.organisations).toEqual([{ name: 'DropHop', id: '943148fd-a8b7-4634-b39b-5120221967d3', org_type: 'BUSINESS' }]);
  });

  it('adds a password to a back-office contact matched by id + cross-reference code, once the e-mailed code is validated', async () => {
    const email = newEmail('bo');
    const created = await world.backoffice('POST', '/backoffice/v1/contacts', {
      id: 'CRM-000123',
      first_name: 'Back',
      last_name: 'Office',
      email,
      cross_reference_code: 'XREF-77',
    });
    expect(created.status).toBe(201);

    const mismatch = await world.selfService('/self-service/v1/contacts/identities', {
      contact: { id: 'CRM-000123', cross_reference_code: 'XREF-78' },
      identity: { provider: 'EMAIL', email, password: 'my new password' },
    });
    expect(mismatch.status).toBe(202);
    await sleep(1100);
    const matched = await world.selfService('/self-service/v1/contacts/identities', {
      contact: { id: 'CRM-000123', cross_reference_code: 'XREF-77' },
      identity: { provider: 'EMAIL', email, password: 'my new password' },
    });
    expect(matched.status).toBe(202);
    expect(matched.body).toEqual(mismatch.body);
    const mail = await nextMail(email, 0);
    await sleep(300);
    expect(world.providers.smtp.mails.filter((each) => each.to.includes(email))).toHaveLength(1);

    const before = await world.selfService('/self-service/v1/contacts/authenticate', {
      credentials: [
        { name: 'EMAIL', value: email },
        { name: 'PASSWORD', value: 'my new password' },
      ],
    });
    expect(before.status).toBe(401);
    const validated = await world.selfService('/self-service/v1/contacts/validate-otp', {
      credentials: [{ name: 'EMAIL', value: email }],
      code: codeIn(mail.text),
    });
    expect(validated.status).toBe(200);
    expectSignedIn(validated.body, { first_name: 'Back', last_name: 'Office', is_verified: true });
    const after = await world.selfService('/self-service/v1/contacts/authenticate', {
      credentials: [
        { name: 'EMAIL', value: email },
        { name: 'PASSWORD', value: 'my new password' },
      ],
    });
    expect(after.status).toBe(200);
  });

  it('gives a mismatch on e-mail + last name the same answer and sends nothing', async () => {
    const email = newEmail('bo2');
    await world.backoffice('POST', '/backoffice/v1/contacts', { first_name: 'Weak', last_name: 'Key', email });
    const response = await world.selfService('/self-service/v1/contacts/identities', {
      contact: { email, last_name: 'Wrong' },
      identity: { provider: 'EMAIL', email, password: 'whatever password' },
    });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ status: 'ok', message: 'If the details match a contact, a code has been sent.' });
    await sleep(300);
    expect(world.providers.smtp.mails.filter((each) => each.to.includes(email))).toHaveLength(0);
    expect(await count(world.server, 'contact_pending_identity')).toBe(0);
  });
});

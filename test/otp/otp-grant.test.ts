import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startTestServer, type TestServer } from '../support/server.js';
import {
  codeIn,
  createCustomer,
  customerRow,
  grantCount,
  newEmail,
  newPhone,
  otpGrant,
  requestCode,
  sleep,
  startProviders,
  TWILIO_FROM,
  type Providers,
} from './support.js';

let providers: Providers;
let server: TestServer;
let app: { clientId: string; clientSecret?: string };

beforeAll(async () => {
  providers = await startProviders();
  server = await startTestServer({ ...providers.env, OTP_MAX_PER_IP_PER_HOUR: '1000', LOGIN_FAILURES_PER_IP: '1000' });
  app = await server.createClient({
    name: 'Mobile app',
    grantTypes: ['urn:gatehouse:grant-type:otp', 'refresh_token'],
    scope: 'openid profile email phone offline_access users:read',
  });
});
afterAll(async () => {
  await server?.stop();
  await providers?.stop();
});

const accepted = { status: 'ok', message: 'If the identifier is registered, a code has been sent.' };

describe('one-time code by SMS', () => {
  it('sends the code through Twilio and exchanges it for tokens accepted by userinfo and introspection', async () => {
    const phone = newPhone();
    const customerId = await createCustomer(server, { phoneNumber: phone.e164 });

    const request = await requestCode(server, { phone_number: phone.local, country_code: 'CY' });
    expect(request.status).toBe(202);
    expect(request.body).toEqual(accepted);
    const sms = await providers.twilio.waitForMessage(phone.e164);
    expect(sms.from).toBe(TWILIO_FROM);
    expect(sms.body).toMatch(/^\d{6} is your Gatehouse sign-in code\. It expires in 5 minutes\./);

    const tokens = await otpGrant(server, app, { phone_number: phone.local, country_code: '357', code: codeIn(sms.body), scope: 'openid phone users:read' });
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', scope: 'openid phone users:read' });
    expect(decodeJwt(tokens.body.access_token)).toMatchObject({ sub: customerId, aud: `${server.url}/api` });
    expect(decodeJwt(tokens.body.id_token)).toMatchObject({ sub: customerId, aud: app.clientId });

    const userinfo = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toEqual({ sub: customerId, phone_number: phone.e164, phone_number_verified: true });
    const introspection = await postForm(`${server.url}/oauth/introspect`, { token: tokens.body.access_token }, { basic: [app.clientId, app.clientSecret!] });
    expect(introspection.body).toMatchObject({ active: true, sub: customerId, client_id: app.clientId });

    expect((await customerRow(server, customerId)).phone_verified_at).not.toBeNull();
    const attempts = await server.em().getConnection().execute(`select result from login_attempt where method = 'otp' and customer_id = ?`, [customerId]);
    expect(attempts).toEqual([{ result: 'success' }]);
  });

  it('stores only hashes: neither the code nor the phone number is in otp_challenge', async () => {
    const phone = newPhone();
    await createCustomer(server, { phoneNumber: phone.e164 });
    await requestCode(server, { phone_number: phone.e164 });
    const code = codeIn((await providers.twilio.waitForMessage(phone.e164)).body);

    const rows: any[] = await server.em().getConnection().execute('select * from otp_challenge order by created_at desc limit 1');
    const stored = JSON.stringify(rows[0]);
    expect(rows[0].code_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain(code);
    expect(stored).not.toContain(phone.local);
    expect(rows[0]).toMatchObject({ channel: 'sms', purpose: 'login', attempts: 0, max_attempts: 5, consumed_at: null });
  });
});

describe('one-time code by e-mail', () => {
  it('sends plain-text and HTML parts over SMTP and exchanges the code for tokens', async () => {
    const email = newEmail('mail');
    const customerId = await createCustomer(server, { email });

    const request = await requestCode(server, { email: email.toUpperCase() }, 'form');
    expect(request.status).toBe(202);
    expect(request.body).toEqual(accepted);
    const mail = await providers.smtp.waitForMail(email);
    expect(mail.from).toBe('no-reply@gatehouse.test');
    expect(mail.subject).toBe('Your sign-in code');
    const code = codeIn(mail.text);
    expect(mail.text).toContain('It expires in 5 minutes and can be used once.');
    expect(mail.html).toContain(`>${code}</p>`);
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.subject).not.toContain(code);

    const tokens = await otpGrant(server, app, { email, code, scope: 'openid email' });
    expect(tokens.status).toBe(200);
    const userinfo = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    expect(await userinfo.json()).toEqual({ sub: customerId, email, email_verified: true });
    expect(tokens.body.refresh_token).toEqual(expect.any(String));
  });

  it('accepts a code typed with a space in it', async () => {
    const email = newEmail('spaced');
    await createCustomer(server, { email });
    await requestCode(server, { email });
    const code = codeIn((await providers.smtp.waitForMail(email)).text);
    const tokens = await otpGrant(server, app, { email, code: `${code.slice(0, 3)} ${code.slice(3)}` });
    expect(tokens.status).toBe(200);
  });
});

describe('refusals', () => {
  async function smsCustomer() {
    const phone = newPhone();
    const customerId = await createCustomer(server, { phoneNumber: phone.e164 });
    await requestCode(server, { phone_number: phone.e164 });
    const code = codeIn((await providers.twilio.waitForMessage(phone.e164)).body);
    return { phone, customerId, code };
  }

  it('refuses a code presented a second time, and the first tokens stay the only ones', async () => {
    const { phone, customerId, code } = await smsCustomer();
    expect((await otpGrant(server, app, { phone_number: phone.e164, code })).status).toBe(200);
    const reused = await otpGrant(server, app, { phone_number: phone.e164, code });
    expect(reused.status).toBe(400);
    expect(reused.body).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    expect(await grantCount(server, customerId)).toBe(1);
  });

  it('lets only one of two simultaneous requests with the right code through', async () => {
    const { phone, customerId, code } = await smsCustomer();
    const answers = await Promise.all([otpGrant(server, app, { phone_number: phone.e164, code }), otpGrant(server, app, { phone_number: phone.e164, code })]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
    expect(await grantCount(server, customerId)).toBe(1);
  });

  it('exhausts a code after 5 wrong tries: the limiter answers 429, and the right code still fails afterwards', async () => {
    const { phone, customerId, code } = await smsCustomer();
    const wrong = code === '000000' ? '111111' : '000000';
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await otpGrant(server, app, { phone_number: phone.e164, code: wrong });
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_grant');
    }
    const locked = await otpGrant(server, app, { phone_number: phone.e164, code });
    expect(locked.status).toBe(429);
    expect(locked.body.error).toBe('too_many_attempts');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);

    // Let the lock-out pass (its counter lives in rate_limit): the challenge itself is spent.
    await server.em().getConnection().execute(`delete from rate_limit where key like 'otp:id:%'`);
    const afterLock = await otpGrant(server, app, { phone_number: phone.e164, code });
    expect(afterLock.status).toBe(400);
    expect(afterLock.body.error).toBe('invalid_grant');

    const [challenge]: any[] = await server.em().getConnection().execute('select attempts, consumed_at from otp_challenge where customer_id = ?', [customerId]);
    expect(challenge).toEqual({ attempts: 5, consumed_at: null });
    expect(await customerRow(server, customerId)).toEqual({ email_verified_at: null, phone_verified_at: null });
    expect(await grantCount(server, customerId)).toBe(0);
    const failures = await server.em().getConnection().execute(`select count(*)::int as n from login_attempt where method = 'otp' and result = 'failure'`);
    expect((failures[0] as { n: number }).n).toBeGreaterThanOrEqual(6);
  });

  it('only the newest code works after a resend', async () => {
    const phone = newPhone();
    const customerId = await createCustomer(server, { phoneNumber: phone.e164 });
    const sent = () => providers.twilio.messages.filter((message) => message.to === phone.e164);
    const requestAndReadCode = async () => {
      const before = sent().length;
      expect((await requestCode(server, { phone_number: phone.e164 })).status).toBe(202);
      while (sent().length === before) await sleep(20);
      return codeIn(sent().at(-1)!.body);
    };
    const first = await requestAndReadCode();
    // Move the first challenge back past the resend interval instead of waiting 30 seconds.
    await server.em().getConnection().execute(`update otp_challenge set created_at = created_at - interval '31 seconds' where customer_id = ?`, [customerId]);
    const second = await requestAndReadCode();
    if (first !== second) expect((await otpGrant(server, app, { phone_number: phone.e164, code: first })).body.error).toBe('invalid_grant');
    expect((await otpGrant(server, app, { phone_number: phone.e164, code: second })).status).toBe(200);
  });

  it('answers a request for an unknown identifier exactly like a known one and sends nothing', async () => {
    const known = newPhone();
    await createCustomer(server, { phoneNumber: known.e164 });
    const unknown = newPhone();
    const knownAnswer = await requestCode(server, { phone_number: known.e164 });
    const unknownAnswer = await requestCode(server, { phone_number: unknown.e164 });
    expect(unknownAnswer.status).toBe(knownAnswer.status);
    expect(unknownAnswer.body).toEqual(knownAnswer.body);
    expect(unknownAnswer.headers.get('content-type')).toBe(knownAnswer.headers.get('content-type'));
    expect(unknownAnswer.headers.get('cache-control')).toBe('no-store');

    await providers.twilio.waitForMessage(known.e164);
    await sleep(300);
    expect(providers.twilio.messages.some((message) => message.to === unknown.e164)).toBe(false);

    const unknownEmail = newEmail('ghost');
    expect(await requestCode(server, { email: unknownEmail })).toEqual({ ...knownAnswer, headers: expect.anything() });
    await sleep(300);
    expect(providers.smtp.mails.some((mail) => mail.to.includes(unknownEmail))).toBe(false);
  });

  it('refuses any code for an unknown identifier with the same error as a wrong code', async () => {
    const { phone } = await smsCustomer();
    const unknown = newPhone();
    await requestCode(server, { phone_number: unknown.e164 });
    const wrongCode = await otpGrant(server, app, { phone_number: phone.e164, code: '123456' });
    const unknownIdentifier = await otpGrant(server, app, { phone_number: unknown.e164, code: '123456' });
    const neverRequested = await otpGrant(server, app, { email: newEmail('never'), code: '123456' });
    expect(unknownIdentifier.status).toBe(400);
    expect(unknownIdentifier.body).toEqual(wrongCode.body);
    expect(neverRequested.body).toEqual(wrongCode.body);
  });

  it('throttles a resend within 30 seconds with 429 and Retry-After, for unknown identifiers alike', async () => {
    const { phone } = await smsCustomer();
    const again = await requestCode(server, { phone_number: phone.e164 });
    expect(again.status).toBe(429);
    expect(again.body).toMatchObject({ status: 'error', code: 'too_many_requests' });
    const retryAfter = Number(again.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30);

    const unknown = newPhone();
    await requestCode(server, { phone_number: unknown.e164 });
    const unknownAgain = await requestCode(server, { phone_number: unknown.e164 });
    expect(unknownAgain.status).toBe(429);
    expect(unknownAgain.body).toEqual(again.body);
  });

  it('rejects malformed identifiers with 400 in the REMP error shape', async () => {
    const badEmail = await requestCode(server, { email: 'not-an-address' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body).toMatchObject({ status: 'error', code: 'invalid_request', message: expect.stringContaining('email') });
    const badPhone = await requestCode(server, { phone_number: '123', country_code: 'CY' });
    expect(badPhone.status).toBe(400);
    expect(badPhone.body).toMatchObject({ status: 'error', code: 'invalid_phone_number' });
    const nothing = await requestCode(server, {});
    expect(nothing.status).toBe(400);
    const both = await requestCode(server, { email: newEmail(), phone_number: newPhone().e164 });
    expect(both.status).toBe(400);

    const grant = await otpGrant(server, app, { phone_number: 'abc', code: '123456' });
    expect(grant.body.error).toBe('invalid_request');
    const noCode = await otpGrant(server, app, { email: newEmail() });
    expect(noCode.body.error).toBe('invalid_request');
  });

  it('refuses clients not allowed the OTP grant with unauthorized_client', async () => {
    const other = await server.createClient({ name: 'password only', grantTypes: ['password'], scope: 'openid' });
    const { phone, customerId, code } = await smsCustomer();
    const response = await otpGrant(server, other, { phone_number: phone.e164, code });
    expect(response.body.error).toBe('unauthorized_client');
    expect(await grantCount(server, customerId)).toBe(0);
  });
});

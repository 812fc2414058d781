import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSmtp, type FakeSmtp } from '../support/fakes/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { codeIn, createCustomer, newEmail, newPhone, otpGrant, requestCode, sleep } from './support.js';

describe('development outbox (no SMS or SMTP provider configured)', () => {
  let server: TestServer;
  let app: { clientId: string; clientSecret?: string };

  beforeAll(async () => {
    server = await startTestServer();
    app = await server.createClient({ name: 'Dev app', grantTypes: ['urn:gatehouse:grant-type:otp'], scope: 'openid email phone' });
  });
  afterAll(() => server?.stop());

  const outbox = async (to?: string) => {
    const response = await fetch(`${server.url}/dev/outbox${to ? `?to=${encodeURIComponent(to)}` : ''}`);
    expect(response.status).toBe(200);
    return (await response.json()) as {
      messages: Array<{ channel: string; to: string; subject: string | null; text: string; html: string | null; created_at: string }>;
    };
  };
  const waitForOutbox = async (to: string) => {
    for (let tries = 0; tries < 100; tries += 1) {
      const { messages } = await outbox(to);
      if (messages.length > 0) return messages;
      await sleep(50);
    }
    throw new Error(`nothing in the outbox for ${to}`);
  };

  it('keeps e-mail and SMS codes at GET /dev/outbox, newest first and filtered by recipient, and the codes work', async () => {
    const email = newEmail('dev');
    const phone = newPhone();
    await createCustomer(server, { email });
    await createCustomer(server, { phoneNumber: phone.e164 });

    expect((await requestCode(server, { email })).status).toBe(202);
    const [mail] = await waitForOutbox(email.toUpperCase());
    expect(mail).toMatchObject({ channel: 'email', to: email, subject: 'Your sign-in code', html: expect.stringContaining('<!doctype html>') });
    expect((await otpGrant(server, app, { email, code: codeIn(mail!.text) })).status).toBe(200);

    expect((await requestCode(server, { phone_number: phone.e164 })).status).toBe(202);
    const [sms] = await waitForOutbox(phone.e164);
    expect(sms).toMatchObject({ channel: 'sms', to: phone.e164, subject: null, html: null });
    expect((await otpGrant(server, app, { phone_number: phone.e164, code: codeIn(sms!.text) })).status).toBe(200);

    const { messages } = await outbox();
    expect(messages.map((message) => message.to)).toEqual([phone.e164, email]);
  });

  it('keeps nothing for an unknown identifier', async () => {
    const ghost = newEmail('ghost');
    expect((await requestCode(server, { email: ghost })).status).toBe(202);
    await sleep(300);
    expect((await outbox(ghost)).messages).toEqual([]);
  });
});

describe('production (NODE_ENV=production)', () => {
  let server: TestServer;
  let smtp: FakeSmtp;

  beforeAll(async () => {
    smtp = await startFakeSmtp();
    // The test server supplies GATEHOUSE_SECRET and DATABASE_URL, which production requires.
    server = await startTestServer({ NODE_ENV: 'production', SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.stop();
  });

  it('has no /dev/outbox route', async () => {
    expect((await fetch(`${server.url}/dev/outbox`)).status).toBe(404);
    expect(server.gatehouse.routes.some((route) => route.path.startsWith('/dev/'))).toBe(false);
  });

  it('sends through the configured provider and refuses a channel that has none with 503 instead of an outbox', async () => {
    const email = newEmail('prod');
    await createCustomer(server, { email });
    expect((await requestCode(server, { email })).status).toBe(202);
    expect(codeIn((await smtp.waitForMail(email)).text)).toMatch(/^\d{6}$/);

    const sms = await requestCode(server, { phone_number: newPhone().e164 });
    expect(sms.status).toBe(503);
    expect(sms.body).toMatchObject({ status: 'error', code: 'channel_unavailable' });
    const [row]: any[] = await server.em().getConnection().execute('select count(*)::int as n from dev_outbox_message');
    expect(row.n).toBe(0);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import { createSmtpEmail } from '../../src/platform/notify/email.js';
import { createTwilioSms } from '../../src/platform/notify/sms.js';
import { DeliveryFailed } from '../../src/platform/notify/transports.js';
import { TEST_SECRET } from '../support/server.js';
import { startProviders, TWILIO_ACCOUNT, type Providers } from './support.js';

let providers: Providers;

beforeAll(async () => {
  providers = await startProviders();
});
afterAll(() => providers?.stop());

const base = { NODE_ENV: 'test', GATEHOUSE_SECRET: TEST_SECRET, DATABASE_URL: 'postgres://db/x' };

describe('message transports', () => {
  it('sends through a Twilio Messaging Service when one is configured instead of a From number', async () => {
    const sms = createTwilioSms({
      ...TWILIO_ACCOUNT,
      messagingServiceSid: 'MG0123456789abcdef0123456789abcdef',
      from: undefined,
      apiBaseUrl: providers.twilio.url,
    });
    await sms.send('+35799000001', 'hello');
    expect(await providers.twilio.waitForMessage('+35799000001')).toMatchObject({
      from: null,
      messagingServiceSid: 'MG0123456789abcdef0123456789abcdef',
      body: 'hello',
    });
  });

  it("reports Twilio's refusal with its status and code, without the message", async () => {
    const sms = createTwilioSms({ ...TWILIO_ACCOUNT, from: '+15005550006', messagingServiceSid: undefined, apiBaseUrl: providers.twilio.url });
    providers.twilio.rejectNextMessage();
    const failure = await sms.send('+35799000002', 'secret 123456').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeliveryFailed);
    expect((failure as Error).message).toContain('400/21211');
    expect((failure as Error).message).not.toContain('123456');
  });

  it('sends multipart e-mail through SMTP with the configured sender', async () => {
    const email = createSmtpEmail({ url: providers.smtp.url.replace('smtp://', 'smtp://mailer:pw@'), from: 'Gatehouse <auth@gatehouse.test>' });
    await email.send({ to: 'ada@example.com', subject: 'Hi', text: 'plain\n', html: '<p>rich</p>' });
    expect(await providers.smtp.waitForMail('ada@example.com')).toMatchObject({
      from: 'auth@gatehouse.test',
      subject: 'Hi',
      text: 'plain\n',
      html: '<p>rich</p>',
      authenticatedUser: 'mailer',
    });
  });
});

describe('notification configuration', () => {
  it('refuses half a Twilio configuration at start-up', () => {
    expect(() => loadConfig({ ...base, TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid, TWILIO_AUTH_TOKEN: 'x' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, TWILIO_AUTH_TOKEN: 'x', TWILIO_FROM: '+15005550006' })).toThrow(/must be set together/);
    expect(() => loadConfig({ ...base, SMTP_URL: 'http://mail.example.com' })).toThrow(/SMTP_URL/);
  });

  it('defaults the OTP settings and the sender', () => {
    const config = loadConfig({ ...base, SMTP_URL: 'smtps://user:pass@mail.example.com:465', ISSUER: 'https://id.example.com' });
    expect(config.otp).toEqual({ codeLength: 6, ttlSeconds: 300, maxAttempts: 5, resendSeconds: 30, maxPerHour: 5, maxPerIpPerHour: 30 });
    expect(config.notify).toEqual({ twilio: undefined, smtp: { url: 'smtps://user:pass@mail.example.com:465', from: 'Gatehouse <no-reply@id.example.com>' } });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger.js';
import { createNotifier, type Notifier } from '../../src/platform/notify/notifier.js';
import { createOtpKeys } from '../../src/identity/credentials/otp/codes.js';
import { parseOtpIdentifier } from '../../src/identity/credentials/otp/identifier.js';
import { requestOtp, verifyOtp } from '../../src/identity/credentials/otp/service.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { codeIn, createCustomer, customerRow, newEmail } from './support.js';

// The service as issue #5 (CRM.COM register / request-otp / validate-otp) calls it, without HTTP.
let server: TestServer;
let notifier: Notifier;

beforeAll(async () => {
  server = await startTestServer();
  notifier = await createNotifier({ config: server.gatehouse.config, orm: server.gatehouse.orm, logger: createLogger('silent') });
});
afterAll(async () => {
  await notifier?.close();
  await server?.stop();
});

const deps = () => ({ em: server.em(), keys: createOtpKeys(server.gatehouse.config.secret), settings: server.gatehouse.config.otp, notifier });

async function lastOutboxText(recipient: string): Promise<string> {
  await notifier.settle();
  const [row]: any[] = await server
    .em()
    .getConnection()
    .execute('select text from dev_outbox_message where recipient = ? order by created_at desc limit 1', [recipient]);
  return row.text;
}

describe('OTP service', () => {
  it('sends a verification code for a customer being registered and verifies its e-mail address with it', async () => {
    const email = newEmail('register');
    const customerId = await createCustomer(server, { email });
    const identifier = parseOtpIdentifier({ email });

    const { expiresAt } = await requestOtp(deps(), { identifier, purpose: 'verify', customerId });
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 290_000);
    const text = await lastOutboxText(email);
    expect(text).toContain('Your verification code is');

    expect(await verifyOtp(deps(), { identifier, code: codeIn(text) })).toBe(customerId);
    expect((await customerRow(server, customerId)).email_verified_at).not.toBeNull();
    expect(await verifyOtp(deps(), { identifier, code: codeIn(text) })).toBeNull();
  });

  it("throws Locked (the HTTP route's 429) when asked again within the resend interval", async () => {
    const identifier = parseOtpIdentifier({ email: newEmail('again') });
    await requestOtp(deps(), { identifier });
    await expect(requestOtp(deps(), { identifier })).rejects.toMatchObject({ kind: 'locked', code: 'too_many_requests' });
  });

  it("rejects malformed contacts with a domain error (the HTTP route's 400)", () => {
    expect(() => parseOtpIdentifier({ phone_number: '12345', country_code: 'CY' })).toThrow(
      expect.objectContaining({ kind: 'invalid', code: 'invalid_phone_number' }),
    );
    expect(parseOtpIdentifier({ phone_number: '99 123 456', country_code: 'CY' })).toEqual({ channel: 'sms', value: '+35799123456' });
    expect(parseOtpIdentifier({ email: 'Ada@Example.COM' })).toEqual({ channel: 'email', value: 'ada@example.com' });
  });
});

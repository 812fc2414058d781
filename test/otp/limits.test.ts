import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { codeIn, createCustomer, customerRow, grantCount, newPhone, otpGrant, requestCode, sleep, startProviders, type Providers } from './support.js';

let providers: Providers;
let server: TestServer;
let app: { clientId: string; clientSecret?: string };

const IP_CAP = 10;

beforeAll(async () => {
  providers = await startProviders();
  server = await startTestServer({ ...providers.env, OTP_TTL: '2', OTP_RESEND_SECONDS: '1', OTP_MAX_PER_HOUR: '3', OTP_MAX_PER_IP_PER_HOUR: String(IP_CAP) });
  app = await server.createClient({ name: 'Mobile app', grantTypes: ['urn:gatehouse:grant-type:otp'], scope: 'openid phone' });
});
afterAll(async () => {
  await server?.stop();
  await providers?.stop();
});

describe('OTP lifetime and request caps', () => {
  it('refuses a code once OTP_TTL has passed, and changes nothing', async () => {
    const phone = newPhone();
    const customerId = await createCustomer(server, { phoneNumber: phone.e164 });
    await requestCode(server, { phone_number: phone.e164 });
    const sms = await providers.twilio.waitForMessage(phone.e164);
    expect(sms.body).toContain('It expires in 2 seconds.');
    await sleep(2200);

    const response = await otpGrant(server, app, { phone_number: phone.e164, code: codeIn(sms.body) });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
    expect(await customerRow(server, customerId)).toEqual({ email_verified_at: null, phone_verified_at: null });
    expect(await grantCount(server, customerId)).toBe(0);
  });

  it('caps codes per identifier per hour, answering unknown identifiers the same way', async () => {
    const known = newPhone();
    await createCustomer(server, { phoneNumber: known.e164 });
    const unknown = newPhone();
    for (let round = 0; round < 3; round += 1) {
      if (round > 0) await sleep(1100); // OTP_RESEND_SECONDS=1
      const [knownAnswer, unknownAnswer] = await Promise.all([
        requestCode(server, { phone_number: known.e164 }),
        requestCode(server, { phone_number: unknown.e164 }),
      ]);
      expect([knownAnswer.status, unknownAnswer.status]).toEqual([202, 202]);
    }
    await sleep(1100);
    const [knownCapped, unknownCapped] = await Promise.all([
      requestCode(server, { phone_number: known.e164 }),
      requestCode(server, { phone_number: unknown.e164 }),
    ]);
    expect(knownCapped.status).toBe(429);
    expect(unknownCapped.status).toBe(429);
    expect(unknownCapped.body).toEqual(knownCapped.body);
    // The oldest of the three leaves the one-hour window in just under an hour.
    expect(Number(knownCapped.headers.get('retry-after'))).toBeGreaterThan(3500);
    expect(Number(knownCapped.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
    await sleep(200);
    expect(providers.twilio.messages.filter((message) => message.to === known.e164)).toHaveLength(3);
  });

  it('caps codes per client IP per hour across identifiers', async () => {
    let status = 0;
    for (let attempt = 0; attempt < IP_CAP + 2 && status !== 429; attempt += 1) {
      status = (await requestCode(server, { phone_number: newPhone().e164 })).status;
    }
    expect(status).toBe(429);
    const [row]: any[] = await server.em().getConnection().execute('select count(*)::int as n from otp_challenge');
    expect(row.n).toBe(IP_CAP);
  });
});

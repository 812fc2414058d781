import { randomBytes } from 'node:crypto';
import { insertCustomer } from '../../src/identity/customers/service.js';
import { startFakeSmtp, startFakeTwilio, type FakeSmtp, type FakeTwilio } from '../support/fakes/index.js';
import { postForm, type TestServer } from '../support/server.js';

export const OTP_GRANT = 'urn:gatehouse:grant-type:otp';
export const TWILIO_ACCOUNT = { accountSid: `AC${randomBytes(16).toString('hex')}`, authToken: randomBytes(16).toString('hex') };
export const TWILIO_FROM = '+15005550006';

export interface Providers {
  twilio: FakeTwilio;
  smtp: FakeSmtp;
  /** Environment that points Gatehouse's real Twilio and SMTP clients at the fakes. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startProviders(): Promise<Providers> {
  const twilio = await startFakeTwilio(TWILIO_ACCOUNT);
  const smtp = await startFakeSmtp();
  return {
    twilio,
    smtp,
    env: {
      TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
      TWILIO_FROM,
      TWILIO_API_BASE_URL: twilio.url,
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Gatehouse <no-reply@gatehouse.test>',
    },
    stop: async () => {
      await twilio.stop();
      await smtp.stop();
    },
  };
}

let phoneCounter = 0;

/** A Cypriot mobile number nobody else in the run uses: `local` for the form, `e164` as stored. */
export function newPhone(): { local: string; e164: string } {
  phoneCounter += 1;
  const local = `99${String(process.pid % 1000).padStart(3, '0')}${String(phoneCounter).padStart(3, '0')}`;
  return { local, e164: `+357${local}` };
}

export const newEmail = (label = 'otp') => `${label}-${randomBytes(4).toString('hex')}@example.com`;

/** Customers as a CRM.COM registration leaves them: contact given, not yet verified. */
export async function createCustomer(server: TestServer, fields: { email?: string; phoneNumber?: string }) {
  const customer = await insertCustomer(server.em(), { ...fields, firstName: 'Ada', lastName: 'Lovelace' });
  return customer.id;
}

export async function requestCode(server: TestServer, body: Record<string, string>, as: 'json' | 'form' = 'json') {
  if (as === 'form') return postForm(`${server.url}/api/v1/otp/request`, body);
  const response = await fetch(`${server.url}/api/v1/otp/request`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

export function otpGrant(server: TestServer, client: { clientId: string; clientSecret?: string }, form: Record<string, string>) {
  return postForm(`${server.url}/oauth/token`, { grant_type: OTP_GRANT, ...form }, { basic: [client.clientId, client.clientSecret!] });
}

export function codeIn(text: string): string {
  const match = /\b(\d{6})\b/.exec(text);
  if (!match) throw new Error(`no 6-digit code in: ${text}`);
  return match[1]!;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function customerRow(server: TestServer, id: string) {
  const [row] = await server.em().getConnection().execute('select email_verified_at, phone_verified_at from customer where id = ?', [id]);
  return row as { email_verified_at: Date | null; phone_verified_at: Date | null };
}

/** oidc-provider Grant rows for the customer: one per successful token issuance. */
export async function grantCount(server: TestServer, customerId: string): Promise<number> {
  const [row] = await server
    .em()
    .getConnection()
    .execute(`select count(*)::int as n from oidc_model where model = 'Grant' and payload->>'accountId' = ?`, [customerId]);
  return (row as { n: number }).n;
}

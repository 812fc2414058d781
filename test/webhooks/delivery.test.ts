import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../../src/identity/events/signature.js';
import { clientToken } from '../http/support.js';
import { runCli } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { sessionm, setUpIntegration, signupExample, usersPath, type SessionmIntegration } from '../sessionm/support.js';
import { forCustomer, startReceiver, waitUntil, type ReceivedWebhook, type WebhookReceiver } from './support.js';

const SECRET = 'whsec-test-0123456789abcdef';
const MAX_ATTEMPTS = 4;
let receiver: WebhookReceiver;
let server: TestServer;
let app: SessionmIntegration;
type Reply = { status: number; hangMs?: number };
/** Replies per `e-mail|event type` of a signed-up customer, consumed in order; then 200. */
const plans = new Map<string, Reply[]>();

beforeAll(async () => {
  receiver = await startReceiver();
  receiver.reply = (webhook) => plans.get(`${webhook.body.data.email}|${webhook.body.type}`)?.shift() ?? { status: 200 };
  server = await startTestServer({
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_POLL_MS: '50',
    WEBHOOK_TIMEOUT_MS: '400',
    WEBHOOK_RETRY_BASE_MS: '100',
    WEBHOOK_RETRY_MAX_MS: '300',
    WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  });
  app = await setUpIntegration(server);
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

async function signUp(replies: Partial<Record<'NewUserEvent' | 'UserRegisteredEvent', Reply[]>> = {}) {
  const signup = signupExample();
  for (const [type, plan] of Object.entries(replies)) plans.set(`${signup.user.email}|${type}`, plan);
  const created = await sessionm(server, 'POST', usersPath(app.apiKey), { token: app.serverToken, json: signup });
  expect(created.status).toBe(200);
  return { id: created.body.user.id as string, email: signup.user.email };
}

const deliveryRows = async (customerId: string) =>
  (await server
    .em()
    .getConnection()
    .execute(`select d.*, e.type from webhook_delivery d join outbox_event e on e.id = d.event_id where e.customer_id = ? order by e.type`, [
      customerId,
    ])) as any[];

/** The receiver's side of X-Gatehouse-Signature, written out as an integrator would. */
function receiverAccepts(webhook: ReceivedWebhook, secret: string): boolean {
  const header = String(webhook.headers['x-gatehouse-signature']);
  const fields = Object.fromEntries(header.split(',').map((part) => part.split('=') as [string, string]));
  const timestamp = Number(fields.t);
  if (Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${fields.t}.${webhook.rawBody}`).digest();
  const presented = Buffer.from(fields.v1 ?? '', 'hex');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

describe('webhook delivery', () => {
  it('POSTs a SessionM sign-up to the receiver as NewUserEvent and UserRegisteredEvent, signed', async () => {
    const customer = await signUp();
    const received = forCustomer(await receiver.waitFor((all) => forCustomer(all, customer.id).length === 2), customer.id);
    expect(received.map((each) => each.body.type).sort()).toEqual(['NewUserEvent', 'UserRegisteredEvent']);

    const registered = received.find((each) => each.body.type === 'UserRegisteredEvent')!;
    expect(registered.headers['content-type']).toBe('application/json');
    expect(registered.headers['x-gatehouse-event']).toBe('UserRegisteredEvent');
    expect(registered.headers['x-gatehouse-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(registered.headers['x-gatehouse-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(registered.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'UserRegisteredEvent',
      occurred_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      customer_id: customer.id,
      data: { user_id: customer.id, email: customer.email, external_id: expect.any(String), external_id_type: 'facebook', source: 'sessionm' },
    });

    expect(receiverAccepts(registered, SECRET)).toBe(true);
    expect(verifyWebhookSignature(SECRET, String(registered.headers['x-gatehouse-signature']), registered.rawBody)).toBe(true);
    expect(receiverAccepts(registered, 'another-secret-entirely')).toBe(false);
    expect(receiverAccepts({ ...registered, rawBody: registered.rawBody.replace(customer.email, 'evil@example.com') }, SECRET)).toBe(false);

    await waitUntil(async () => (await deliveryRows(customer.id)).filter((row) => row.delivered_at).length === 2, 5000, 'delivered_at recorded');
    const rows = await deliveryRows(customer.id);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ id: registered.headers['x-gatehouse-delivery'], url: receiver.url, attempts: 1, last_status: 200, failed_at: null });
  });

  it('retries after an error and a timeout, with the same delivery id, and delivers on the third attempt', async () => {
    const flaky = await signUp({ UserRegisteredEvent: [{ status: 500 }, { status: 200, hangMs: 1000 }] });
    const registered = (all: ReceivedWebhook[]) => forCustomer(all, flaky.id, 'UserRegisteredEvent');
    const attempts = registered(await receiver.waitFor((all) => registered(all).length >= 3));
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((each) => each.headers['x-gatehouse-delivery'])).size).toBe(1);
    expect(attempts.map((each) => each.headers['x-gatehouse-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(attempts.map((each) => each.rawBody)).size).toBe(1);
    expect(attempts.every((each) => receiverAccepts(each, SECRET))).toBe(true);
    // Back-off: WEBHOOK_RETRY_BASE_MS=100 with equal jitter waits 50–100 ms before the second attempt.
    expect(attempts[1]!.receivedAt - attempts[0]!.receivedAt).toBeGreaterThanOrEqual(45);

    await waitUntil(async () => (await deliveryRows(flaky.id)).filter((row) => row.delivered_at).length === 2, 5000, 'both delivered');
    const [newUser, userRegistered] = await deliveryRows(flaky.id);
    expect(newUser).toMatchObject({ attempts: 1, last_status: 200 });
    expect(userRegistered).toMatchObject({ id: attempts[0]!.headers['x-gatehouse-delivery'], attempts: 3, last_status: 200, last_error: null });
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS and shows the failure to an admin', async () => {
    const failing = () => Array.from({ length: MAX_ATTEMPTS + 1 }, () => ({ status: 503 }));
    const customer = await signUp({ NewUserEvent: failing(), UserRegisteredEvent: failing() });
    await waitUntil(async () => (await deliveryRows(customer.id)).filter((row) => row.failed_at).length === 2, 15_000, 'failed_at recorded');
    const rows = await deliveryRows(customer.id);
    expect(rows.map((row) => [row.attempts, row.last_status, row.last_error, row.delivered_at])).toEqual([
      [MAX_ATTEMPTS, 503, 'HTTP 503', null],
      [MAX_ATTEMPTS, 503, 'HTTP 503', null],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(forCustomer(receiver.received, customer.id)).toHaveLength(2 * MAX_ATTEMPTS);

    const admin = await clientToken(server, 'users:admin');
    const listed = await fetch(`${server.url}/api/v1/admin/webhooks/deliveries?status=failed`, { headers: { authorization: `Bearer ${admin.accessToken}` } });
    expect(listed.status).toBe(200);
    const { deliveries } = (await listed.json()) as { deliveries: any[] };
    const ours = deliveries.filter((each) => rows.some((row) => row.id === each.id));
    expect(ours.map((each) => each.event_type).sort()).toEqual(['NewUserEvent', 'UserRegisteredEvent']);
    for (const each of ours) {
      expect(each).toMatchObject({
        status: 'failed',
        attempts: MAX_ATTEMPTS,
        last_status: 503,
        last_error: 'HTTP 503',
        url: receiver.url,
        next_attempt_at: null,
      });
    }

    const reader = await clientToken(server, 'users:read');
    expect((await fetch(`${server.url}/api/v1/admin/webhooks/deliveries`, { headers: { authorization: `Bearer ${reader.accessToken}` } })).status).toBe(403);
  });

  it('prints the signing secret for receivers with `npm run cli -- webhooks:secret`', async () => {
    const printed = await runCli(['webhooks:secret'], server.env);
    expect(printed.code).toBe(0);
    expect(printed.stdout.trim()).toBe(SECRET);
  });
});

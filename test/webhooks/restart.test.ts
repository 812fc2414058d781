import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { startGatehouse, type RunningGatehouse } from '../../src/server.js';
import { freePort } from '../support/ports.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { sessionm, setUpIntegration, signupExample, usersPath, type SessionmIntegration } from '../sessionm/support.js';
import { forCustomer, startReceiver, waitUntil, type WebhookReceiver } from './support.js';

let receiver: WebhookReceiver;
let server: TestServer;
let app: SessionmIntegration;
/** E-mails whose events the receiver refuses (503) while listed. */
const down = new Set<string>();
/** E-mails whose events the receiver answers only after this many ms. */
const slow = new Map<string, number>();

beforeAll(async () => {
  receiver = await startReceiver();
  receiver.reply = (webhook) => (down.has(webhook.body.data.email) ? { status: 503 } : { status: 200, hangMs: slow.get(webhook.body.data.email) });
  server = await startTestServer({
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET: 'whsec-restart-0123456789',
    WEBHOOK_POLL_MS: '50',
    WEBHOOK_TIMEOUT_MS: '3000',
    WEBHOOK_RETRY_BASE_MS: '100',
    WEBHOOK_RETRY_MAX_MS: '200',
    WEBHOOK_MAX_ATTEMPTS: '100',
  });
  app = await setUpIntegration(server);
});
afterAll(async () => {
  await server?.stop();
  await receiver?.stop();
});

async function signUp(before?: (email: string) => void) {
  const signup = signupExample();
  before?.(signup.user.email);
  const created = await sessionm(server, 'POST', usersPath(app.apiKey), { token: app.serverToken, json: signup });
  expect(created.status).toBe(200);
  return { id: created.body.user.id as string, email: signup.user.email };
}

const deliveries = async (customerId: string) =>
  (await server
    .em()
    .getConnection()
    .execute('select d.* from webhook_delivery d join outbox_event e on e.id = d.event_id where e.customer_id = ?', [customerId])) as any[];

describe('webhook delivery across restarts and instances', () => {
  it('delivers an event that was still undelivered when the server restarted', async () => {
    const customer = await signUp((email) => down.add(email));
    await waitUntil(async () => (await deliveries(customer.id)).filter((row) => row.attempts >= 1).length === 2, 10_000, 'first attempts made');

    await server.restart();
    const afterRestart = await deliveries(customer.id);
    expect(afterRestart.every((row) => row.delivered_at === null && row.failed_at === null)).toBe(true);
    const refusedBefore = forCustomer(receiver.received, customer.id).length;

    down.delete(customer.email);
    await waitUntil(async () => (await deliveries(customer.id)).filter((row) => row.delivered_at).length === 2, 10_000, 'delivered after restart');
    const accepted = forCustomer(receiver.received, customer.id).slice(refusedBefore);
    expect(accepted.map((each) => each.body.type).sort()).toEqual(['NewUserEvent', 'UserRegisteredEvent']);
    expect(new Set(accepted.map((each) => each.headers['x-gatehouse-delivery']))).toEqual(new Set(afterRestart.map((row) => row.id)));
  });

  it('finishes and records a delivery in flight when it shuts down, so it is not sent again', async () => {
    const customer = await signUp((email) => slow.set(email, 800));
    await receiver.waitFor((all) => forCustomer(all, customer.id).length === 2);
    await server.restart();

    const rows = await deliveries(customer.id);
    expect(rows.map((row) => [row.attempts, row.last_status, Boolean(row.delivered_at)])).toEqual([
      [1, 200, true],
      [1, 200, true],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(forCustomer(receiver.received, customer.id)).toHaveLength(2);
  });

  it('never sends an event twice when two instances share the database', async () => {
    const second: RunningGatehouse = await startGatehouse(loadConfig({ ...server.env, PORT: String(await freePort()) }), createLogger('silent'));
    try {
      const customers = [];
      for (let index = 0; index < 12; index += 1) customers.push(await signUp());
      const ids = new Set(customers.map((customer) => customer.id));
      const ours = () => receiver.received.filter((each) => ids.has(each.body.customer_id ?? ''));
      await receiver.waitFor(() => ours().length >= 24);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const deliveryIds = ours().map((each) => String(each.headers['x-gatehouse-delivery']));
      expect(deliveryIds).toHaveLength(24);
      expect(new Set(deliveryIds).size).toBe(24);
    } finally {
      await second.stop();
    }
  });
});

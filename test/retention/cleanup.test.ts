import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let customerId: string;

beforeAll(async () => {
  server = await startTestServer();
  customerId = (await server.createUser()).id;
});
afterAll(() => server?.stop());

const sql = async (statement: string, params: unknown[] = []) => (await server.em().getConnection().execute(statement, params)) as any[];
const ago = (days: number) => new Date(Date.now() - days * 86_400_000);
const fromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000);

async function loginAttempt(label: string, createdAt: Date) {
  await sql(`insert into login_attempt (customer_id, method, result, source, created_at) values (?, 'password', 'failure', ?, ?)`, [
    customerId,
    label,
    createdAt,
  ]);
}

const RECEIVER = 'https://receiver.example/hook';

async function outboxEvent(label: string, createdAt: Date, delivery?: 'delivered' | 'failed' | 'pending', url = RECEIVER) {
  const id = randomUUID();
  await sql(`insert into outbox_event (id, type, customer_id, payload, created_at, fanned_out_at) values (?, 'UserUpdatedEvent', ?, ?, ?, ?)`, [
    id,
    customerId,
    JSON.stringify({ label }),
    createdAt,
    delivery ? createdAt : null,
  ]);
  if (delivery) {
    await sql(
      `insert into webhook_delivery (id, event_id, url, attempts, next_attempt_at, delivered_at, failed_at, created_at, updated_at)
       values (?, ?, ?, 1, ?, ?, ?, ?, ?)`,
      [randomUUID(), id, url, createdAt, delivery === 'delivered' ? createdAt : null, delivery === 'failed' ? createdAt : null, createdAt, createdAt],
    );
  }
}

const cleanup = async (env: Record<string, string> = {}) => {
  const result = await runCli(['cleanup'], { ...server.env, WEBHOOK_URLS: RECEIVER, ...env });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
};

describe('npm run cli -- cleanup', () => {
  beforeAll(async () => {
    await loginAttempt('100 days', ago(100));
    await loginAttempt('91 days', ago(91));
    await loginAttempt('40 days', ago(40));
    await loginAttempt('yesterday', ago(1));

    await sql(
      `insert into oidc_model (model, id, payload, expires_at) values ('Session', 'expired', '{}', ?), ('Session', 'valid', '{}', ?), ('Client', 'forever', '{}', null)`,
      [fromNow(-1), fromNow(1)],
    );
    await sql(`insert into revoked_token (kind, value, expires_at) values ('jti', 'expired', ?), ('jti', 'valid', ?)`, [fromNow(-1), fromNow(1)]);
    await sql(
      `insert into autologin_token (id, token_hash, customer_id, valid_from, valid_to, max_uses, created_at)
       values (?, 'expired-hash', ?, ?, ?, 1, ?), (?, 'valid-hash', ?, ?, ?, 1, ?)`,
      [randomUUID(), customerId, ago(2), fromNow(-1), ago(2), randomUUID(), customerId, ago(1), fromNow(24), ago(1)],
    );

    await outboxEvent('old, delivered', ago(45), 'delivered');
    await outboxEvent('old, failed for good', ago(45), 'failed');
    await outboxEvent('old, never sent (no receivers)', ago(45));
    await outboxEvent('old, still pending', ago(45), 'pending');
    await outboxEvent('old, pending for a receiver no longer configured', ago(45), 'pending', 'https://retired.example/hook');
    await outboxEvent('recent, delivered', ago(2), 'delivered');

    await sql(`insert into passcode_lookup_audit (tenant_id, result, ip, created_at) values ('t1', 'found', '127.0.0.1', ?), ('t1', 'found', '127.0.0.1', ?)`, [
      ago(400),
      ago(10),
    ]);
  });

  it('deletes what is past its retention, keeps the rest, and prints the counts as JSON', async () => {
    expect(await cleanup()).toEqual({
      login_attempts: 2,
      oidc_models: 1,
      revoked_tokens: 1,
      autologin_tokens: 1,
      outbox_events: 4,
      webhook_deliveries: 3,
      change_logs: { access_token_state_change: 0, passcode_lookup_audit: 1 },
    });

    expect((await sql('select source from login_attempt order by created_at')).map((row) => row.source)).toEqual(['40 days', 'yesterday']);
    expect((await sql('select id from oidc_model order by id')).map((row) => row.id)).toEqual(['forever', 'valid']);
    expect((await sql('select value from revoked_token')).map((row) => row.value)).toEqual(['valid']);
    expect((await sql('select token_hash from autologin_token')).map((row) => row.token_hash)).toEqual(['valid-hash']);
    const events = await sql(
      `select e.payload->>'label' as label, count(d.id)::int as deliveries from outbox_event e left join webhook_delivery d on d.event_id = e.id group by 1 order by 1`,
    );
    expect(events).toEqual([
      { label: 'old, still pending', deliveries: 1 },
      { label: 'recent, delivered', deliveries: 1 },
    ]);
    expect(await sql('select count(*)::int as n from passcode_lookup_audit')).toEqual([{ n: 1 }]);
  });

  it('deletes nothing more when run again, and honours a shorter configured threshold', async () => {
    const again = await cleanup();
    expect(again).toMatchObject({ login_attempts: 0, oidc_models: 0, revoked_tokens: 0, autologin_tokens: 0, outbox_events: 0, webhook_deliveries: 0 });

    const stricter = await cleanup({ RETENTION_LOGIN_ATTEMPTS_DAYS: '30', RETENTION_OUTBOX_DAYS: '1' });
    expect(stricter).toMatchObject({ login_attempts: 1, outbox_events: 1, webhook_deliveries: 1 });
    expect((await sql('select source from login_attempt')).map((row) => row.source)).toEqual(['yesterday']);
    expect((await sql(`select payload->>'label' as label from outbox_event`)).map((row) => row.label)).toEqual(['old, still pending']);
  });
});

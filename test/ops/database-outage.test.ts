import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientToken } from '../http/support.js';
import { createTestDatabase, startTestServer, type TestServer } from '../support/server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

/**
 * Issue 11 §3: PostgreSQL going away under a write load. The suite's PostgreSQL is shared by every
 * test file, so the outage is made by a TCP relay between this Gatehouse and its database: cut,
 * the host refuses connections and open ones drop; restored, it is back on the same address.
 */

let proxy: TcpProxy;
let server: TestServer;
let directUrl: string;
let adminToken: string;

beforeAll(async () => {
  directUrl = await createTestDatabase();
  const direct = new URL(directUrl);
  proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port) });
  const proxied = new URL(directUrl);
  proxied.port = String(proxy.port);
  server = await startTestServer({ DATABASE_URL: proxied.href, KEY_REFRESH_INTERVAL: '30' });
  adminToken = (await clientToken(server, 'users:admin')).accessToken;
});
afterAll(async () => {
  await proxy?.restore().catch(() => {});
  await server?.stop();
  await proxy?.close();
});

interface Write {
  name: string;
  status: number;
  retryAfter: string | null;
  body: any;
  /** Which part of the run the answer came back in. */
  phase: Phase;
}
type Phase = 'before' | 'outage' | 'after';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createGroup(name: string, phaseNow: () => Phase): Promise<Write> {
  const response = await fetch(`${server.url}/api/v1/groups`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { name, status: response.status, retryAfter: response.headers.get('retry-after'), body, phase: phaseNow() };
}

describe('a database outage under write load', () => {
  it('answers 503 with Retry-After in every family while PostgreSQL is away, recovers without a restart and loses no acknowledged write', async () => {
    const writes: Write[] = [];
    let phase: Phase = 'before';
    let running = true;
    const prefix = `outage-${randomBytes(3).toString('hex')}`;
    let counter = 0;
    const writers = Array.from({ length: 3 }, async () => {
      while (running) {
        writes.push(await createGroup(`${prefix}-${(counter += 1)}`, () => phase));
        await sleep(10);
      }
    });

    await sleep(800);
    phase = 'outage';
    await proxy.cut();
    await sleep(1500);

    // Every family, while the database is away.
    const rest = await createGroup(`${prefix}-probe`, () => phase);
    expect(rest.status).toBe(503);
    expect(Number(rest.retryAfter)).toBeGreaterThan(0);
    expect(rest.body).toMatchObject({ status: 'error', code: 'temporarily_unavailable' });

    const tenant = await fetch(`${server.url}/api/v2/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@example.com', password: 'whatever password' }),
    });
    expect(tenant.status).toBe(503);
    expect(tenant.headers.get('retry-after')).not.toBeNull();
    expect(await tenant.json()).toMatchObject({ status: 'Failed' });

    // Inside the provider: the client look-up fails (an unknown id is never cached).
    const token = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`unknown-${randomBytes(4).toString('hex')}:secret`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).not.toBeNull();
    expect(await token.json()).toMatchObject({ error: 'temporarily_unavailable' });

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);

    await proxy.restore();
    phase = 'after';
    // Recovery without a restart: writes succeed again on the same process.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !writes.some((write) => write.phase === 'after' && write.status === 201)) await sleep(200);
    await sleep(500);
    running = false;
    await Promise.all(writers);

    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const byPhase = (wanted: Phase) => writes.filter((write) => write.phase === wanted);
    expect(byPhase('before').length).toBeGreaterThan(0);
    expect(byPhase('before').every((write) => write.status === 201)).toBe(true);
    expect(byPhase('outage').filter((write) => write.status === 503).length).toBeGreaterThan(0);
    expect(byPhase('after').some((write) => write.status === 201)).toBe(true);
    // Never a 500: every refusal is the outage answer, with Retry-After.
    const refused = writes.filter((write) => write.status !== 201);
    expect(refused.filter((write) => write.status !== 503 || !write.retryAfter || write.body?.code !== 'temporarily_unavailable')).toEqual([]);

    // Every acknowledged write is in the database.
    const client = new pg.Client({ connectionString: directUrl });
    await client.connect();
    const stored = await client.query<{ name: string }>('select name from user_group where name like $1', [`${prefix}-%`]);
    await client.end();
    const names = new Set(stored.rows.map((row) => row.name));
    const acknowledged = writes.filter((write) => write.status === 201);
    expect(acknowledged.filter((write) => !names.has(write.name)).map((write) => write.name)).toEqual([]);
  });
});

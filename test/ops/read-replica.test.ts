import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/platform/db/embedded-postgres.js';
import { freePort } from '../support/ports.js';
import { startStreamingReplica, type StreamingReplica } from '../support/replica.js';
import { postForm, startTestServer, TEST_SECRET, type TestServer } from '../support/server.js';
import { api, apiKey, rempLogin } from '../users/support.js';

/** Long enough that the steps of one test fit inside it on a busy machine, short enough to wait out. */
const MAX_LAG_MS = 2000;

let work: string;
let primary: EmbeddedDatabase;
let replica: StreamingReplica;
let server: TestServer;
let primarySql: pg.Client;
let client: { clientId: string; clientSecret?: string };
let searchKey: string;
const customers: Array<{ id: string; email: string; password: string; token: string }> = [];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'gatehouse-read-replica-'));
  // The cluster runs as the `postgres` user, which must be able to reach its data directory.
  chmodSync(work, 0o755);
  primary = await startEmbeddedPostgres({ dataDir: work, port: await freePort(), password: 'replica-test-password' });
  replica = await startStreamingReplica(primary.url);
  server = await startTestServer({ DATABASE_REPLICA_URL: replica.url, DATABASE_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS) }, { databaseUrl: primary.url });
  primarySql = new pg.Client({ connectionString: primary.url });
  await primarySql.connect();
  client = await server.createClient({ name: 'Resource server', grantTypes: ['client_credentials'], scope: 'users:read' });
  searchKey = await apiKey(server, ['sessionm.users.search']);
  for (let index = 0; index < 2; index++) {
    const user = await server.createUser({ lastName: `Replica${index}` });
    customers.push({ ...user, token: await rempLogin(server, user) });
  }
});

afterAll(async () => {
  await primarySql?.end().catch(() => undefined);
  await server?.stop();
  await replica?.remove();
  await primary?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

type Source = 'replica' | 'primary';

/** `gatehouse_db_read_mostly_reads_total` from /metrics, summed over the labels given. */
async function reads(labels: { path: string; source?: Source; route?: string }): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^gatehouse_db_read_mostly_reads_total\{([^}]*)\} (\d+)$/.exec(line);
    if (!match) continue;
    const found = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) total += Number(match[2]);
  }
  return total;
}

/** Runs `read` once and says where it was served, from the metric. */
async function servedBy<T>(path: string, read: () => Promise<T>): Promise<{ result: T; source: Source; route: string }> {
  const routes = ['caught_up', 'in_transaction', 'recent_write', 'replica_lagging', 'replica_unavailable', 'replica_failed'];
  const before = await Promise.all(routes.map((route) => reads({ path, route })));
  const result = await read();
  const after = await Promise.all(routes.map((route) => reads({ path, route })));
  const index = after.findIndex((count, at) => count > before[at]!);
  expect(index, `no ${path} read was counted`).toBeGreaterThanOrEqual(0);
  const route = routes[index]!;
  return { result, source: route === 'caught_up' ? 'replica' : 'primary', route };
}

/** Repeats `read` until the replica serves it: right after a write on this node the primary does, until the replica has replayed it. */
async function untilReplicaServes<T>(path: string, read: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const served = await servedBy(path, read);
    if (served.source === 'replica') return served.result;
    if (Date.now() > deadline) throw new Error(`${path} still served by the primary (${served.route})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const userInfo = (token: string) => api(server, 'GET', '/api/v1/user/info', { auth: token });
const clientToken = async () => {
  const issued = await postForm(
    `${server.url}/oauth/token`,
    { grant_type: 'client_credentials', scope: 'users:read' },
    { basic: [client.clientId, client.clientSecret!] },
  );
  expect(issued.status).toBe(200);
  return issued.body.access_token as string;
};
const introspect = (token: string) => postForm(`${server.url}/oauth/introspect`, { token }, { basic: [client.clientId, client.clientSecret!] });
const search = (token: string, query: Record<string, string>) => api(server, 'GET', `/priv/v1/apps/${searchKey}/users/search`, { auth: token, query });

describe('optional streaming read replica for the read-mostly paths (issue 14 item 6)', () => {
  it('refuses DATABASE_REPLICA_URL without DATABASE_URL: the embedded PostgreSQL has no replica', () => {
    expect(() => loadConfig({ DATABASE_REPLICA_URL: replica.url, GATEHOUSE_SECRET: TEST_SECRET })).toThrow(/DATABASE_REPLICA_URL needs DATABASE_URL/);
  });

  it('answers user info, introspection and SessionM search from the caught-up replica', async () => {
    const [customer] = customers;
    const info = await untilReplicaServes('user_info', () => userInfo(customer!.token));
    expect(info.status).toBe(200);
    expect(info.body.user).toMatchObject({ uuid: customer!.id, email: customer!.email, last_name: 'Replica0' });

    const token = await clientToken();
    const introspection = await untilReplicaServes('introspection', () => introspect(token));
    expect(introspection.status).toBe(200);
    expect(introspection.body).toMatchObject({ active: true, client_id: client.clientId });

    const found = await untilReplicaServes('sessionm_search', () => search(token, { email: customer!.email }));
    expect(found.status).toBe(200);
    expect(found.body.user).toMatchObject({ id: customer!.id, email: customer!.email, last_name: 'Replica0' });
    const byName = await untilReplicaServes('sessionm_search', () => search(token, { first_name: 'Test', last_name: 'Replica1' }));
    expect(byName.body).toMatchObject({ total: 1, user: { id: customers[1]!.id } });
  });

  it('shows a write made through this node at once, though the replica has not replayed it yet', async () => {
    const [writer, other] = customers;
    const token = await clientToken();
    await untilReplicaServes('user_info', () => userInfo(other!.token));
    await untilReplicaServes('introspection', () => introspect(token));
    // From here the replica receives WAL but shows nothing new: without read-your-writes the next
    // user info would be the old one, for up to the bound.
    await replica.pauseReplay();
    try {
      const email = `renamed-${Date.now()}@example.com`;
      expect((await api(server, 'POST', '/api/v1/users/update', { auth: writer!.token, form: { user_id: writer!.id, email } })).status).toBe(200);
      const meta = { user_id: writer!.id, key: 'newsletter', value: 'weekly', is_public: 'true' };
      expect((await api(server, 'POST', '/api/v1/user-meta/upsert', { auth: writer!.token, form: meta })).status).toBe(200);

      const own = await servedBy('user_info', () => userInfo(writer!.token));
      expect(own.result.status).toBe(200);
      expect(own.result.body).toMatchObject({ user: { email }, user_meta: { newsletter: 'weekly' } });
      expect(own).toMatchObject({ source: 'primary', route: 'recent_write' });
      writer!.email = email;

      // Another customer's read still goes to the (paused, but within the bound) replica.
      const others = await servedBy('user_info', () => userInfo(other!.token));
      expect(others.result.status).toBe(200);
      expect(others.source).toBe('replica');

      // RFC 7009 revocation through this node: its introspection says inactive at once.
      expect((await postForm(`${server.url}/oauth/revoke`, { token }, { basic: [client.clientId, client.clientSecret!] })).status).toBe(200);
      const revoked = await servedBy('introspection', () => introspect(token));
      expect(revoked.result.body).toEqual({ active: false });
      expect(revoked).toMatchObject({ source: 'primary', route: 'recent_write' });
    } finally {
      await replica.resumeReplay();
    }
  });

  it('falls back to the primary once a paused replica is behind by more than the bound', async () => {
    const [customer] = customers;
    const token = await clientToken();
    await untilReplicaServes('introspection', () => introspect(token));
    await replica.pauseReplay();
    try {
      // Written on the primary by another path (another node, an operator): this node has no note of it.
      await primarySql.query(`insert into revoked_token (kind, value, expires_at) values ('jti', $1, now() + interval '1 hour')`, [decodeJwt(token).jti]);
      await primarySql.query(`update customer set first_name = 'Fresh' where id = $1`, [customer!.id]);

      // Within the bound the replica may still answer, as it was: staleness is bounded, not zero.
      const within = await servedBy('introspection', () => introspect(token));
      if (within.source === 'replica') expect(within.result.body.active).toBe(true);

      await new Promise((resolve) => setTimeout(resolve, MAX_LAG_MS + 300));
      const revoked = await servedBy('introspection', () => introspect(token));
      expect(revoked.result.status).toBe(200);
      expect(revoked.result.body).toEqual({ active: false });
      expect(revoked).toMatchObject({ source: 'primary', route: 'replica_lagging' });

      const info = await servedBy('user_info', () => userInfo(customer!.token));
      expect(info.result.body.user.first_name).toBe('Fresh');
      expect(info).toMatchObject({ source: 'primary', route: 'replica_lagging' });
    } finally {
      await replica.resumeReplay();
    }
    // Replayed again, the replica serves once more, and has the revocation.
    expect((await untilReplicaServes('introspection', () => introspect(token))).body).toEqual({ active: false });
  });

  it('keeps answering from the primary, without a 5xx, when the replica stops', async () => {
    const [customer] = customers;
    const token = await clientToken();
    await untilReplicaServes('user_info', () => userInfo(customer!.token));
    const primaryBefore = await reads({ path: 'user_info', source: 'primary' });
    await replica.stop();

    const replies = [];
    for (let round = 0; round < 10; round++) {
      replies.push(await userInfo(customer!.token), await introspect(token), await search(token, { email: customer!.email }));
    }
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 200));
    expect(replies.filter((_, index) => index % 3 === 0).every((reply) => reply.body.user.email === customer!.email)).toBe(true);
    expect(await reads({ path: 'user_info', source: 'primary' })).toBeGreaterThanOrEqual(primaryBefore + 10);
    const afterStop = await servedBy('user_info', () => userInfo(customer!.token));
    expect(afterStop.source).toBe('primary');
    expect(['replica_unavailable', 'replica_failed']).toContain(afterStop.route);
  });

  it('starts, and serves from the primary, when the replica cannot be reached at start-up', async () => {
    const unreachable = `postgres://gatehouse:nothing@127.0.0.1:${await freePort()}/gatehouse`;
    const second = await startTestServer({ DATABASE_REPLICA_URL: unreachable, DATABASE_REPLICA_MAX_LAG_MS: String(MAX_LAG_MS) }, { databaseUrl: primary.url });
    try {
      const [customer] = customers;
      // Its own sign-in: each test server is an issuer of its own.
      const info = await api(second, 'GET', '/api/v1/user/info', { auth: await rempLogin(second, customer!) });
      expect(info.status).toBe(200);
      expect(info.body.user).toMatchObject({ uuid: customer!.id });
      expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecondInstance, startTestServer, type TestServer } from '../support/server.js';
import { call, getPasscode, phoneNumber, postPasscode, readyTenant, serviceAdminToken, type ReadyTenant } from './support.js';

/**
 * The passcode budgets are counted in the statement that does the work (src/identity/passcodes/
 * service.ts): concurrent requests, split across two instances on one PostgreSQL, cannot overrun
 * them; a refused look-up spends no passcode and is audited; an address past its budget spends no
 * tenant's.
 */
let server: TestServer;
let second: { url: string; stop(): Promise<void> };
let tenant: ReadyTenant;
beforeAll(async () => {
  server = await startTestServer({
    TRUST_PROXY: 'true',
    PASSCODE_CREATE_PER_KEY: '2',
    PASSCODE_CREATE_PER_IP: '3',
    PASSCODE_CREATE_PER_TENANT: '13',
    PASSCODE_LOOKUP_PER_KEY: '3',
  });
  second = await startSecondInstance(server);
  tenant = await readyTenant(server, await serviceAdminToken(server), { pass_key_expires: 60, pass_phrase: 'system' });
});
afterAll(async () => {
  await second?.stop();
  await server?.stop();
});

/** Alternates the two instances, so every race is also a race between nodes. */
const instance = (index: number) => (index % 2 === 0 ? server : ({ url: second.url } as TestServer));

const fromAddress = (address: string, json: unknown, index = 0) =>
  call(instance(index), 'POST', `/api/v2/${tenant.tenantId}/identity/passcode`, { json, headers: { 'x-forwarded-for': address } });
const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});

describe('passcode budgets under concurrency', () => {
  it('lets exactly the allowance of parallel submissions for one key through', async () => {
    const key = phoneNumber();
    const statuses = await Promise.all(
      Array.from({ length: 8 }, (_, index) => fromAddress(`198.51.100.${index + 1}`, { pass_key: key }, index).then((r) => r.status)),
    );
    // Two within the key's budget: one stores the passcode, the other finds the key taken.
    expect(tally(statuses)).toEqual({ 200: 1, 409: 1, 429: 6 });
  });

  it('spends a passcode only within the look-up budget, and audits every look-up in the same statement', async () => {
    const key = phoneNumber();
    expect((await postPasscode(server, tenant.tenantId, { pass_key: key })).status).toBe(200);
    const statuses = await Promise.all(
      Array.from({ length: 7 }, (_, index) => getPasscode(instance(index), tenant.tenantId, key, tenant.apiKey).then((r) => r.status)),
    );
    expect(tally(statuses)).toEqual({ 200: 1, 404: 2, 429: 4 });
    const audit: Array<{ result: string; n: number }> = await server
      .em()
      .getConnection()
      .execute(
        `select result, count(*)::int as n from passcode_lookup_audit
          where tenant_id = ? and created_at > now() - interval '1 minute' and key_hash = (select key_hash from passcode where tenant_id = ? order by created_at desc limit 1)
          group by result order by result`,
        [tenant.tenantId, tenant.tenantId],
      );
    expect(audit).toEqual([
      { result: 'found', n: 1 },
      { result: 'not_found', n: 2 },
      { result: 'rate_limited', n: 4 },
    ]);
  });

  it('counts nothing against the tenant for an address past its own budget', async () => {
    const flood = [];
    for (let index = 0; index < 8; index += 1) flood.push((await fromAddress('203.0.113.7', { pass_key: phoneNumber() })).status);
    expect(tally(flood)).toEqual({ 200: 3, 429: 5 });
    // The tenant's budget of 13 has 8 (first test, refusals by key included) + 1 (second) + 3 counted:
    // one more fits. Had the address's refused five been counted against the tenant, it would not.
    expect((await fromAddress('203.0.113.8', { pass_key: phoneNumber() })).status).toBe(200);
    expect((await fromAddress('203.0.113.9', { pass_key: phoneNumber() })).status).toBe(429);
  });

  it("refunds a known API key's reservation with each look-up, carried or alone, so an agent is never locked out by its own key", async () => {
    // The key limiter allows 10 failures per agent and tenant: 12 answered look-ups would pass it were a refund lost.
    const unknownKeys = await Promise.all(
      Array.from({ length: 12 }, (_, index) => getPasscode(instance(index), tenant.tenantId, phoneNumber(), tenant.apiKey)),
    );
    expect(new Set(unknownKeys.map((r) => r.status))).toEqual(new Set([404]));
    const otherTenant = '00000000-0000-4000-8000-000000000001';
    const elsewhere = [];
    for (let attempt = 0; attempt < 12; attempt += 1) elsewhere.push((await getPasscode(server, otherTenant, phoneNumber(), tenant.apiKey)).status);
    expect(new Set(elsewhere)).toEqual(new Set([400]));
    const counters: Array<{ points: number }> = await server.em().getConnection().execute("select points from rate_limit where key like 'passcode-api-key:%'");
    expect(counters.length).toBeGreaterThan(0);
    expect(counters.every((counter) => counter.points === 0)).toBe(true);
  });

  it("stores one configuration when a tenant's first saves race, the others becoming updates of it", async () => {
    const fresh = await readyTenant(server, await serviceAdminToken(server));
    const saves = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        call(instance(index), 'POST', `/api/v2/${fresh.tenantId}/identity/passcode/config`, {
          token: fresh.admin.token,
          json: { tenant_config_details: { pass_key_expires: 60 + index, pass_phrase: 'system' } },
        }),
      ),
    );
    expect(saves.map((save) => save.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const rows: Array<{ n: number }> = await server
      .em()
      .getConnection()
      .execute('select count(*)::int as n from passcode_config where tenant_id = ?', [fresh.tenantId]);
    expect(rows[0]!.n).toBe(1);
    const details = saves.map((save) => save.body.data.data.tenantDetails);
    expect(new Set(details.map((detail) => detail.id)).size).toBe(1);
    expect(Number.isInteger(details[0].id)).toBe(true);
    expect(saves.filter((save) => save.body.data.message === 'Tenant Configuration created successfully')).toHaveLength(1);
  });

  it('turns a first save that loses the insert race into an update of the winner, every time (the collision forced)', async () => {
    const fresh = await readyTenant(server, await serviceAdminToken(server));
    const knex = server.gatehouse.orm.em.getConnection().getKnex();
    // The winner: another node's first save, inserted and not yet committed, so the save below
    // finds no row, inserts, and waits on the unique tenant_id until the winner commits.
    const winner = await knex.transaction();
    try {
      await winner.raw(
        `insert into passcode_config (tenant_id, pass_key_expires, pass_phrase_mode, allowed_characters, pass_phrase_length, created_by, created_at, updated_at)
         select ?::uuid, 30, 'system', 'numeric', 6, id, now(), now() from tenant_admin limit 1`,
        [fresh.tenantId],
      );
      const save = call(server, 'POST', `/api/v2/${fresh.tenantId}/identity/passcode/config`, {
        token: fresh.admin.token,
        json: { tenant_config_details: { pass_key_expires: 90, pass_phrase: 'system' } },
      });
      await waitForInsertBlockedOnLock(knex);
      await winner.commit();
      const saved = await save;
      expect(saved.status).toBe(200);
      expect(saved.body.data.message).toBe('Tenant Configuration updated successfully');
    } finally {
      if (!winner.isCompleted()) await winner.rollback();
    }
    const rows: Array<{ pass_key_expires: number }> = await server
      .em()
      .getConnection()
      .execute('select pass_key_expires from passcode_config where tenant_id = ?', [fresh.tenantId]);
    expect(rows).toEqual([{ pass_key_expires: 90 }]);
  });
});

/** Until a backend's insert into passcode_config waits on a lock (the winner's uncommitted row). */
async function waitForInsertBlockedOnLock(knex: { raw(sql: string): Promise<{ rows: Array<{ n: number }> }> }) {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { rows } = await knex.raw(
      `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike 'insert into%passcode_config%'`,
    );
    if (rows[0]!.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the save never waited on the uncommitted row');
}

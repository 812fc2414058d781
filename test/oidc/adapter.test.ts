import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, type Orm } from '../../src/platform/db/orm.js';
import { connectGatehouseDatabase as connectDatabase } from '../../src/modules/database.js';
import { createAdapterClass, purgeExpired, storedModelId } from '../../src/oauth/adapter.js';
import { createClientMetadataCache } from '../../src/oauth/clients/cache.js';
import { createTestDatabase } from '../support/server.js';

// Contract of the oidc-provider storage bridge, on a real PostgreSQL (as Ory tests its persisters).
let orm: Orm;
let Adapter: ReturnType<typeof createAdapterClass>;

beforeAll(async () => {
  orm = await connectDatabase(await createTestDatabase(), 3);
  await applyMigrations(orm);
  Adapter = createAdapterClass({
    orm,
    clients: createClientMetadataCache(orm, 1),
    accessTokenTtlSeconds: 60,
    secret: 'adapter-test-secret-0123456789abcdefghij',
  });
});
afterAll(() => orm?.close(true));

describe('PostgreSQL adapter', () => {
  it('upserts and finds a payload, replacing it on a second upsert', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { accountId: 'a', uid: 'u1' } as never, 60);
    expect(await sessions.find('s1')).toMatchObject({ accountId: 'a', uid: 'u1' });
    await sessions.upsert('s1', { accountId: 'b', uid: 'u1' } as never, 60);
    expect(await sessions.find('s1')).toMatchObject({ accountId: 'b' });
  });

  it('keeps models apart: the same id in another model is not found', async () => {
    await new Adapter('Grant').upsert('shared', { accountId: 'x' } as never, 60);
    expect(await new Adapter('Session').find('shared')).toBeUndefined();
  });

  it('finds by uid and by user code', async () => {
    await new Adapter('Session').upsert('s2', { uid: 'uid-2' } as never, 60);
    expect(await new Adapter('Session').findByUid('uid-2')).toMatchObject({ uid: 'uid-2' });
    await new Adapter('DeviceCode').upsert('d1', { userCode: 'ABCD-EFGH' } as never, 60);
    expect(await new Adapter('DeviceCode').findByUserCode('ABCD-EFGH')).toMatchObject({ userCode: 'ABCD-EFGH' });
  });

  it('marks a consumed payload with a consumed timestamp', async () => {
    const codes = new Adapter('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g-c' } as never, 60);
    await codes.consume('c1');
    const found = await codes.find('c1');
    expect(typeof found?.consumed).toBe('number');
  });

  it('destroys', async () => {
    const tokens = new Adapter('RefreshToken');
    await tokens.upsert('r1', { grantId: 'g-d' } as never, 60);
    await tokens.destroy('r1');
    expect(await tokens.find('r1')).toBeUndefined();
  });

  it('revokes every model of a grant and remembers the grant as revoked', async () => {
    await new Adapter('RefreshToken').upsert('r2', { grantId: 'g-1' } as never, 60);
    await new Adapter('AuthorizationCode').upsert('c2', { grantId: 'g-1' } as never, 60);
    await new Adapter('RefreshToken').upsert('r3', { grantId: 'g-2' } as never, 60);
    await new Adapter('Grant').revokeByGrantId('g-1');
    expect(await new Adapter('RefreshToken').find('r2')).toBeUndefined();
    expect(await new Adapter('AuthorizationCode').find('c2')).toBeUndefined();
    expect(await new Adapter('RefreshToken').find('r3')).toBeDefined();
    const revoked: any[] = await orm.em.fork().getConnection().execute(`select value from revoked_token where kind = 'grant'`);
    expect(revoked.map((row) => row.value)).toContain('g-1');
  });

  it('does not return expired rows, and the purge deletes them', async () => {
    const interactions = new Adapter('Interaction');
    await interactions.upsert('i1', { uid: 'i1' } as never, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await interactions.find('i1')).toBeUndefined();
    const purged = await purgeExpired(orm);
    expect(purged.models).toBeGreaterThanOrEqual(1);
    const left: any[] = await orm.em
      .fork()
      .getConnection()
      .execute(`select 1 from oidc_model where model = 'Interaction' and id = ?`, [storedModelId('Interaction', 'i1')]);
    expect(left).toHaveLength(0);
  });

  it('stores refresh tokens and codes only as hashes, and finds them by the presented value', async () => {
    const refreshTokens = new Adapter('RefreshToken');
    const value = 'r-secret-value-0123456789abcdefghijklmnop';
    await refreshTokens.upsert(value, { jti: value, grantId: 'g-h', kind: 'RefreshToken' } as never, 60);
    const rows: any[] = await orm.em
      .fork()
      .getConnection()
      .execute(`select id, payload::text as payload from oidc_model where model = 'RefreshToken' and grant_id = 'g-h'`);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).not.toBe(value);
    expect(rows[0].payload).not.toContain(value);
    expect(await refreshTokens.find(value)).toMatchObject({ jti: value, grantId: 'g-h' });
    await refreshTokens.consume(value);
    expect(typeof (await refreshTokens.find(value))?.consumed).toBe('number');
    await refreshTokens.destroy(value);
    expect(await refreshTokens.find(value)).toBeUndefined();
  });

  it('lets exactly one of many concurrent consumptions win, and revokes the grant for the losers', async () => {
    const refreshTokens = new Adapter('RefreshToken');
    await new Adapter('Grant').upsert('g-race', { accountId: 'a', jti: 'g-race' } as never, 60);
    await refreshTokens.upsert('r-race', { jti: 'r-race', grantId: 'g-race' } as never, 60);
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => refreshTokens.consume('r-race')));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const lost of results.filter((result) => result.status === 'rejected')) {
      expect((lost as PromiseRejectedResult).reason).toMatchObject({ error: 'invalid_grant' });
    }
    expect(await refreshTokens.find('r-race')).toBeUndefined();
    expect(await new Adapter('Grant').find('g-race')).toBeUndefined();
    const revoked: any[] = await orm.em.fork().getConnection().execute(`select 1 from revoked_token where kind = 'grant' and value = 'g-race'`);
    expect(revoked).toHaveLength(1);
  });

  it('stores every model under a hash of its id, uid and user code, and finds it by each', async () => {
    const sessions = new Adapter('Session');
    await sessions.upsert('session-secret-id', { jti: 'session-secret-id', uid: 'session-uid', accountId: 'a' } as never, 60);
    await new Adapter('Interaction').upsert(
      'interaction-id',
      { jti: 'interaction-id', session: { uid: 'session-uid', cookie: 'session-secret-id' } } as never,
      60,
    );
    await new Adapter('DeviceCode').upsert('device-secret', { jti: 'device-secret', userCode: 'WXYZ-1234' } as never, 60);
    const dump: any[] = await orm.em.fork().getConnection().execute(`select id, uid, user_code, sealed_id, payload::text as payload from oidc_model`);
    const text = JSON.stringify(dump);
    for (const secret of ['session-secret-id', 'interaction-id', 'device-secret', 'WXYZ-1234']) expect(text).not.toContain(secret);
    expect(await sessions.find('session-secret-id')).toMatchObject({ jti: 'session-secret-id', uid: 'session-uid' });
    expect(await sessions.findByUid('session-uid')).toMatchObject({ jti: 'session-secret-id', accountId: 'a' });
    expect(await new Adapter('DeviceCode').findByUserCode('WXYZ-1234')).toMatchObject({ jti: 'device-secret' });
  });

  it('answers an unknown client as undefined', async () => {
    expect(await new Adapter('Client').find('missing')).toBeUndefined();
  });
});

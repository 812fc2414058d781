import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRevocationCache } from '../../src/oauth/callers/revocation-cache.js';
import { createLogger } from '../../src/platform/logger.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const revoke = (kind: 'jti' | 'grant', value: string, createdAt = 'now()', expiresAt = "now() + interval '1 hour'") =>
  server
    .em()
    .getConnection()
    .execute(`insert into revoked_token (kind, value, expires_at, created_at) values (?, ?, ${expiresAt}, ${createdAt})`, [kind, value]);

describe('revocation cache', () => {
  it('answers from memory between polls and picks up new revocations at the next poll', async () => {
    const early = randomUUID();
    await revoke('jti', early);
    const cache = createRevocationCache({ orm: server.gatehouse.orm, refreshSeconds: 60, logger: createLogger('silent') });
    await cache.start();
    try {
      expect(await cache.isRevoked({ jti: early })).toBe(true);

      const late = randomUUID();
      const grant = randomUUID();
      await revoke('jti', late);
      await revoke('grant', grant);
      // Not yet polled: the request path did not go to the database.
      expect(await cache.isRevoked({ jti: late })).toBe(false);
      await cache.refresh();
      expect(await cache.isRevoked({ jti: late })).toBe(true);
      expect(await cache.isRevoked({ jti: randomUUID(), gid: grant })).toBe(true);
      expect(await cache.isRevoked({ jti: randomUUID(), gid: randomUUID() })).toBe(false);
    } finally {
      cache.stop();
    }
  });

  it('still sees a row that committed late with an earlier timestamp than the last one seen', async () => {
    const cache = createRevocationCache({ orm: server.gatehouse.orm, refreshSeconds: 60, logger: createLogger('silent') });
    await revoke('jti', randomUUID());
    await cache.start();
    try {
      const straggler = randomUUID();
      await revoke('jti', straggler, "now() - interval '5 seconds'");
      await cache.refresh();
      expect(await cache.isRevoked({ jti: straggler })).toBe(true);
    } finally {
      cache.stop();
    }
  });

  it('ignores revocations whose tokens have expired anyway', async () => {
    const cache = createRevocationCache({ orm: server.gatehouse.orm, refreshSeconds: 60, logger: createLogger('silent') });
    const old = randomUUID();
    await revoke('jti', old, 'now()', "now() - interval '1 second'");
    await cache.start();
    try {
      expect(await cache.isRevoked({ jti: old })).toBe(false);
    } finally {
      cache.stop();
    }
  });

  it('goes to the database per request when polling has stopped for three intervals', async () => {
    const cache = createRevocationCache({ orm: server.gatehouse.orm, refreshSeconds: 1, logger: createLogger('silent') });
    await cache.start();
    cache.stop();
    await new Promise((resolve) => setTimeout(resolve, 3100));
    const fresh = randomUUID();
    await revoke('jti', fresh);
    expect(await cache.isRevoked({ jti: fresh })).toBe(true);
  });
});

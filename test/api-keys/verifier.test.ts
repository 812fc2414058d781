import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../../src/identity/api-keys/service.js';
import { createApiKeyVerifier } from '../../src/identity/api-keys/verifier.js';
import { createLogger } from '../../src/platform/logger.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const verifierFor = (cacheSeconds: number) => createApiKeyVerifier({ orm: server.gatehouse.orm, logger: createLogger('silent'), cacheSeconds });

describe('API key verifier', () => {
  it('keeps serving a valid key from memory for at most the cache time after it is revoked elsewhere', async () => {
    const verifier = verifierFor(1);
    const { key, row } = await createApiKey(server.em(), { name: 'CRM', endpoints: ['users.create'], scopes: ['users:read'] });
    expect(await verifier.verify(key)).toEqual({ keyId: row.id, name: 'CRM', endpoints: ['users.create'], scopes: ['users:read'] });

    // Another instance (the CLI) revokes it: this one does not ask the database again until the entry expires.
    await revokeApiKey(server.em(), row.id);
    expect(verifier.fromCache(key)?.keyId).toBe(row.id);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(verifier.fromCache(key)).toBeUndefined();
    expect(await verifier.verify(key)).toBeUndefined();
  });

  it('forgets a key revoked on this instance at once', async () => {
    const verifier = verifierFor(60);
    const { key, row } = await createApiKey(server.em(), { name: 'CRM', endpoints: ['*'] });
    expect(await verifier.verify(key)).toBeDefined();
    await revokeApiKey(server.em(), row.id);
    verifier.forget(row.id);
    expect(verifier.fromCache(key)).toBeUndefined();
    expect(await verifier.verify(key)).toBeUndefined();
  });

  it('refuses malformed and unknown keys and never caches them', async () => {
    const verifier = verifierFor(60);
    for (const presented of ['gh_short', `gh_${'x'.repeat(43)}`, 'eyJhbGciOiJSUzI1NiJ9.e30.sig', '']) {
      expect(await verifier.verify(presented)).toBeUndefined();
      expect(verifier.fromCache(presented)).toBeUndefined();
    }
  });
});

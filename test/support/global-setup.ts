import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres.js';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** postgres://user:pass@127.0.0.1:port — append /database. */
    postgresBaseUrl: string;
  }
}

/** One PostgreSQL for the whole run; every test file creates its own database in it. */
export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-test-'));
  // The cluster runs as the `postgres` user, which must be able to reach its data directory.
  chmodSync(dataDir, 0o755);
  const database = await startEmbeddedPostgres({ dataDir, port: await freePort(), password: 'test-password' });
  project.provide('postgresBaseUrl', database.url.replace(/\/gatehouse$/, ''));
  return async () => {
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}

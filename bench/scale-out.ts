/**
 * `npx tsx bench/scale-out.ts [--duration 5] [--connections 16]` (issue 14 item 6): Gatehouse as
 * it scales beyond one process, on real parts. Two Gatehouse nodes (the compiled dist/main.js)
 * behind nginx (Debian's, round robin, keep-alive upstreams), both connected through PgBouncer
 * (Debian's 1.18) in transaction pooling mode to one PostgreSQL. Everything listens on 127.0.0.1.
 *
 * It runs the two-instance correctness checks of `npm run bench -- --instances 2` through this
 * topology (tokens cross nodes, a session continues on the other node, killing a node mid-run
 * loses no token and fails only the requests it held), then measures client credentials, refresh
 * rotation and user info through nginx. Exits non-zero when a check fails or a request fails.
 *
 * Needs `apt-get install -y nginx pgbouncer` (run as root; the script runs PgBouncer as the
 * `postgres` user, which the embedded PostgreSQL already uses).
 *
 * `SCALE_OUT_REPLICA=true` adds a streaming standby of the bench database (test/support/replica.ts)
 * and points both nodes' DATABASE_REPLICA_URL at it through a second PgBouncer database entry: one
 * pooler fronts both, so DATABASE_PREPARED_STATEMENTS (which covers both pools) means the same for
 * each, and the standby's server connections are pooled like the primary's. User info then reads
 * the standby (src/platform/db/read-replica.ts); the nodes' routing counters are printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runInstanceChecks, type Balancer } from './instances.js';
import { waitUntilServing, type NodeProcess } from './lib/child-process.js';
import { DatabaseCounters } from './lib/database-activity.js';
import { issueRefreshTokens, MACHINE_SCOPE, passwordGrant, seedFixtures } from './lib/fixtures.js';
import { buildServer, startGatehouseProcess, type GatehouseProcess } from './lib/gatehouse-process.js';
import { freePort } from './lib/http.js';
import { measureLoad } from './lib/load.js';
import { startBenchDatabase } from './lib/postgres.js';
import { processTreeCpuSeconds } from './lib/process-stats.js';
import { formatInstanceChecks, type InstanceCheck } from './lib/report.js';
import { bearerRequests, clientCredentialsRequests, RefreshTokenPool, refreshTokenRequests } from './scenarios/token-requests.js';
import { startStreamingReplica, type StreamingReplica } from '../test/support/replica.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '16' }, 'server-dir': { type: 'string' } },
});
const serverDir = values['server-dir'] ? path.resolve(values['server-dir']) : undefined;
const durationSeconds = Number(values.duration);
const connections = Number(values.connections);
const say = (line: string) => process.stdout.write(`${line}\n`);
const withReplica = process.env.SCALE_OUT_REPLICA === 'true';

for (const binary of ['nginx', 'pgbouncer']) {
  if (spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0) {
    say(`${binary} is not installed: apt-get update && apt-get install -y nginx pgbouncer`);
    process.exit(2);
  }
}

/** A long-running binary (nginx, PgBouncer) as a NodeProcess, its output kept for errors. */
function startBinary(name: string, command: string, args: string[]): NodeProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean).slice(-40));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    name,
    pid: child.pid!,
    child,
    exited,
    output: () => lines.join('\n'),
    async stop(graceMs = 5000) {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `gatehouse_db_read_mostly_reads_total` of every node, summed by path, source and route. */
async function readMostlyRouting(urls: string[]): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const [, labels, count] of text.matchAll(/^gatehouse_db_read_mostly_reads_total\{([^}]*)\} (\d+)$/gm)) {
      totals[labels!] = (totals[labels!] ?? 0) + Number(count);
    }
  }
  return totals;
}

async function waitForPort(port: number, what: string, process: NodeProcess) {
  const { portAcceptsConnections } = await import('../src/platform/db/embedded-postgres.js');
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await portAcceptsConnections(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not listen on ${port}:\n${process.output()}`);
}

const cleanups: Array<() => Promise<unknown>> = [];
const checks: InstanceCheck[] = [];
let failedRequests = 0;
try {
  say(
    `scale-out on real parts: 2 Gatehouse nodes behind nginx, PgBouncer (transaction pooling) to PostgreSQL; ${cpus().length} CPUs, load ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  const entry = buildServer(serverDir);
  const database = await startBenchDatabase();
  cleanups.push(() => database.stop());
  let replica: StreamingReplica | undefined;
  if (withReplica) {
    replica = await startStreamingReplica(database.url);
    cleanups.push(() => replica!.remove());
    say(`streaming standby of the bench database on port ${replica.port}`);
  }
  const work = mkdtempSync(path.join(tmpdir(), 'gatehouse-scale-out-'));
  // PgBouncer runs as `postgres`, nginx's workers as `nobody`: both must reach their files.
  chmodSync(work, 0o777);
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));

  // PgBouncer: transaction pooling, the database's own user and password (SCRAM to the clients).
  const db = new URL(database.url);
  const bouncerPort = await freePort();
  const password = decodeURIComponent(db.password);
  writeFileSync(path.join(work, 'userlist.txt'), `"${db.username}" "${password}"\n`);
  writeFileSync(
    path.join(work, 'pgbouncer.ini'),
    [
      '[databases]',
      `gatehouse = host=127.0.0.1 port=${db.port} dbname=${db.pathname.slice(1)}`,
      ...(replica ? [`gatehouse_replica = host=127.0.0.1 port=${replica.port} dbname=${db.pathname.slice(1)}`] : []),
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${bouncerPort}`,
      `unix_socket_dir = ${work}`,
      'auth_type = scram-sha-256',
      `auth_file = ${path.join(work, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 400',
      'default_pool_size = 10',
      // node-postgres and knex send none of the parameters PgBouncer cannot track, but keep the usual one.
      'ignore_startup_parameters = extra_float_digits',
      `logfile = ${path.join(work, 'pgbouncer.log')}`,
      `pidfile = ${path.join(work, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  for (const file of ['userlist.txt', 'pgbouncer.ini']) chmodSync(path.join(work, file), 0o644);
  const bouncer = startBinary('pgbouncer', 'pgbouncer', ['-u', 'postgres', path.join(work, 'pgbouncer.ini')]);
  cleanups.push(() => bouncer.stop());
  await waitForPort(bouncerPort, 'PgBouncer', bouncer);
  const viaBouncer = `postgres://${encodeURIComponent(db.username)}:${encodeURIComponent(password)}@127.0.0.1:${bouncerPort}/gatehouse`;

  // Two nodes, both through PgBouncer; the issuer is nginx's address.
  const nginxPort = await freePort();
  const issuer = `http://127.0.0.1:${nginxPort}`;
  const secret = randomBytes(32).toString('base64url');
  const dataDir = path.join(work, 'data');
  const nodes: GatehouseProcess[] = [];
  cleanups.push(() => Promise.all(nodes.map((node) => node.stop())));
  // Started together: the migration lock is taken through PgBouncer (a transaction-scoped lock).
  const started = await Promise.all(
    ['a', 'b'].map(async (name) =>
      startGatehouseProcess(
        {
          name: `gatehouse-${name}`,
          port: await freePort(),
          issuer,
          databaseUrl: viaBouncer,
          secret,
          dataDir,
          serverDir,
          // PgBouncer 1.18 in transaction pooling cannot keep named prepared statements (src/platform/db/prepared.ts).
          extraEnv: {
            DATABASE_POOL_MAX: '5',
            DATABASE_PREPARED_STATEMENTS: process.env.SCALE_OUT_PREPARED ?? 'false',
            ...(replica ? { DATABASE_REPLICA_URL: viaBouncer.replace(/\/gatehouse$/, '/gatehouse_replica') } : {}),
          },
        },
        entry,
      ),
    ),
  );
  nodes.push(...started);
  say(`nodes up through PgBouncer: ${nodes.map((node) => `${node.url} (start-up ${node.startupMs} ms, idle RSS ${node.idleRssMb} MB)`).join(', ')}`);

  // nginx: round robin over the two, keep-alive to them; a refused connection is retried on the
  // other node, a request already sent is never replayed (POST is not idempotent: a refresh token
  // may have been spent), so it fails with 502. Towards the load generator, keep-alive connections
  // are never closed mid-run: with nginx's default (keepalive_requests 1000) autocannon now and then
  // sent its next request into the connection nginx was closing, and that request failed with
  // ECONNRESET at the client while nginx logged nothing (3 of 5 runs, user info, 1-2 requests each;
  // none in 3 runs since).
  const accessLog = path.join(work, 'access.log');
  writeFileSync(
    path.join(work, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${path.join(work, 'nginx.pid')};
error_log ${path.join(work, 'nginx-error.log')} warn;
events { worker_connections 1024; }
http {
  log_format upstreams '$msec $status "$upstream_addr" "$upstream_status"';
  access_log ${accessLog} upstreams;
  client_body_temp_path ${work}/client_body;
  proxy_temp_path ${work}/proxy;
  fastcgi_temp_path ${work}/fastcgi;
  uwsgi_temp_path ${work}/uwsgi;
  scgi_temp_path ${work}/scgi;
  upstream gatehouse {
    server ${new URL(nodes[0]!.url).host} max_fails=1 fail_timeout=30s;
    server ${new URL(nodes[1]!.url).host} max_fails=1 fail_timeout=30s;
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${nginxPort};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://gatehouse;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_next_upstream error timeout;
    }
  }
}
`,
  );
  const nginx = startBinary('nginx', 'nginx', ['-p', work, '-c', path.join(work, 'nginx.conf')]);
  cleanups.push(() => nginx.stop());
  await waitUntilServing(nginx, `${issuer}/healthz`);
  say(`nginx at ${issuer}`);

  const fixtures = await seedFixtures(database.url, nodes[0]!.url, serverDir);
  const customer = await passwordGrant(issuer, fixtures, fixtures.users[0]!);
  const counters = await DatabaseCounters.connect(database.url);
  cleanups.push(() => counters.close());

  // Load through the whole chain first (both nodes alive): CPU of every part, PostgreSQL's statements.
  const parts = () => ({
    gatehouse: processTreeCpuSeconds(nodes.map((node) => node.pid)),
    nginx: processTreeCpuSeconds([nginx.pid]),
    pgbouncer: processTreeCpuSeconds([bouncer.pid]),
    postgres: processTreeCpuSeconds([database.postmasterPid()]),
    replica: replica ? processTreeCpuSeconds([replica.pid]) : 0,
  });
  const measurements: Array<Record<string, unknown>> = [];
  const pool = new RefreshTokenPool(await issueRefreshTokens(issuer, fixtures, connections * 4));
  const loads: Array<[string, ReturnType<typeof clientCredentialsRequests>]> = [
    ['client_credentials', clientCredentialsRequests(fixtures.machine, MACHINE_SCOPE)],
    ['refresh_token rotation', refreshTokenRequests(fixtures.app, pool)],
    ['GET /api/v1/user/info', bearerRequests('/api/v1/user/info', customer.access_token)],
  ];
  for (const [name, requests] of loads) {
    let cpuBefore = parts();
    let cpuAfter = cpuBefore;
    let before: Awaited<ReturnType<DatabaseCounters['read']>> | undefined;
    let after: typeof before;
    const load = await measureLoad(
      { url: issuer, connections, requests },
      { durationSeconds, warmup: { minSeconds: 2, maxSeconds: 6, tolerance: 0.1 } },
      {
        serverPids: nodes.map((node) => node.pid),
        onMeasureStart: () => {
          cpuBefore = parts();
          void counters.read().then((reading) => (before = reading));
        },
        onMeasureEnd: async () => {
          cpuAfter = parts();
          after = await counters.read();
        },
      },
    );
    const perRequest = (key: keyof ReturnType<typeof parts>) => Math.round(((cpuAfter[key] - cpuBefore[key]) * 1e6) / Math.max(1, load.total2xx)) / 1000;
    const database = before && after ? DatabaseCounters.perRequest(before, after, load.total2xx) : undefined;
    const failed = load.non2xx + load.errors + load.warmup.non2xx + load.warmup.errors;
    failedRequests += failed;
    const row = {
      name,
      requestsPerSecond: Math.round(load.requestsPerSecond),
      p99Ms: load.latencyP99Ms,
      failed,
      cpuMsPerRequest: {
        gatehouse: perRequest('gatehouse'),
        nginx: perRequest('nginx'),
        pgbouncer: perRequest('pgbouncer'),
        postgres: perRequest('postgres'),
        ...(replica ? { replica: perRequest('replica') } : {}),
      },
      statementsPerRequest: database?.statements,
      peakRssMb: load.peakRssMb,
    };
    measurements.push(row);
    say(
      `${name}: ${row.requestsPerSecond}/s, p99 ${row.p99Ms} ms, ${failed} failed; CPU ms/req gatehouse ${row.cpuMsPerRequest.gatehouse} + nginx ${row.cpuMsPerRequest.nginx} ` +
        `+ pgbouncer ${row.cpuMsPerRequest.pgbouncer} + postgres ${row.cpuMsPerRequest.postgres}` +
        (replica ? ` + standby ${row.cpuMsPerRequest.replica}` : '') +
        `; ${row.statementsPerRequest ?? '?'} statements/req on the primary` +
        (failed > 0
          ? `; status codes ${JSON.stringify(load.statusCodes)}, errors ${JSON.stringify(load.errorKinds)}, warm-up failures ${JSON.stringify(load.warmup.failures)}`
          : ''),
    );
  }

  if (replica) say(`read-mostly routing (both nodes, /metrics): ${JSON.stringify(await readMostlyRouting(nodes.map((node) => node.url)))}`);
  // What nginx itself saw go wrong during the measurements (the kill check below adds its own errors).
  const nginxErrors = readFileSync(path.join(work, 'nginx-error.log'), 'utf8').trim().split('\n').filter(Boolean);
  say(`nginx error log during the measurements: ${nginxErrors.length} lines${nginxErrors.length ? `, e.g. ${nginxErrors.slice(0, 3).join(' | ')}` : ''}`);

  // nginx keeps no counters an outsider can read: its access log says which node answered what.
  const nginxBalancer: Balancer = {
    url: issuer,
    name: 'nginx',
    async afterKill(victimUrl, killedAt) {
      await new Promise((resolve) => setTimeout(resolve, 500)); // the log is written as requests end
      const victim = new URL(victimUrl).host;
      const lines = readFileSync(accessLog, 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const [msec, status, upstreams] = line.split(' ');
          return { at: Number(msec) * 1000, status: Number(status), upstreams: (upstreams ?? '').replace(/"/g, '') };
        });
      const failures = lines.filter((line) => line.status >= 500);
      const failedAtVictim = failures.filter((line) => line.status === 502 && line.upstreams === victim).length;
      // Requests that reached B before it died may end up to a second later (nginx sees the reset).
      const lateFailures = failures.filter((line) => line.at > killedAt + 1000);
      const after = lines.filter((line) => line.at > killedAt + 1000);
      return {
        takenOut: lateFailures.length === 0 && after.length > 0 && failures.every((line) => line.at >= killedAt - 50),
        failedAtVictim,
        detail:
          `nginx access log: ${failures.length} answered 5xx (${failedAtVictim} of them 502 for requests B held when it died); ` +
          `${after.length} requests completed more than 1 s after the kill, ${lateFailures.length} of them failed, ` +
          `${after.filter((line) => line.upstreams.includes(',')).length} were refused by B and passed on to A`,
      };
    },
  };
  say('two-instance checks through nginx + PgBouncer (the last one SIGKILLs node B mid-run)...');
  checks.push(
    ...(await runInstanceChecks({
      first: nodes[0]!,
      second: nodes[1]!,
      balancer: nginxBalancer,
      fixtures,
      userInfoPath: '/api/v1/user/info',
      connections,
      durationSeconds,
    })),
  );
  say('');
  say(formatInstanceChecks(checks));
  const pgbouncerLog = readFileSync(path.join(work, 'pgbouncer.log'), 'utf8');
  const bouncerErrors = pgbouncerLog.split('\n').filter((line) => / (ERROR|FATAL|WARNING) /.test(line));
  say(`PgBouncer log: ${bouncerErrors.length} errors or warnings${bouncerErrors.length ? `, e.g. ${bouncerErrors.slice(0, 3).join(' | ')}` : ''}`);
  const topology = `nginx -> 2 nodes -> PgBouncer (transaction) -> PostgreSQL${replica ? ' (+ streaming standby for read-mostly paths)' : ''}`;
  say(JSON.stringify({ topology, connections, durationSeconds, measurements }));
  if (checks.some((check) => !check.passed) || failedRequests > 0) process.exitCode = 1;
} catch (error) {
  process.exitCode = 1;
  say(error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => say(`clean-up failed: ${String(error)}`));
  process.exit();
}

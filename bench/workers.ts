/**
 * `npx tsx bench/workers.ts [--workers 2]` (issue 14 item 5): WORKERS=N stays correct. Starts the
 * compiled server with WORKERS=N (node:cluster), then, over fresh connections (which the cluster
 * hands to the workers in turn, so every check reaches every worker):
 * 1. a token issued by one worker is accepted by all of them;
 * 2. once revoked (RFC 7009), it is refused by all of them within REVOCATION_CACHE_SECONDS;
 * 3. after `keys:rotate`, every worker publishes the same new keys within KEY_REFRESH_INTERVAL
 *    and accepts tokens signed with them;
 * 4. SIGTERM to the supervisor stops every worker and the supervisor exits 0.
 * Exits non-zero when a check fails.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/child-process.js';
import { passwordGrant, seedFixtures } from './lib/fixtures.js';
import { buildServer, startGatehouseProcess } from './lib/gatehouse-process.js';
import { freePort } from './lib/http.js';
import { basicAuth } from './lib/load.js';
import { startBenchDatabase } from './lib/postgres.js';
import { processTree } from './lib/process-stats.js';

const { values } = parseArgs({ args: process.argv.slice(2), options: { workers: { type: 'string', default: '2' }, 'server-dir': { type: 'string' } } });
const workers = Number(values.workers);
const serverDir = values['server-dir'] ? path.resolve(values['server-dir']) : undefined;
const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One request on a connection of its own (no keep-alive), so the cluster picks a worker for it. */
function fresh(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: init.method ?? 'GET', headers: { connection: 'close', ...init.headers }, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end(init.body);
  });
}

const results: Array<{ check: string; passed: boolean; detail: string }> = [];
const cleanups: Array<() => Promise<unknown>> = [];
try {
  const entry = buildServer(serverDir);
  const database = await startBenchDatabase();
  cleanups.push(() => database.stop());
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-workers-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const secret = randomBytes(32).toString('base64url');
  const server = await startGatehouseProcess(
    {
      name: 'gatehouse',
      port,
      issuer,
      databaseUrl: database.url,
      secret,
      dataDir,
      serverDir,
      extraEnv: { WORKERS: String(workers), REVOCATION_CACHE_SECONDS: '1', KEY_REFRESH_INTERVAL: '1' },
    },
    entry,
  );
  cleanups.push(() => server.stop());
  // Every worker answers once it has started (readiness reaches whichever is up first).
  for (let attempt = 0; attempt < 100 && processTree([server.pid]).length < workers + 1; attempt += 1) await sleep(100);
  await sleep(1500);
  say(
    `supervisor pid ${server.pid} with ${processTree([server.pid]).length - 1} workers, start-up ${server.startupMs} ms, RSS ${server.idleRssMb} MB for the tree`,
  );

  const fixtures = await seedFixtures(database.url, issuer, serverDir);
  const tries = workers * 8;
  const userInfo = async (token: string) => {
    const statuses = [];
    for (let index = 0; index < tries; index += 1)
      statuses.push((await fresh(`${issuer}/api/v1/user/info`, { headers: { authorization: `Bearer ${token}` } })).status);
    return statuses;
  };

  const issued = await passwordGrant(issuer, fixtures, fixtures.users[0]!);
  const before = await userInfo(issued.access_token);
  results.push({
    check: 'a token issued by one worker is accepted by every worker',
    passed: before.every((status) => status === 200),
    detail: `user info over ${tries} fresh connections: ${before.join(' ')}`,
  });

  const revoked = await fresh(`${issuer}/oauth/revoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(fixtures.app.clientId, fixtures.app.clientSecret) },
    body: new URLSearchParams({ token: issued.access_token }).toString(),
  });
  await sleep(2500); // REVOCATION_CACHE_SECONDS=1: one poll and a margin
  const after = await userInfo(issued.access_token);
  results.push({
    check: 'a revoked token is refused by every worker within REVOCATION_CACHE_SECONDS',
    // REMP routes answer a refused token with 403 (REMP's convention), RFC 6750 routes with 401.
    passed: revoked.status === 200 && after.every((status) => status === 401 || status === 403),
    detail: `revocation ${revoked.status}; then user info over ${tries} fresh connections: ${after.join(' ')}`,
  });

  const kids = async () => {
    const seen = new Set<string>();
    for (let index = 0; index < tries; index += 1)
      seen.add(
        JSON.parse((await fresh(`${issuer}/oauth/jwks`)).body)
          .keys.map((key: { kid: string }) => key.kid)
          .sort()
          .join(','),
      );
    return seen;
  };
  const kidsBefore = await kids();
  const rotation = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'keys:rotate'], {
    cwd: serverDir ?? REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: database.url, GATEHOUSE_SECRET: secret, ISSUER: issuer, LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  await sleep(2500); // KEY_REFRESH_INTERVAL=1
  const kidsAfter = await kids();
  const fresher = await passwordGrant(issuer, fixtures, fixtures.users[1]!);
  const withNewKey = await userInfo(fresher.access_token);
  results.push({
    check: 'after keys:rotate every worker publishes the same new key set and accepts tokens signed with it',
    passed:
      rotation.status === 0 &&
      kidsBefore.size === 1 &&
      kidsAfter.size === 1 &&
      [...kidsAfter][0] !== [...kidsBefore][0] &&
      withNewKey.every((status) => status === 200),
    detail: `rotation exit ${rotation.status}${rotation.status ? `: ${rotation.stderr.slice(0, 300)}` : ''}; key sets seen before ${kidsBefore.size}, after ${kidsAfter.size} (changed: ${[...kidsAfter][0] !== [...kidsBefore][0]}); user info with a new token: ${withNewKey.join(' ')}`,
  });

  const pids = processTree([server.pid]).map((line) => line.pid);
  await server.stop();
  const code = await server.exited;
  const survivors = processTree(pids);
  results.push({
    check: 'SIGTERM to the supervisor stops every worker, and it exits 0',
    passed: code === 0 && survivors.length === 0,
    detail: `exit ${code}; processes left: ${survivors.length}`,
  });
} catch (error) {
  results.push({ check: 'the run itself', passed: false, detail: error instanceof Error ? (error.stack ?? error.message) : String(error) });
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  for (const result of results) say(`${result.passed ? 'PASS' : 'FAIL'}  ${result.check}\n      ${result.detail}`);
  process.exit(results.every((result) => result.passed) ? 0 : 1);
}

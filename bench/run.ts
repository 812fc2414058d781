/**
 * `npm run bench [-- --quick] [--instances 2] [--cpu-prof] ...` (issue #7): Gatehouse under load,
 * each scenario beside a baseline measured in the same run. See bench/lib/options.ts for flags.
 *
 * Processes: an embedded PostgreSQL; Gatehouse (`src/main.ts`, one or two instances, plus
 * bench/proxy.ts for two); the baselines (bench/baselines/bare-*.ts) as their own processes; this
 * process only generates load (autocannon) and runs the in-process baselines (argon2id, jose sign).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Baselines, type BaselineResult } from './baselines/index.js';
import { runInstanceChecks } from './instances.js';
import { REPO_ROOT, startTypeScript, waitUntilServing, type NodeProcess } from './lib/child-process.js';
import { formatProfile, monotonicMicros, summarizeCpuProfile } from './lib/cpu-profile.js';
import { DatabaseCounters, type DatabaseActivity } from './lib/database-activity.js';
import { passwordGrant, seedFixtures } from './lib/fixtures.js';
import { startGatehouseProcess, type GatehouseProcess } from './lib/gatehouse-process.js';
import { expectOk, freePort, requestJson } from './lib/http.js';
import { measureLoad } from './lib/load.js';
import { parseBenchOptions } from './lib/options.js';
import { startBenchDatabase } from './lib/postgres.js';
import { formatBaselines, formatInstanceChecks, formatScenarios, formatTargets, writeReport, type Comparison, type InstanceCheck, type ScenarioResult } from './lib/report.js';
import { evaluateTargets } from './lib/targets.js';
import { SCENARIOS, type ScenarioEnvironment } from './scenarios/index.js';

const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

/** A baseline that served nothing (or failed) gives no ratio rather than an infinite one. */
const compareWith = (baseline: BaselineResult, perSecond: number): Comparison => ({
  label: baseline.label,
  perSecond: baseline.perSecond,
  ratio: baseline.perSecond > 0 && !baseline.non2xx && !baseline.errors ? perSecond / baseline.perSecond : Number.NaN,
});
const say = (line: string) => process.stdout.write(`${line}\n`);
const elapsed = (since: number) => `${((performance.now() - since) / 1000).toFixed(0)} s`;

const options = parseBenchOptions(process.argv.slice(2));
if (Number(process.versions.node.split('.')[0]) < 22) {
  throw new Error(`Node ${process.versions.node}: run through npm (npm run bench) or npx tsx, which use Node 22 from node_modules`);
}
if (options.cpuProfile && options.instances !== 1) throw new Error('--cpu-prof profiles one instance: use it without --instances 2');

const began = performance.now();
const startedAt = new Date().toISOString();
const cleanups: Array<() => Promise<unknown>> = [];
const cleanUp = async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => say(`clean-up failed: ${String(error)}`));
};
process.once('SIGINT', () => {
  say('interrupted: stopping processes');
  void cleanUp().then(() => process.exit(130));
});

try {
  say(
    `Gatehouse benchmark (${options.quick ? 'quick' : 'full'}): ${options.connections} connections, ` +
      `${options.warmupSeconds} s warm-up + ${options.durationSeconds} s per measurement, ${options.instances} instance(s), ` +
      `${cpus().length} CPUs, Node ${process.versions.node}`,
  );

  const database = await startBenchDatabase();
  cleanups.push(() => database.stop());
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-data-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

  const ports = await Promise.all(Array.from({ length: options.instances }, () => freePort()));
  const proxyPort = options.instances === 2 ? await freePort() : undefined;
  const issuer = `http://127.0.0.1:${proxyPort ?? ports[0]}`;
  const secret = randomBytes(32).toString('base64url');
  const profileStamp = startedAt.replace(/[:.]/g, '-');

  const servers: GatehouseProcess[] = [];
  const launch = async (index: number, profileName?: string) => {
    // A restart (--cpu-prof) takes a new port: the old one may have been taken meanwhile. The
    // issuer stays, so tokens issued before the restart remain valid.
    if (servers[index]) ports[index] = await freePort();
    const server = await startGatehouseProcess({
      name: `gatehouse-${String.fromCharCode(97 + index)}`,
      port: ports[index]!,
      issuer,
      databaseUrl: database.url,
      secret,
      dataDir,
      extraEnv: options.serverEnv,
      serverDir: options.serverDir,
      // Named *.json so bench/results' ignore rule covers them; Chrome DevTools loads them as profiles.
      cpuProfile: profileName ? { dir: RESULTS_DIR, name: `${profileStamp}-${profileName}.cpuprofile.json` } : undefined,
    });
    servers[index] = server;
    return server;
  };
  cleanups.push(() => Promise.all(servers.map((server) => server.stop())));
  // One after the other: the first applies the migrations.
  for (let index = 0; index < options.instances; index += 1) await launch(index);

  let proxy: { process: NodeProcess; url: string } | undefined;
  if (proxyPort) {
    const child = startTypeScript('proxy', 'bench/proxy.ts', { ipc: true, env: { PORT: String(proxyPort), UPSTREAMS: servers.map((server) => server.url).join(',') } });
    proxy = { process: child, url: issuer };
    cleanups.push(() => child.stop());
    await waitUntilServing(child, `${issuer}/healthz`);
  }
  say(`${options.instances} Gatehouse process(es) up (${servers.map((server) => `pid ${server.pid}`).join(', ')})${proxy ? ` behind the proxy at ${proxy.url}` : ''} after ${elapsed(began)}`);

  const setupUrl = servers[0]!.url;
  const fixtures = await seedFixtures(database.url, setupUrl);
  const customer = await passwordGrant(setupUrl, fixtures, fixtures.users[0]!);
  const idle = await passwordGrant(setupUrl, fixtures, fixtures.users[1]!);
  const probe = await requestJson(`${setupUrl}/api/v1/user/info`, { headers: { authorization: `Bearer ${customer.access_token}` } });
  const userInfoPath = probe.status === 404 ? '/oauth/userinfo' : '/api/v1/user/info';
  expectOk(`GET ${userInfoPath}`, userInfoPath === '/api/v1/user/info' ? probe : await requestJson(`${setupUrl}${userInfoPath}`, { headers: { authorization: `Bearer ${customer.access_token}` } }));
  const jwks = expectOk('GET /oauth/jwks', await requestJson(`${setupUrl}/oauth/jwks`));
  say(`fixtures ready after ${elapsed(began)}; user info at ${userInfoPath}`);

  const environment: ScenarioEnvironment = {
    setupUrl,
    fixtures,
    connections: options.connections,
    userAccessToken: customer.access_token,
    idleRefreshToken: idle.refresh_token!,
    userInfoPath,
  };
  const baselines = new Baselines({
    connections: options.connections,
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
    gatehouse: { issuer, audience: `${issuer}/api`, jwks },
    userAccessToken: customer.access_token,
    accessTokenAlg: options.serverEnv.ACCESS_TOKEN_ALG === 'ES256' ? 'ES256' : 'RS256',
  });
  cleanups.push(() => baselines.stop());

  const counters = await DatabaseCounters.connect(database.url);
  cleanups.push(() => counters.close());
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS.filter((candidate) => options.scenarios.includes(candidate.id))) {
    const profileName = options.cpuProfile ? `gatehouse-${scenario.id}` : undefined;
    if (profileName) {
      await servers[0]!.stop();
      environment.setupUrl = (await launch(0, profileName)).url;
    }
    const prepared = await scenario.prepare(environment);
    const target = proxy ? proxy.url : servers[0]!.url;
    let measuredFrom = 0;
    let countersBefore: Promise<DatabaseActivity> | undefined;
    const load = await measureLoad(
      { url: target, connections: options.connections, requests: prepared.requests },
      { warmupSeconds: options.warmupSeconds, durationSeconds: options.durationSeconds },
      {
        serverPids: servers.map((server) => server.pid),
        onMeasureStart: () => {
          measuredFrom = monotonicMicros();
          countersBefore = counters.read();
        },
      },
    );
    const measuredTo = monotonicMicros();
    // Backends publish their statistics at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const database = DatabaseCounters.perRequest(await countersBefore!, await counters.read(), load.total2xx + load.non2xx);
    const result: ScenarioResult = { id: scenario.id, title: scenario.title, path: prepared.endpoint, load, database, notes: prepared.notes ?? [] };
    if (profileName) {
      await servers[0]!.stop();
      const file = path.join(RESULTS_DIR, `${profileStamp}-${profileName}.cpuprofile.json`);
      result.profile = summarizeCpuProfile(file, 20, { fromMicros: measuredFrom, toMicros: measuredTo });
    }
    if (options.baselines && scenario.baseline) {
      const baseline = await baselines.get(scenario.baseline);
      result.baseline = compareWith(baseline, load.requestsPerSecond);
      const failed = (baseline.non2xx ?? 0) + (baseline.errors ?? 0);
      if (failed > 0) result.notes.push(`the baseline had ${failed} failed requests: its ratio is not meaningful`);
    }
    if (options.baselines && scenario.ceiling) result.ceiling = compareWith(await baselines.get(scenario.ceiling), load.requestsPerSecond);
    results.push(result);
    say(
      `(${scenario.id}) ${scenario.title}: ${Math.round(load.requestsPerSecond)} req/s, p99 ${load.latencyP99Ms} ms, ` +
        `${load.non2xx + load.errors} failed` +
        (result.baseline ? `; ${result.baseline.label} ${Math.round(result.baseline.perSecond)}/s` : '') +
        ` [${elapsed(began)}]`,
    );
  }

  let instanceChecks: InstanceCheck[] | undefined;
  if (proxy) {
    say('two-instance checks (the last one SIGKILLs instance B mid-run)...');
    instanceChecks = await runInstanceChecks({
      first: servers[0]!,
      second: servers[1]!,
      proxy,
      fixtures,
      userInfoPath,
      connections: options.connections,
      durationSeconds: options.durationSeconds,
    });
  }

  const targets = evaluateTargets(results);
  say('');
  say(`Gatehouse${proxy ? ' (2 instances behind the proxy)' : ''}, ${options.connections} connections, ${options.durationSeconds} s measured per scenario:`);
  say(formatScenarios(results));
  say('');
  say(formatBaselines(baselines.all()));
  say('');
  say(`Targets (issue #7, 2-core machine)${proxy ? ' — measured through the proxy, not comparable with one instance' : ''}:`);
  say(formatTargets(targets));
  if (instanceChecks) {
    say('');
    say('Two instances:');
    say(formatInstanceChecks(instanceChecks));
  }
  for (const result of results.filter((candidate) => candidate.profile)) {
    say('');
    say(`CPU profile of (${result.id}) ${result.title}:`);
    say(formatProfile(result.profile!));
  }

  const file = writeReport(RESULTS_DIR, {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.versions.node, loadAverage: loadavg() },
    settings: { ...options, issuer },
    scenarios: results,
    baselines: baselines.all(),
    targets,
    instanceChecks,
  });
  say('');
  say(`written ${path.relative(process.cwd(), file)}; total ${elapsed(began)}`);
  if (instanceChecks?.some((check) => !check.passed)) process.exitCode = 1;
} catch (error) {
  process.exitCode = 1;
  say(error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  await cleanUp();
  // Keep-alive sockets of fetch would otherwise hold the process open for a few seconds.
  process.exit();
}

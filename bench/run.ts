/**
 * `npm run bench [-- --quick] [--instances 2] [--cpu-prof] ...` (issue #7): Gatehouse under load,
 * each scenario beside a baseline measured in the same run. Flags: bench/lib/options.ts.
 *
 * Processes: an embedded PostgreSQL; Gatehouse (`src/main.ts`, one or two instances, plus
 * bench/proxy.ts for two); the HTTP baselines (bench/baselines/bare-*.ts) as their own processes;
 * this process only generates load (autocannon) and runs the in-process baselines (argon2id, jose).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Baselines, type BaselineResult } from './baselines/index.js';
import { runInstanceChecks } from './instances.js';
import { REPO_ROOT, startTypeScript, waitUntilServing, type NodeProcess } from './lib/child-process.js';
import { monotonicMicros, summarizeCpuProfile } from './lib/cpu-profile.js';
import { DatabaseCounters, type DatabaseActivity } from './lib/database-activity.js';
import { passwordGrant, seedFixtures } from './lib/fixtures.js';
import { startGatehouseProcess, type GatehouseProcess } from './lib/gatehouse-process.js';
import { expectOk, freePort, requestJson } from './lib/http.js';
import { measureLoad, type LoadResult } from './lib/load.js';
import { parseBenchOptions } from './lib/options.js';
import { startBenchDatabase } from './lib/postgres.js';
import { formatReport, writeReport, type BenchReport, type Comparison, type InstanceCheck, type ScenarioResult } from './lib/report.js';
import { evaluateTargets } from './lib/targets.js';
import { SCENARIOS, type Scenario, type ScenarioEnvironment } from './scenarios/index.js';

const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
const say = (line: string) => process.stdout.write(`${line}\n`);
const began = performance.now();
const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0)} s`;

/** A baseline that served nothing (or failed) gives no ratio rather than an infinite one. */
function compareWith(baseline: BaselineResult, load: LoadResult): Comparison {
  const usable = baseline.perSecond > 0 && !baseline.non2xx && !baseline.errors;
  return {
    label: baseline.label,
    perSecond: baseline.perSecond,
    ratio: usable ? load.requestsPerSecond / baseline.perSecond : Number.NaN,
    cpuRatio: usable && baseline.cpuMsPerRequest && load.serverCpuMsPerRequest ? baseline.cpuMsPerRequest / load.serverCpuMsPerRequest : undefined,
  };
}

const options = parseBenchOptions(process.argv.slice(2));
if (Number(process.versions.node.split('.')[0]) < 22) {
  throw new Error(`Node ${process.versions.node}: run through npm (npm run bench) or npx tsx, which use Node 22 from node_modules`);
}
if (options.cpuProfile && options.instances !== 1) throw new Error('--cpu-prof profiles one instance: use it without --instances 2');

const startedAt = new Date().toISOString();
const loadAtStart = loadavg();
const profileStamp = startedAt.replace(/[:.]/g, '-');
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
    `Gatehouse benchmark (${options.quick ? 'quick' : 'full'}): ${options.connections} connections, ${options.warmupSeconds} s warm-up + ` +
      `${options.durationSeconds} s per measurement, ${options.instances} instance(s), ${cpus().length} CPUs, Node ${process.versions.node}`,
  );
  if (loadAtStart[0]! > cpus().length / 2) {
    say(`note: load average ${loadAtStart[0]!.toFixed(1)} before starting - other work shares the CPUs; compare "CPU ms/req" and "CPU ratio" rather than req/s`);
  }
  const database = await startBenchDatabase();
  cleanups.push(() => database.stop());
  const dataDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-data-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

  const ports = await Promise.all(Array.from({ length: options.instances }, () => freePort()));
  const proxyPort = options.instances === 2 ? await freePort() : undefined;
  // Both instances carry the proxy's address as issuer: to a client they are one server.
  const issuer = `http://127.0.0.1:${proxyPort ?? ports[0]}`;
  const secret = randomBytes(32).toString('base64url');
  const servers: GatehouseProcess[] = [];
  const profileFile = (scenario: Scenario) => `${profileStamp}-gatehouse-${scenario.id}.cpuprofile.json`;
  const launch = async (index: number, profiled?: Scenario) => {
    // A restart (--cpu-prof) takes a new port, the old one may have been taken meanwhile; the
    // issuer stays, so the tokens issued before remain valid.
    if (servers[index]) ports[index] = await freePort();
    servers[index] = await startGatehouseProcess({
      name: `gatehouse-${String.fromCharCode(97 + index)}`,
      port: ports[index]!,
      issuer,
      databaseUrl: database.url,
      secret,
      dataDir,
      extraEnv: options.serverEnv,
      serverDir: options.serverDir,
      // Named *.json so bench/results' ignore rule covers them; Chrome DevTools loads them as profiles.
      cpuProfile: profiled ? { dir: RESULTS_DIR, name: profileFile(profiled) } : undefined,
    });
    return servers[index]!;
  };
  cleanups.push(() => Promise.all(servers.map((server) => server.stop())));
  // One after the other: the first applies the migrations.
  for (let index = 0; index < options.instances; index += 1) await launch(index);

  let proxy: { process: NodeProcess; url: string } | undefined;
  if (proxyPort) {
    const child = startTypeScript('proxy', 'bench/proxy.ts', { ipc: true, env: { PORT: String(proxyPort), UPSTREAMS: servers.map((server) => server.url).join(',') } });
    cleanups.push(() => child.stop());
    proxy = { process: child, url: issuer };
    await waitUntilServing(child, `${issuer}/healthz`);
  }
  say(`Gatehouse up (${servers.map((server) => `pid ${server.pid}`).join(', ')})${proxy ? ` behind the proxy at ${proxy.url}` : ''} after ${elapsed()}`);

  const setupUrl = servers[0]!.url;
  const fixtures = await seedFixtures(database.url, setupUrl);
  const customer = await passwordGrant(setupUrl, fixtures, fixtures.users[0]!);
  const idle = await passwordGrant(setupUrl, fixtures, fixtures.users[1]!);
  const bearer = { authorization: `Bearer ${customer.access_token}` };
  const probe = await requestJson(`${setupUrl}/api/v1/user/info`, { headers: bearer });
  const userInfoPath = probe.status === 404 ? '/oauth/userinfo' : '/api/v1/user/info';
  expectOk(`GET ${userInfoPath}`, probe.status === 404 ? await requestJson(`${setupUrl}${userInfoPath}`, { headers: bearer }) : probe);
  const jwks = expectOk('GET /oauth/jwks', await requestJson(`${setupUrl}/oauth/jwks`));
  say(`fixtures ready after ${elapsed()}; user info at ${userInfoPath}`);

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

  /** Warm-up and measurement through the proxy or the one instance; a fresh profiled process with --cpu-prof. */
  const measureScenario = async (scenario: Scenario): Promise<ScenarioResult> => {
    if (options.cpuProfile) {
      await servers[0]!.stop();
      environment.setupUrl = (await launch(0, scenario)).url;
    }
    const prepared = await scenario.prepare(environment);
    const window = { from: 0, to: 0 };
    let before: Promise<DatabaseActivity> | undefined;
    let after: DatabaseActivity | undefined;
    const load = await measureLoad(
      { url: proxy?.url ?? servers[0]!.url, connections: options.connections, requests: prepared.requests },
      { warmupSeconds: options.warmupSeconds, durationSeconds: options.durationSeconds },
      {
        serverPids: servers.map((server) => server.pid),
        onMeasureStart: () => {
          window.from = monotonicMicros();
          before = counters.read();
        },
        onMeasureEnd: async () => {
          window.to = monotonicMicros();
          after = await counters.read();
        },
      },
    );
    const result: ScenarioResult = {
      id: scenario.id,
      title: scenario.title,
      path: prepared.endpoint,
      load,
      database: DatabaseCounters.perRequest(await before!, after!, load.total2xx + load.non2xx),
      notes: prepared.notes ?? [],
    };
    if (options.cpuProfile) {
      await servers[0]!.stop();
      result.profile = summarizeCpuProfile(path.join(RESULTS_DIR, profileFile(scenario)), 20, { fromMicros: window.from, toMicros: window.to });
    }
    if (options.baselines && scenario.baseline) {
      const baseline = await baselines.get(scenario.baseline);
      result.baseline = compareWith(baseline, load);
      const failed = (baseline.non2xx ?? 0) + (baseline.errors ?? 0);
      if (failed > 0) result.notes.push(`the baseline had ${failed} failed requests: no ratio`);
    }
    if (options.baselines && scenario.ceiling) result.ceiling = compareWith(await baselines.get(scenario.ceiling), load);
    return result;
  };

  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS.filter((candidate) => options.scenarios.includes(candidate.id))) {
    const result = await measureScenario(scenario);
    results.push(result);
    say(
      `(${scenario.id}) ${scenario.title}: ${Math.round(result.load.requestsPerSecond)} req/s, p99 ${result.load.latencyP99Ms} ms, ` +
        `${result.load.non2xx + result.load.errors} failed` +
        (result.baseline ? `; ${result.baseline.label} ${Math.round(result.baseline.perSecond)}/s` : '') +
        ` [${elapsed()}]`,
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

  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.versions.node, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() },
    settings: { ...options, issuer },
    scenarios: results,
    baselines: baselines.all(),
    targets: evaluateTargets(results),
    instanceChecks,
  };
  say('');
  say(formatReport(report, options));
  const file = writeReport(RESULTS_DIR, report);
  say('');
  say(`written ${path.relative(process.cwd(), file)}; total ${elapsed()}`);
  // The checks are pass/fail; the targets are design goals and do not fail the run.
  if (instanceChecks?.some((check) => !check.passed)) process.exitCode = 1;
} catch (error) {
  process.exitCode = 1;
  say(error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  await cleanUp();
  // Keep-alive sockets of fetch would otherwise hold the process open for a few seconds.
  process.exit();
}

/**
 * `npm run bench [-- --quick] [--instances 2] [--cpu-prof] ...` (issues #7 and 14): Gatehouse under
 * load, each scenario beside its baselines measured in the same run, in turn (Gatehouse, baseline,
 * Gatehouse, baseline, ... for --rounds rounds), medians reported. Flags: bench/lib/options.ts.
 *
 * Processes: an embedded PostgreSQL (pg_stat_statements loaded); Gatehouse (the compiled
 * `dist/main.js`, one or two instances, plus bench/proxy.ts for two); the HTTP baselines
 * (bench/baselines/bare-*.ts) as their own processes; this process only generates load
 * (autocannon) and runs the in-process baselines (argon2id, jose).
 *
 * Honest accounting: CPU per request is the server's process tree plus the PostgreSQL cluster's
 * (postmaster and every backend), read from /proc, for Gatehouse and for every HTTP baseline alike.
 * A scenario with a round that completed nothing, or with any failed request (warm-up included,
 * its baselines included), is INVALID and the run exits non-zero.
 */
import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { BASELINE_LABELS, Baselines, type BaselineKey } from './baselines/index.js';
import { measureTokenAlgorithms, type TokenAlgorithm } from './baselines/jose-sign.js';
import { nodeProxyBalancer, runInstanceChecks } from './instances.js';
import { REPO_ROOT, startScript, waitUntilServing, type NodeProcess } from './lib/child-process.js';
import { monotonicMicros, summarizeCpuProfile } from './lib/cpu-profile.js';
import { DatabaseCounters, type DatabaseActivity } from './lib/database-activity.js';
import { passwordGrant, seedFixtures } from './lib/fixtures.js';
import { buildServer, startGatehouseProcess, type GatehouseProcess } from './lib/gatehouse-process.js';
import { expectOk, freePort, requestJson } from './lib/http.js';
import { measureLoad, type LoadTiming } from './lib/load.js';
import { parseBenchOptions } from './lib/options.js';
import { startBenchDatabase } from './lib/postgres.js';
import {
  compare,
  formatReport,
  median,
  summarizeRounds,
  writeReport,
  type AlgorithmCost,
  type BenchReport,
  type InstanceCheck,
  type RoundResult,
  type ScenarioResult,
} from './lib/report.js';
import { evaluateTargets } from './lib/targets.js';
import { SCENARIOS, type Scenario, type ScenarioEnvironment } from './scenarios/index.js';

const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
const say = (line: string) => process.stdout.write(`${line}\n`);
const began = performance.now();
const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0)} s`;

const options = parseBenchOptions(process.argv.slice(2));
if (Number(process.versions.node.split('.')[0]) < 22) {
  throw new Error(`Node ${process.versions.node}: run through npm (npm run bench) or npx tsx, which use Node 22 from node_modules`);
}
if (options.cpuProfile && options.instances !== 1) throw new Error('--cpu-prof profiles one instance: use it without --instances 2');

/** A process's first measurement of a scenario warms up until steady; later rounds only briefly. */
const timing = (cold: boolean): LoadTiming => ({
  durationSeconds: options.durationSeconds,
  warmup: cold
    ? { minSeconds: options.warmupSeconds, maxSeconds: Math.max(options.warmupSeconds, options.warmupMaxSeconds), tolerance: 0.1 }
    : { minSeconds: Math.min(1, options.warmupSeconds), maxSeconds: Math.max(1, Math.min(options.warmupMaxSeconds, options.quick ? 3 : 8)), tolerance: 0.1 },
});

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
    `Gatehouse benchmark (${options.quick ? 'quick' : 'full'}): ${options.connections} connections, ${options.rounds} rounds of ` +
      `${options.durationSeconds} s per scenario and baseline (warm-up >= ${options.warmupSeconds} s until steady, <= ${options.warmupMaxSeconds} s), ` +
      `${options.instances} instance(s), ${cpus().length} CPUs, Node ${process.versions.node}, load average ${loadAtStart.map((value) => value.toFixed(2)).join(' ')}`,
  );
  if (loadAtStart[0]! > cpus().length / 2) {
    say(
      `note: load average ${loadAtStart[0]!.toFixed(1)} before starting - other work shares the CPUs; compare "CPU ms/req" and "CPU ratio" rather than req/s`,
    );
  }
  const entry = buildServer(options.serverDir);
  say(`server entry: ${entry}${options.serverDir ? ` in ${options.serverDir}` : ''} (built after ${elapsed()})`);
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
  const startups: number[] = [];
  const idleRss: number[] = [];
  const profileFile = (scenario: Scenario) => `${profileStamp}-gatehouse-${scenario.id}.cpuprofile.json`;
  const launch = async (index: number, profiled?: Scenario) => {
    // A restart takes a new port, the old one may have been taken meanwhile; the issuer stays, so
    // the tokens issued before remain valid.
    if (servers[index]) ports[index] = await freePort();
    servers[index] = await startGatehouseProcess(
      {
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
      },
      entry,
    );
    startups.push(servers[index]!.startupMs);
    idleRss.push(servers[index]!.idleRssMb);
    return servers[index]!;
  };
  cleanups.push(() => Promise.all(servers.map((server) => server.stop())));
  // One after the other: the first applies the migrations. Then instance A restarts once, so the
  // start-up time with an existing (migrated) database is measured too.
  for (let index = 0; index < options.instances; index += 1) await launch(index);
  await servers[0]!.stop();
  await launch(0);
  say(`start-up: ${startups.map((ms) => `${ms} ms`).join(', ')} (the first applied the migrations); idle RSS ${idleRss.map((mb) => `${mb} MB`).join(', ')}`);

  let proxy: { process: NodeProcess; url: string } | undefined;
  if (proxyPort) {
    const child = startScript('proxy', 'bench/proxy.ts', {
      ipc: true,
      env: { PORT: String(proxyPort), UPSTREAMS: servers.map((server) => server.url).join(',') },
    });
    cleanups.push(() => child.stop());
    proxy = { process: child, url: issuer };
    await waitUntilServing(child, `${issuer}/healthz`);
  }
  say(`Gatehouse up (${servers.map((server) => `pid ${server.pid}`).join(', ')})${proxy ? ` behind the proxy at ${proxy.url}` : ''} after ${elapsed()}`);

  const setupUrl = () => servers[0]!.url;
  const fixtures = await seedFixtures(database.url, setupUrl(), options.serverDir);
  const customer = await passwordGrant(setupUrl(), fixtures, fixtures.users[0]!);
  const idle = await passwordGrant(setupUrl(), fixtures, fixtures.users[1]!);
  const bearer = { authorization: `Bearer ${customer.access_token}` };
  const probe = await requestJson(`${setupUrl()}/api/v1/user/info`, { headers: bearer });
  const userInfoPath = probe.status === 404 ? '/oauth/userinfo' : '/api/v1/user/info';
  expectOk(`GET ${userInfoPath}`, probe.status === 404 ? await requestJson(`${setupUrl()}${userInfoPath}`, { headers: bearer }) : probe);
  const jwks = expectOk('GET /oauth/jwks', await requestJson(`${setupUrl()}/oauth/jwks`));
  say(`fixtures ready after ${elapsed()}; user info at ${userInfoPath}`);

  const environment: ScenarioEnvironment = {
    setupUrl: setupUrl(),
    fixtures,
    connections: options.connections,
    userAccessToken: customer.access_token,
    idleRefreshToken: idle.refresh_token!,
    userInfoPath,
  };
  // The algorithm the server signs access tokens with (ACCESS_TOKEN_ALG or its default): the bare
  // provider and the signing ceiling use the same.
  const accessTokenAlg = decodeProtectedHeader(customer.access_token).alg as TokenAlgorithm;
  say(`access tokens signed with ${accessTokenAlg}`);
  let bareDatabase: Promise<string> | undefined;
  const baselines = new Baselines({
    connections: options.connections,
    timing,
    durationSeconds: options.durationSeconds,
    gatehouse: { issuer, audience: `${issuer}/api`, jwks },
    userAccessToken: customer.access_token,
    accessTokenAlg,
    gatehouseDatabaseUrl: database.url,
    bareDatabaseUrl: () => (bareDatabase ??= database.createDatabase(`bare_provider_${Date.now()}`)),
    databasePids: () => [database.postmasterPid()],
  });
  cleanups.push(() => baselines.stop());
  const counters = await DatabaseCounters.connect(database.url);
  cleanups.push(() => counters.close());

  /** One round of Gatehouse in one scenario, through the proxy or the one instance. */
  const measureGatehouse = async (
    requests: () => import('autocannon').Request[],
    cold: boolean,
    window: { from: number; to: number },
  ): Promise<RoundResult> => {
    let before: Promise<DatabaseActivity> | undefined;
    let after: DatabaseActivity | undefined;
    const load = await measureLoad({ url: proxy?.url ?? servers[0]!.url, connections: options.connections, requests }, timing(cold), {
      serverPids: servers.map((server) => server.pid),
      databasePids: [database.postmasterPid()],
      onMeasureStart: () => {
        window.from = monotonicMicros();
        before = counters.read();
      },
      onMeasureEnd: async () => {
        window.to = monotonicMicros();
        after = await counters.read();
      },
    });
    return { load, database: DatabaseCounters.perRequest(await before!, after!, load.total2xx) };
  };

  const measureScenario = async (scenario: Scenario): Promise<ScenarioResult> => {
    if (options.cpuProfile) {
      await servers[0]!.stop();
      environment.setupUrl = (await launch(0, scenario)).url;
    }
    const prepared = await scenario.prepare(environment);
    const keys: BaselineKey[] = options.baselines ? (scenario.baselines ?? []) : [];
    const rounds: RoundResult[] = [];
    const baselineRounds = new Map<BaselineKey, Awaited<ReturnType<Baselines['measure']>>[]>(keys.map((key) => [key, []]));
    const window = { from: 0, to: 0 };
    for (let round = 0; round < options.rounds; round += 1) {
      await prepared.beforeRound?.();
      const ours = await measureGatehouse(prepared.requests, round === 0, window);
      rounds.push(ours);
      const parts = [`${Math.round(ours.load.requestsPerSecond)}/s ${ours.load.totalCpuMsPerRequest ?? '?'} ms`];
      for (const key of keys) {
        const result = await baselines.measure(key);
        baselineRounds.get(key)!.push(result);
        parts.push(`${BASELINE_LABELS[key]} ${Math.round(result.perSecond)}/s ${result.cpuMsPerRequest ?? '?'} ms`);
      }
      say(`  (${scenario.id}) round ${round + 1}: ${parts.join(' | ')} [${elapsed()}]`);
    }
    const comparisons = keys.map((key) => compare(key, rounds, baselineRounds.get(key)!));
    const ceiling = options.baselines && scenario.ceiling ? compare(scenario.ceiling, rounds, [await baselines.measure(scenario.ceiling)]) : undefined;
    const invalidReasons: string[] = [];
    rounds.forEach((round, index) => {
      const load = round.load;
      if (load.total2xx === 0) invalidReasons.push(`round ${index + 1} completed no request`);
      const failed = load.non2xx + load.errors + load.warmup.non2xx + load.warmup.errors;
      if (failed > 0) {
        invalidReasons.push(
          `round ${index + 1}: ${failed} failed (status ${JSON.stringify(load.statusCodes)}, warm-up ${JSON.stringify(load.warmup.failures)}, ` +
            `errors ${load.errors + load.warmup.errors}${Object.keys(load.errorKinds).length ? ` ${JSON.stringify(load.errorKinds)}` : ''})`,
        );
      }
    });
    for (const comparison of comparisons) if (!comparison.valid) invalidReasons.push(`baseline ${comparison.label} completed nothing or failed requests`);
    // The statement list of the round with the median count.
    const statementCounts = rounds.map((round) => round.database?.statements ?? Number.NaN);
    const medianStatements = median(statementCounts);
    const representative = rounds.find((round) => round.database?.statements === medianStatements) ?? rounds[0];
    const result: ScenarioResult = {
      id: scenario.id,
      title: scenario.title,
      path: prepared.endpoint,
      summary: summarizeRounds(rounds),
      rounds,
      database: representative?.database,
      comparisons,
      ceiling,
      valid: invalidReasons.length === 0,
      invalidReasons,
      notes: prepared.notes ?? [],
    };
    if (options.cpuProfile) {
      await servers[0]!.stop();
      result.profile = summarizeCpuProfile(path.join(RESULTS_DIR, profileFile(scenario)), 20, { fromMicros: window.from, toMicros: window.to });
      environment.setupUrl = (await launch(0)).url;
    }
    return result;
  };

  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS.filter((candidate) => options.scenarios.includes(candidate.id))) {
    const result = await measureScenario(scenario);
    results.push(result);
    const headline = result.comparisons[0];
    say(
      `(${scenario.id}) ${scenario.title}: ${result.valid ? '' : 'INVALID - '}${Math.round(result.summary.requestsPerSecond)} req/s, ` +
        `p99 ${result.summary.latencyP99Ms} ms, ${result.summary.totalCpuMsPerRequest ?? '?'} ms CPU/req, ${result.summary.statementsPerRequest ?? '?'} statements/req` +
        (headline ? `; ${headline.label} ${Math.round(headline.perSecond)}/s, CPU ratio ${Math.round((headline.cpuRatio ?? Number.NaN) * 100)}%` : '') +
        ` [${elapsed()}]`,
    );
  }

  let algorithms: AlgorithmCost[] | undefined;
  if (options.algorithms) {
    algorithms = await measureTokenAlgorithms(options.quick ? 1 : 3, options.connections);
    say(`access-token algorithms measured [${elapsed()}]`);
  }

  let instanceChecks: InstanceCheck[] | undefined;
  if (proxy) {
    say('two-instance checks (the last one SIGKILLs instance B mid-run)...');
    instanceChecks = await runInstanceChecks({
      first: servers[0]!,
      second: servers[1]!,
      balancer: nodeProxyBalancer(proxy),
      fixtures,
      userInfoPath,
      connections: options.connections,
      durationSeconds: options.durationSeconds,
    });
  }

  const server = { entry, startupMs: startups, idleRssMb: idleRss };
  const valid = results.every((result) => result.valid) && !instanceChecks?.some((check) => !check.passed);
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.versions.node,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadavg(),
    },
    settings: { ...options, issuer },
    server,
    scenarios: results,
    algorithms,
    targets: evaluateTargets(results, server),
    instanceChecks,
    valid,
  };
  say('');
  say(formatReport(report, options));
  const file = writeReport(RESULTS_DIR, report);
  say('');
  say(`written ${path.relative(process.cwd(), file)}; total ${elapsed()}`);
  // The targets are design goals and do not fail the run; an invalid measurement does.
  if (!valid) process.exitCode = 1;
} catch (error) {
  process.exitCode = 1;
  say(error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  await cleanUp();
  // Keep-alive sockets of fetch would otherwise hold the process open for a few seconds.
  process.exit();
}

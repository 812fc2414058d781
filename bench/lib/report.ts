import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BaselineKey, BaselineResult } from '../baselines/index.js';
import { formatProfile, type ProfileSummary } from './cpu-profile.js';
import type { DatabaseActivityPerRequest } from './database-activity.js';
import type { LoadResult } from './load.js';
import type { TargetCheck } from './targets.js';

/** A baseline beside Gatehouse: medians over the rounds, ratios taken round by round. */
export interface Comparison {
  key: BaselineKey;
  label: string;
  /** Median operations per second. */
  perSecond: number;
  /** Median CPU per operation, PostgreSQL included, ms. */
  cpuMsPerRequest?: number;
  /** Median of the per-round ratios of Gatehouse's requests/s to the baseline's operations/s; NaN when the baseline failed. */
  ratio: number;
  /**
   * Median of the per-round ratios of the baseline's CPU per operation to Gatehouse's CPU per
   * request (both with PostgreSQL's CPU): the throughput ratio both would reach CPU-bound on an
   * otherwise idle machine. Steadier than `ratio` when other work shares the cores.
   */
  cpuRatio?: number;
  /** Every round failed nothing and completed something. */
  valid: boolean;
  rounds: BaselineResult[];
}

/** One round of Gatehouse in one scenario. */
export interface RoundResult {
  load: LoadResult;
  database?: DatabaseActivityPerRequest;
}

/** Medians over the rounds (sums for failures, the maximum for memory). */
export interface ScenarioSummary {
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
  peakRssMb?: number;
  serverCpuMsPerRequest?: number;
  serverMainThreadCpuMsPerRequest?: number;
  databaseCpuMsPerRequest?: number;
  totalCpuMsPerRequest?: number;
  statementsPerRequest?: number;
  transactionsPerRequest?: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  path: string;
  summary: ScenarioSummary;
  rounds: RoundResult[];
  /** The round whose statement count is the median, with its statement list. */
  database?: DatabaseActivityPerRequest;
  comparisons: Comparison[];
  ceiling?: Comparison;
  /** False when a round completed nothing, or anything (warm-up included) failed, here or in a baseline. */
  valid: boolean;
  invalidReasons: string[];
  notes: string[];
  profile?: ProfileSummary;
}

export interface InstanceCheck {
  check: string;
  passed: boolean;
  detail: string;
}

export interface AlgorithmCost {
  alg: string;
  signCpuMs: number;
  verifyCpuMs: number;
  signsPerSecond: number;
  verifiesPerSecond: number;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  settings: Record<string, unknown>;
  server: { entry: string; startupMs: number[]; idleRssMb: number[] };
  scenarios: ScenarioResult[];
  algorithms?: AlgorithmCost[];
  targets: TargetCheck[];
  instanceChecks?: InstanceCheck[];
  valid: boolean;
}

export const median = (values: number[]): number => {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const medianOf = (values: Array<number | undefined>): number | undefined => {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length ? Math.round(median(defined) * 1000) / 1000 : undefined;
};

export function summarizeRounds(rounds: RoundResult[]): ScenarioSummary {
  const loads = rounds.map((round) => round.load);
  const rss = loads.map((load) => load.peakRssMb).filter((value): value is number => value !== undefined);
  return {
    requestsPerSecond: median(loads.map((load) => load.requestsPerSecond)),
    latencyP50Ms: median(loads.map((load) => load.latencyP50Ms)),
    latencyP99Ms: median(loads.map((load) => load.latencyP99Ms)),
    non2xx: loads.reduce((sum, load) => sum + load.non2xx + load.warmup.non2xx, 0),
    errors: loads.reduce((sum, load) => sum + load.errors + load.warmup.errors, 0),
    peakRssMb: rss.length ? Math.max(...rss) : undefined,
    serverCpuMsPerRequest: medianOf(loads.map((load) => load.serverCpuMsPerRequest)),
    serverMainThreadCpuMsPerRequest: medianOf(loads.map((load) => load.serverMainThreadCpuMsPerRequest)),
    databaseCpuMsPerRequest: medianOf(loads.map((load) => load.databaseCpuMsPerRequest)),
    totalCpuMsPerRequest: medianOf(loads.map((load) => load.totalCpuMsPerRequest)),
    statementsPerRequest: medianOf(rounds.map((round) => round.database?.statements)),
    transactionsPerRequest: medianOf(rounds.map((round) => round.database?.transactions)),
  };
}

/** Pairs round i of Gatehouse with round i of the baseline. */
export function compare(key: BaselineKey, gatehouse: RoundResult[], rounds: BaselineResult[]): Comparison {
  const usable = (result: BaselineResult) => result.completed > 0 && !result.non2xx && !result.errors && result.perSecond > 0;
  const valid = rounds.length > 0 && rounds.every(usable);
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  rounds.forEach((result, index) => {
    const ours = gatehouse[index]?.load;
    if (!ours || !usable(result)) return;
    ratios.push(ours.requestsPerSecond / result.perSecond);
    if (result.cpuMsPerRequest && ours.totalCpuMsPerRequest) cpuRatios.push(result.cpuMsPerRequest / ours.totalCpuMsPerRequest);
  });
  return {
    key,
    label: rounds[0]?.label ?? key,
    perSecond: median(rounds.map((result) => result.perSecond)),
    cpuMsPerRequest: medianOf(rounds.map((result) => result.cpuMsPerRequest)),
    ratio: valid ? median(ratios) : Number.NaN,
    cpuRatio: valid && cpuRatios.length ? median(cpuRatios) : undefined,
    valid,
    rounds,
  };
}

const integer = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');
const milliseconds = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const percent = (ratio: number | undefined) => (ratio !== undefined && Number.isFinite(ratio) ? `${Math.round(ratio * 100)}%` : 'n/a');
const cpu = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(2));

function table(headers: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function formatScenarios(results: ScenarioResult[]): string {
  const rows = results.flatMap((result) => {
    const summary = result.summary;
    const headline = [
      `(${result.id}) ${result.title}`,
      result.valid ? 'ok' : 'INVALID',
      integer(summary.requestsPerSecond),
      milliseconds(summary.latencyP50Ms),
      milliseconds(summary.latencyP99Ms),
      String(summary.non2xx + summary.errors),
      summary.peakRssMb === undefined ? '-' : String(summary.peakRssMb),
      `${cpu(summary.serverCpuMsPerRequest)} (${cpu(summary.serverMainThreadCpuMsPerRequest)}) + ${cpu(summary.databaseCpuMsPerRequest)}`,
      summary.statementsPerRequest === undefined ? '-' : summary.statementsPerRequest.toFixed(1),
    ];
    const comparisons = result.comparisons.length ? result.comparisons : [undefined];
    return comparisons.map((comparison, index) => [
      ...(index === 0 ? headline : headline.map(() => '')),
      comparison ? `${comparison.label}: ${integer(comparison.perSecond)}/s, ${cpu(comparison.cpuMsPerRequest)} ms` : 'none defined',
      comparison ? percent(comparison.ratio) : '-',
      comparison ? percent(comparison.cpuRatio) : '-',
    ]);
  });
  const main = table(
    [
      'scenario',
      'valid',
      'req/s',
      'p50 ms',
      'p99 ms',
      'failed',
      'RSS MB',
      'CPU ms/req node (main thread) + pg',
      'stmts/req',
      'baseline (median)',
      'ratio',
      'CPU ratio',
    ],
    rows,
    new Set([2, 3, 4, 5, 6, 7, 8, 10, 11]),
  );
  const extras = results.flatMap((result) => [
    ...result.invalidReasons.map((reason) => `  (${result.id}) INVALID: ${reason}`),
    ...(result.ceiling
      ? [
          `  (${result.id}) ceiling: ${result.ceiling.label} ${integer(result.ceiling.perSecond)}/s -> ${percent(result.ceiling.ratio)} of it` +
            (result.ceiling.cpuRatio === undefined ? '' : ` (by CPU per operation: ${percent(result.ceiling.cpuRatio)})`),
        ]
      : []),
    ...(result.database
      ? [
          `  (${result.id}) database per request: ${result.database.statements} statements, ${result.database.transactions} transactions, ` +
            `${result.database.rowsRead} rows read, ${result.database.rowsInserted} inserted, ${result.database.rowsUpdated} updated, ${result.database.rowsDeleted} deleted`,
          ...result.database.topStatements
            .slice(0, 8)
            .map(
              (statement) =>
                `      ${statement.perRequest.toFixed(2)}x plan ${statement.planMs.toFixed(3)} exec ${statement.execMs.toFixed(3)} ms  ${statement.query}`,
            ),
        ]
      : []),
    `  (${result.id}) rounds: ${result.rounds.map((round) => `${integer(round.load.requestsPerSecond)}/s ${cpu(round.load.totalCpuMsPerRequest)} ms (warm-up ${round.load.warmup.seconds} s${round.load.warmup.steady ? '' : ', not steady'})`).join('; ')}`,
    ...result.notes.map((note) => `  (${result.id}) ${note}`),
  ]);
  const legend =
    'CPU ms/req: CPU (all threads; in brackets the main threads alone) per 2xx response of the server process tree + the PostgreSQL cluster (postmaster and backends). ' +
    'ratio / CPU ratio: medians of per-round ratios; CPU ratio = baseline CPU per operation / Gatehouse CPU per request (PostgreSQL included on both sides), ' +
    'i.e. the throughput ratio both would reach CPU-bound on an idle machine; steadier than "ratio" when other work shares the cores.';
  return [main, '', legend, ...(extras.length ? ['', ...extras] : [])].join('\n');
}

export function formatBaselines(results: ScenarioResult[]): string {
  const rows = results.flatMap((result) =>
    [...result.comparisons, ...(result.ceiling ? [result.ceiling] : [])].map((comparison) => {
      const rounds = comparison.rounds;
      const p99 = rounds.map((round) => round.latencyP99Ms).filter((value): value is number => value !== undefined);
      const rss = rounds.map((round) => round.peakRssMb).filter((value): value is number => value !== undefined);
      const failed = rounds.reduce((sum, round) => sum + (round.non2xx ?? 0) + (round.errors ?? 0), 0);
      return [
        `(${result.id}) ${comparison.label}`,
        comparison.valid ? 'ok' : 'INVALID',
        integer(comparison.perSecond),
        p99.length ? milliseconds(median(p99)) : '-',
        String(failed),
        rss.length ? String(Math.max(...rss)) : '-',
        `${cpu(medianOf(rounds.map((round) => round.serverCpuMsPerRequest)))} (${cpu(medianOf(rounds.map((round) => round.serverMainThreadCpuMsPerRequest)))}) + ${cpu(medianOf(rounds.map((round) => round.databaseCpuMsPerRequest)))}`,
        medianOf(rounds.map((round) => round.database?.statements))?.toFixed(1) ?? '-',
      ];
    }),
  );
  if (!rows.length) return '(baselines skipped)';
  return table(['baseline', 'valid', 'ops/s', 'p99 ms', 'failed', 'RSS MB', 'CPU ms/op node (main) + pg', 'stmts/op'], rows, new Set([2, 3, 4, 5, 6, 7]));
}

export function formatAlgorithms(costs: AlgorithmCost[]): string {
  const rows = costs.map((cost) => [
    cost.alg,
    cost.signCpuMs.toFixed(3),
    cost.verifyCpuMs.toFixed(3),
    ...[1, 3, 10].map((verifications) => (cost.signCpuMs + verifications * cost.verifyCpuMs).toFixed(3)),
    integer(cost.signsPerSecond),
    integer(cost.verifiesPerSecond),
  ]);
  return table(
    ['alg', 'sign ms CPU', 'verify ms CPU', 'sign+1 verify', 'sign+3 verify', 'sign+10 verify', 'signs/s', 'verifies/s'],
    rows,
    new Set([1, 2, 3, 4, 5, 6, 7]),
  );
}

export function formatTargets(checks: TargetCheck[]): string {
  return table(
    ['target', 'actual', 'result'],
    checks.map((check) => [check.target, check.actual, check.met === undefined ? 'not measured' : check.met ? 'MET' : 'NOT MET']),
    new Set([1]),
  );
}

export function formatInstanceChecks(checks: InstanceCheck[]): string {
  return checks.map((check) => `${check.passed ? 'PASS' : 'FAIL'}  ${check.check}\n      ${check.detail}`).join('\n');
}

/** bench/results/<timestamp>.json (git-ignored, except the directory's .gitkeep). */
export function writeReport(resultsDir: string, report: BenchReport): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/** Everything the run prints at the end, in the order a reader needs it. */
export function formatReport(report: BenchReport, context: { instances: number; connections: number; durationSeconds: number; rounds: number }): string {
  const behindProxy = context.instances === 2;
  const sections = [
    `Gatehouse${behindProxy ? ' (2 instances behind the proxy)' : ''} (${report.server.entry}), ${context.connections} connections, ` +
      `${context.rounds} rounds x ${context.durationSeconds} s measured per scenario, baselines interleaved; medians:`,
    formatScenarios(report.scenarios),
    '',
    'Baselines (medians over the rounds):',
    formatBaselines(report.scenarios),
    '',
    `Server: start-up ${report.server.startupMs.map((ms) => `${ms} ms`).join(', ')}; idle RSS ${report.server.idleRssMb.map((mb) => `${mb} MB`).join(', ')}`,
  ];
  if (report.algorithms)
    sections.push('', 'Access-token algorithms, raw jose in-process (CPU per operation, all threads):', formatAlgorithms(report.algorithms));
  sections.push(
    '',
    `Targets (issue 14, by CPU ratio, 2-core machine)${behindProxy ? ' - measured through the proxy, not comparable with one instance' : ''}:`,
    formatTargets(report.targets),
  );
  if (report.instanceChecks) sections.push('', 'Two instances:', formatInstanceChecks(report.instanceChecks));
  for (const result of report.scenarios.filter((candidate) => candidate.profile)) {
    sections.push('', `CPU profile of (${result.id}) ${result.title}:`, formatProfile(result.profile!));
  }
  const invalid = report.scenarios.filter((result) => !result.valid);
  sections.push(
    '',
    report.valid
      ? `VALID: every scenario completed requests with no failure${context.rounds < 3 ? ` (but only ${context.rounds} round(s): not for publication)` : ''}.`
      : `INVALID RUN: ${invalid.map((result) => `(${result.id})`).join(' ') || 'the two-instance checks failed'} - see the reasons above.`,
  );
  return sections.join('\n');
}

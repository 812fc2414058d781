import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BaselineResult } from '../baselines/index.js';
import { formatProfile, type ProfileSummary } from './cpu-profile.js';
import type { DatabaseActivity } from './database-activity.js';
import type { LoadResult } from './load.js';
import type { TargetCheck } from './targets.js';

export interface Comparison {
  label: string;
  perSecond: number;
  /** Gatehouse's requests/s divided by the comparison's operations/s; NaN when the baseline failed. */
  ratio: number;
  /**
   * The comparison's CPU per operation divided by Gatehouse's CPU per request: what the throughput
   * ratio would be if both were CPU-bound on an otherwise idle machine. Steadier than `ratio` when
   * other work shares the cores.
   */
  cpuRatio?: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  path: string;
  load: LoadResult;
  /** PostgreSQL work per request during the measurement. */
  database?: DatabaseActivity;
  baseline?: Comparison;
  ceiling?: Comparison;
  notes: string[];
  profile?: ProfileSummary;
}

export interface InstanceCheck {
  check: string;
  passed: boolean;
  detail: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; node: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  settings: Record<string, unknown>;
  scenarios: ScenarioResult[];
  baselines: BaselineResult[];
  targets: TargetCheck[];
  instanceChecks?: InstanceCheck[];
}

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const milliseconds = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const percent = (ratio: number) => (Number.isFinite(ratio) ? `${Math.round(ratio * 100)}%` : 'n/a');

function table(headers: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function formatScenarios(results: ScenarioResult[]): string {
  const rows = results.map((result) => [
    `(${result.id}) ${result.title}`,
    integer(result.load.requestsPerSecond),
    milliseconds(result.load.latencyP50Ms),
    milliseconds(result.load.latencyP99Ms),
    String(result.load.non2xx),
    String(result.load.errors),
    result.load.peakRssMb === undefined ? '-' : String(result.load.peakRssMb),
    result.load.serverCpuMsPerRequest === undefined ? '-' : result.load.serverCpuMsPerRequest.toFixed(2),
    result.baseline ? `${result.baseline.label} ${integer(result.baseline.perSecond)}/s` : 'none defined',
    result.baseline ? percent(result.baseline.ratio) : '-',
    result.baseline?.cpuRatio === undefined ? '-' : percent(result.baseline.cpuRatio),
  ]);
  const main = table(
    ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'RSS MB', 'CPU ms/req', 'baseline', 'ratio', 'CPU ratio'],
    rows,
    new Set([1, 2, 3, 4, 5, 6, 7, 9, 10]),
  );
  const extras = results.flatMap((result) => [
    ...(result.ceiling
      ? [
          `  (${result.id}) ceiling: ${result.ceiling.label} ${integer(result.ceiling.perSecond)}/s -> ${percent(result.ceiling.ratio)} of it` +
            (result.ceiling.cpuRatio === undefined ? '' : ` (by CPU per operation: ${percent(result.ceiling.cpuRatio)})`),
        ]
      : []),
    ...(result.database
      ? [
          `  (${result.id}) database per request: ${result.database.transactions} transactions, ${result.database.rowsRead} rows read, ` +
            `${result.database.rowsInserted} inserted, ${result.database.rowsUpdated} updated, ${result.database.rowsDeleted} deleted`,
        ]
      : []),
    ...result.notes.map((note) => `  (${result.id}) ${note}`),
    ...(result.load.errors > 0
      ? [`  (${result.id}) connection errors: ${Object.entries(result.load.errorKinds).map(([kind, count]) => `${kind}x${count}`).join(' ') || result.load.errors}`]
      : []),
    ...(Object.keys(result.load.statusCodes).some((code) => !code.startsWith('2'))
      ? [`  (${result.id}) status codes: ${Object.entries(result.load.statusCodes).map(([code, count]) => `${code}x${count}`).join(' ')}`]
      : []),
  ]);
  const legend =
    'CPU ms/req: server CPU (all threads) per response. CPU ratio: the baseline\'s CPU per operation over Gatehouse\'s CPU per request, ' +
    'i.e. the throughput ratio both would reach CPU-bound on an idle machine; steadier than "ratio" when other work shares the cores.';
  return [main, '', legend, ...(extras.length ? ['', ...extras] : [])].join('\n');
}

export function formatBaselines(baselines: BaselineResult[]): string {
  if (!baselines.length) return '(baselines skipped)';
  return table(
    ['baseline', 'ops/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'RSS MB', 'CPU ms/req'],
    baselines.map((baseline) => [
      `${baseline.key} (${baseline.label})`,
      integer(baseline.perSecond),
      baseline.latencyP50Ms === undefined ? '-' : milliseconds(baseline.latencyP50Ms),
      baseline.latencyP99Ms === undefined ? '-' : milliseconds(baseline.latencyP99Ms),
      baseline.non2xx === undefined ? '-' : String(baseline.non2xx),
      baseline.errors === undefined ? '-' : String(baseline.errors),
      baseline.peakRssMb === undefined ? '-' : String(baseline.peakRssMb),
      baseline.cpuMsPerRequest === undefined ? '-' : baseline.cpuMsPerRequest.toFixed(2),
    ]),
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
export function formatReport(report: BenchReport, context: { instances: number; connections: number; durationSeconds: number }): string {
  const behindProxy = context.instances === 2;
  const sections = [
    `Gatehouse${behindProxy ? ' (2 instances behind the proxy)' : ''}, ${context.connections} connections, ${context.durationSeconds} s measured per scenario:`,
    formatScenarios(report.scenarios),
    '',
    formatBaselines(report.baselines),
    '',
    `Targets (issue #7, 2-core machine)${behindProxy ? ' - measured through the proxy, not comparable with one instance' : ''}:`,
    formatTargets(report.targets),
  ];
  if (report.instanceChecks) sections.push('', 'Two instances:', formatInstanceChecks(report.instanceChecks));
  for (const result of report.scenarios.filter((candidate) => candidate.profile)) {
    sections.push('', `CPU profile of (${result.id}) ${result.title}:`, formatProfile(result.profile!));
  }
  return sections.join('\n');
}

import type { ScenarioResult } from './report.js';

export interface TargetCheck {
  target: string;
  actual: string;
  /** undefined when the scenario or its baseline was not measured in this run. */
  met: boolean | undefined;
}

const P99_LIMIT_MS = 25;
const RSS_LIMIT_MB = 300;

/** Issue #7's design targets (2-core machine, 32 connections). */
export function evaluateTargets(results: ScenarioResult[]): TargetCheck[] {
  const byId = new Map(results.map((result) => [result.id, result]));
  const checks: TargetCheck[] = [];
  const perSecond = (id: string, minimum: number) => {
    const result = byId.get(id);
    checks.push({
      target: `(${id}) >= ${minimum.toLocaleString('en-US')} req/s`,
      actual: result ? `${Math.round(result.load.requestsPerSecond).toLocaleString('en-US')}/s` : 'not run',
      met: result ? result.load.requestsPerSecond >= minimum : undefined,
    });
  };
  const ratio = (id: string, minimum: number) => {
    const result = byId.get(id);
    const baseline = result?.baseline;
    checks.push({
      target: `(${id}) >= ${Math.round(minimum * 100)}% of ${baseline?.label ?? 'its baseline'}`,
      actual: !baseline ? 'not run' : Number.isFinite(baseline.ratio) ? `${(baseline.ratio * 100).toFixed(1)}%` : 'baseline failed',
      met: baseline && Number.isFinite(baseline.ratio) ? baseline.ratio >= minimum : undefined,
    });
  };
  perSecond('a', 2500);
  ratio('a', 0.5);
  perSecond('b', 1000);
  ratio('c', 0.85);
  ratio('d', 0.7);
  for (const id of ['a', 'b', 'd', 'e']) {
    const result = byId.get(id);
    checks.push({
      target: `(${id}) p99 < ${P99_LIMIT_MS} ms`,
      actual: result ? `${result.load.latencyP99Ms} ms` : 'not run',
      met: result ? result.load.latencyP99Ms < P99_LIMIT_MS : undefined,
    });
  }
  const failures = results.reduce((sum, result) => sum + result.load.non2xx + result.load.errors, 0);
  checks.push({ target: 'zero errors (non-2xx + connection errors, all scenarios)', actual: String(failures), met: results.length ? failures === 0 : undefined });
  const peak = Math.max(0, ...results.map((result) => result.load.peakRssMb ?? 0));
  checks.push({ target: `server peak RSS < ${RSS_LIMIT_MB} MB`, actual: `${peak} MB`, met: results.length ? peak < RSS_LIMIT_MB : undefined });
  return checks;
}

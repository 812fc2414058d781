import type { BaselineKey } from '../baselines/index.js';
import type { ScenarioResult } from './report.js';

export interface TargetCheck {
  target: string;
  actual: string;
  /** undefined when the scenario or its baseline was not measured in this run. */
  met: boolean | undefined;
}

const P99_LIMIT_MS = 25;
const IDLE_RSS_LIMIT_MB = 200;
const LOADED_RSS_LIMIT_MB = 260;
const STARTUP_LIMIT_MS = 2000;

/** Issue 14's design targets (2-core machine, 16 connections), ratios by CPU (PostgreSQL included). */
export function evaluateTargets(results: ScenarioResult[], server: { startupMs: number[]; idleRssMb: number[] }): TargetCheck[] {
  const byId = new Map(results.map((result) => [result.id, result]));
  const checks: TargetCheck[] = [];
  const perSecond = (id: string, minimum: number) => {
    const result = byId.get(id);
    checks.push({
      target: `(${id}) >= ${minimum.toLocaleString('en-US')} req/s`,
      actual: result ? `${Math.round(result.summary.requestsPerSecond).toLocaleString('en-US')}/s` : 'not run',
      met: result?.valid ? result.summary.requestsPerSecond >= minimum : undefined,
    });
  };
  const cpuRatio = (id: string, key: BaselineKey, minimum: number) => {
    const result = byId.get(id);
    const comparison = result?.comparisons.find((candidate) => candidate.key === key);
    const usable = result?.valid && comparison?.cpuRatio !== undefined && Number.isFinite(comparison.cpuRatio);
    checks.push({
      target: `(${id}) >= ${Math.round(minimum * 100)}% of ${comparison?.label ?? key} by CPU`,
      actual: !comparison ? 'not run' : usable ? `${(comparison.cpuRatio! * 100).toFixed(0)}%` : 'invalid',
      met: usable ? comparison.cpuRatio! >= minimum : undefined,
    });
  };
  cpuRatio('a', 'bare-provider-client-credentials', 0.95);
  perSecond('a', 3000);
  cpuRatio('b', 'bare-provider-refresh-token', 0.7);
  cpuRatio('b', 'bare-provider-pg-refresh-token', 1.0);
  perSecond('b', 800);
  cpuRatio('c', 'argon2id-http', 0.9);
  cpuRatio('c', 'argon2id-verify', 0.9);
  cpuRatio('d', 'bare-jose-pg-read', 0.8);
  for (const id of ['a', 'b', 'd']) {
    const result = byId.get(id);
    checks.push({
      target: `(${id}) p99 < ${P99_LIMIT_MS} ms`,
      actual: result ? `${result.summary.latencyP99Ms} ms` : 'not run',
      met: result?.valid ? result.summary.latencyP99Ms < P99_LIMIT_MS : undefined,
    });
  }
  const failures = results.reduce((sum, result) => sum + result.summary.non2xx + result.summary.errors, 0);
  checks.push({
    target: 'zero failures (non-2xx + connection errors, warm-ups included)',
    actual: String(failures),
    met: results.length ? failures === 0 : undefined,
  });
  const idle = Math.max(0, ...server.idleRssMb);
  checks.push({
    target: `server RSS idle < ${IDLE_RSS_LIMIT_MB} MB`,
    actual: `${idle} MB`,
    met: server.idleRssMb.length ? idle < IDLE_RSS_LIMIT_MB : undefined,
  });
  const peak = Math.max(0, ...results.map((result) => result.summary.peakRssMb ?? 0));
  checks.push({
    target: `server peak RSS < ${LOADED_RSS_LIMIT_MB} MB in every scenario`,
    actual: `${peak} MB`,
    met: results.length ? peak < LOADED_RSS_LIMIT_MB : undefined,
  });
  const restart = server.startupMs.length > 1 ? server.startupMs.slice(1) : [];
  checks.push({
    target: `start-up with an existing database < ${STARTUP_LIMIT_MS} ms`,
    actual: restart.length ? `${Math.max(...restart)} ms` : 'not measured (needs a restart)',
    met: restart.length ? Math.max(...restart) < STARTUP_LIMIT_MS : undefined,
  });
  return checks;
}

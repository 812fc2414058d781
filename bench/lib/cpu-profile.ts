import { readFileSync } from 'node:fs';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  startTime: number;
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  /** Share of the time the main thread was busy (idle excluded). */
  busyPercent: number;
}

export interface ProfileSummary {
  file: string;
  /** Only samples inside this window (monotonic clock, microseconds) were counted. */
  window?: { fromMicros: number; toMicros: number };
  sampledMs: number;
  idlePercent: number;
  functions: ProfileEntry[];
  areas: ProfileEntry[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Where a frame's code lives: a package, Gatehouse's own source, Node's internals, or V8. */
function areaOf(frame: CpuProfileNode['callFrame']): string {
  if (SPECIAL.has(frame.functionName)) return frame.functionName;
  const url = frame.url;
  if (!url) return '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node: internals';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (packageMatch) return packageMatch[1]!;
  if (url.includes('/src/')) return 'gatehouse src/';
  return url;
}

function location(frame: CpuProfileNode['callFrame']): string {
  if (!frame.url) return '';
  const short = frame.url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/(src\/)/, '$1');
  return ` ${short}:${frame.lineNumber + 1}`;
}

/** The clock V8 stamps profiles with (CLOCK_MONOTONIC on Linux, like process.hrtime), in microseconds. */
export const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time per function and per area of a V8 .cpuprofile (node --cpu-prof). Main thread only:
 * work on the libuv pool (WebCrypto RSA signing in jose, argon2) shows up as idle here. With a
 * window (from `monotonicMicros()` in any process on the machine), start-up and warm-up are left out.
 */
export function summarizeCpuProfile(file: string, top = 15, window?: { fromMicros: number; toMicros: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  let timestamp = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    timestamp += profile.timeDeltas[index] ?? 0;
    if (window && (timestamp < window.fromMicros || timestamp > window.toMicros)) continue;
    // timeDeltas[i] is the time since the previous sample: charge it to that previous sample.
    const delta = profile.timeDeltas[index + 1] ?? 0;
    const id = profile.samples[index]!;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
  }
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, micros] of selfMicros) {
    const frame = nodes.get(id)!.callFrame;
    total += micros;
    if (frame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    const name = `${frame.functionName || '(anonymous)'}${location(frame)}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const area = areaOf(frame);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
  }
  const busy = Math.max(1, total - idle);
  const entries = (map: Map<string, number>, count: number) =>
    [...map.entries()]
      .sort((left, right) => right[1] - left[1])
      .slice(0, count)
      .map(([name, micros]) => ({ name, selfMs: Math.round(micros / 1000), busyPercent: Math.round((micros / busy) * 1000) / 10 }));
  return {
    file,
    window,
    sampledMs: Math.round(total / 1000),
    idlePercent: Math.round((idle / Math.max(1, total)) * 1000) / 10,
    functions: entries(byFunction, top),
    areas: entries(byArea, 12),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const scope = summary.window ? 'measured window' : 'whole process';
  const lines = [`${summary.file}: ${summary.sampledMs} ms sampled (${scope}), main thread idle ${summary.idlePercent}%`, '  self time by area (% of busy):'];
  for (const area of summary.areas) lines.push(`    ${String(area.busyPercent).padStart(5)}%  ${area.name}`);
  lines.push('  top functions by self time (% of busy):');
  for (const entry of summary.functions) lines.push(`    ${String(entry.busyPercent).padStart(5)}%  ${entry.name}`);
  return lines.join('\n');
}

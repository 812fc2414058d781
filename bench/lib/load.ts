import autocannon from 'autocannon';
import { PeakRss, processCpuSeconds } from './process-stats.js';

export interface LoadSpec {
  /** Base URL (scheme, host, port); paths come from the requests. */
  url: string;
  connections: number;
  /**
   * The sequence each connection repeats. Built fresh for the warm-up and for the measurement
   * (autocannon keeps per-connection state in them).
   */
  requests: () => autocannon.Request[];
}

export interface LoadResult {
  /** 2xx responses per second over the measured period; failures are not throughput. */
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Every response that was not 2xx. */
  non2xx: number;
  /** Connection errors and timeouts (no response at all). */
  errors: number;
  total2xx: number;
  durationSeconds: number;
  statusCodes: Record<string, number>;
  /** Connection errors by code (ECONNRESET, ECONNREFUSED, timeouts...). */
  errorKinds: Record<string, number>;
  /** Peak RSS of the measured server process(es) over warm-up and measurement, MiB. */
  peakRssMb?: number;
  /** Server CPU time (all threads) per response during the measurement, milliseconds. */
  serverCpuMsPerRequest?: number;
}

export function runAutocannon(options: autocannon.Options, onStart?: (instance: autocannon.Instance) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    onStart?.(instance);
  });
}

/**
 * When autocannon stops, the requests it had in flight are still queued at the server (password
 * grants at 32 connections: seconds of argon2 work); waiting as long as the slowest response took
 * lets them finish before the next measurement starts.
 */
function drain(previous: autocannon.Result): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(10_000, previous.latency.max + 100)));
}

/**
 * A warm-up at the same concurrency (its numbers are discarded: JIT, connection pools, caches),
 * then the measured run. Status codes are counted from the measured run only.
 */
export async function measureLoad(
  spec: LoadSpec,
  timing: { warmupSeconds: number; durationSeconds: number },
  observe: {
    serverPids?: number[];
    onMeasureStart?: (instance: autocannon.Instance) => void;
    /** Called as the measured run ends, before its abandoned requests drain. */
    onMeasureEnd?: () => Promise<void>;
  } = {},
): Promise<LoadResult> {
  const rss = observe.serverPids ? new PeakRss(observe.serverPids).start() : undefined;
  const common = { url: spec.url, connections: spec.connections, pipelining: 1, timeout: 10 };
  if (timing.warmupSeconds > 0) {
    await drain(await runAutocannon({ ...common, duration: timing.warmupSeconds, requests: spec.requests() }));
  }
  const errorKinds: Record<string, number> = {};
  let cpuAtStart = 0;
  const result = await runAutocannon({ ...common, duration: timing.durationSeconds, requests: spec.requests() }, (instance) => {
    if (observe.serverPids) cpuAtStart = processCpuSeconds(observe.serverPids);
    instance.on('reqError', (error: NodeJS.ErrnoException) => {
      const kind = error?.code ?? error?.message ?? String(error);
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    });
    observe.onMeasureStart?.(instance);
  });
  const cpuUsed = observe.serverPids ? processCpuSeconds(observe.serverPids) - cpuAtStart : undefined;
  await observe.onMeasureEnd?.();
  // Likewise the measurement's own abandoned requests, before anything else is measured.
  await drain(result);
  const responses = result['2xx'] + result.non2xx;
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  return {
    requestsPerSecond: result['2xx'] / result.duration,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total2xx: result['2xx'],
    durationSeconds: result.duration,
    statusCodes,
    errorKinds,
    peakRssMb: rss?.stop(),
    serverCpuMsPerRequest: cpuUsed === undefined || responses === 0 ? undefined : Math.round((cpuUsed * 1000 * 100) / responses) / 100,
  };
}

/** Form body and Basic credentials the OAuth way (RFC 6749 §2.3.1: each part form-encoded first). */
export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
export const basicAuth = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' } as const;

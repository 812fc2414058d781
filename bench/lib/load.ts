import autocannon from 'autocannon';
import { mainThreadCpuSeconds, PeakRss, processTreeCpuSeconds } from './process-stats.js';

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

export interface WarmupPolicy {
  /** Never shorter than this (a cold process: JIT tiers, pools, caches). */
  minSeconds: number;
  /** Gives up waiting for a steady rate after this long (a busy machine may never settle). */
  maxSeconds: number;
  /** Steady: the last three one-second rates lie within this fraction of their mean. */
  tolerance: number;
}

export interface LoadTiming {
  durationSeconds: number;
  warmup: WarmupPolicy;
}

export interface LoadResult {
  /** 2xx responses per second over the measured period; failures are not throughput. */
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Every response that was not 2xx (measured run). */
  non2xx: number;
  /** Connection errors and timeouts (no response at all, measured run). */
  errors: number;
  total2xx: number;
  durationSeconds: number;
  statusCodes: Record<string, number>;
  /** Connection errors by code (ECONNRESET, ECONNREFUSED, timeouts...). */
  errorKinds: Record<string, number>;
  /** How long the warm-up ran, whether the rate had settled, and what failed during it. */
  warmup: WarmupResult;
  /** Peak RSS of the measured server (process tree) over warm-up and measurement, MiB. */
  peakRssMb?: number;
  /** Server CPU time (all threads, all processes of its tree) per 2xx response, ms. */
  serverCpuMsPerRequest?: number;
  /** The part of it spent on the servers' main threads (event loops), ms. */
  serverMainThreadCpuMsPerRequest?: number;
  /** PostgreSQL CPU time (postmaster and every backend) per 2xx response, ms. */
  databaseCpuMsPerRequest?: number;
  /** The two together: what a request costs the machine. */
  totalCpuMsPerRequest?: number;
}

export interface WarmupResult {
  seconds: number;
  steady: boolean;
  lastRates: number[];
  non2xx: number;
  errors: number;
  /** What the failures were: non-2xx statuses and connection errors by kind. */
  failures: Record<string, number>;
}

export function runAutocannon(options: autocannon.Options, onStart?: (instance: autocannon.Instance) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    onStart?.(instance);
  });
}

/**
 * When autocannon stops, the requests it had in flight are still queued at the server (password
 * grants at 16 connections: a second of argon2 work); waiting as long as the slowest response took
 * lets them finish before the next measurement starts.
 */
function drain(previous: autocannon.Result): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(10_000, previous.latency.max + 100)));
}

const steadyRates = (rates: number[], tolerance: number) => {
  if (rates.length < 3) return false;
  const last = rates.slice(-3);
  const mean = last.reduce((sum, rate) => sum + rate, 0) / 3;
  return mean > 0 && last.every((rate) => Math.abs(rate - mean) <= tolerance * mean);
};

/**
 * Load at the measured concurrency until the 2xx rate is steady (three one-second rates within
 * `tolerance` of their mean, after `minSeconds`), or `maxSeconds` have passed. Its numbers are
 * discarded except its failures, which invalidate the scenario like the measured run's.
 */
async function warmUp(common: autocannon.Options, spec: LoadSpec, policy: WarmupPolicy): Promise<WarmupResult> {
  const rates: number[] = [];
  let steady = false;
  const failures: Record<string, number> = {};
  const started = performance.now();
  const result = await runAutocannon({ ...common, duration: policy.maxSeconds, requests: spec.requests() }, (instance) => {
    let window = 0;
    instance.on('response', (_client: unknown, statusCode: number) => {
      if (statusCode >= 200 && statusCode < 300) window += 1;
      else failures[String(statusCode)] = (failures[String(statusCode)] ?? 0) + 1;
    });
    instance.on('reqError', (error: NodeJS.ErrnoException) => {
      const kind = error?.code ?? error?.message ?? String(error);
      failures[kind] = (failures[kind] ?? 0) + 1;
    });
    const timer = setInterval(() => {
      rates.push(window);
      window = 0;
      const seconds = (performance.now() - started) / 1000;
      if (seconds >= policy.minSeconds && steadyRates(rates, policy.tolerance)) {
        steady = true;
        clearInterval(timer);
        instance.stop();
      }
    }, 1000);
    instance.on('done', () => clearInterval(timer));
  });
  await drain(result);
  return {
    seconds: Math.round((performance.now() - started) / 100) / 10,
    steady,
    lastRates: rates.slice(-3),
    non2xx: result.non2xx,
    errors: result.errors,
    failures,
  };
}

/**
 * A warm-up until the rate is steady, then the measured run. Status codes are counted from the
 * measured run; CPU from /proc for the server's and the database's process trees over exactly
 * the measured run.
 */
export async function measureLoad(
  spec: LoadSpec,
  timing: LoadTiming,
  observe: {
    serverPids?: number[];
    /** The PostgreSQL cluster's postmaster (its backends are its children). */
    databasePids?: number[];
    onMeasureStart?: (instance: autocannon.Instance) => void;
    /** Called as the measured run ends, before its abandoned requests drain. */
    onMeasureEnd?: () => Promise<void>;
  } = {},
): Promise<LoadResult> {
  const rss = observe.serverPids ? new PeakRss(observe.serverPids).start() : undefined;
  const common = { url: spec.url, connections: spec.connections, pipelining: 1, timeout: 10 };
  const warmup: WarmupResult =
    timing.warmup.maxSeconds > 0 ? await warmUp(common, spec, timing.warmup) : { seconds: 0, steady: false, lastRates: [], non2xx: 0, errors: 0, failures: {} };
  const errorKinds: Record<string, number> = {};
  let serverCpuAtStart = 0;
  let mainThreadCpuAtStart = 0;
  let databaseCpuAtStart = 0;
  const result = await runAutocannon({ ...common, duration: timing.durationSeconds, requests: spec.requests() }, (instance) => {
    if (observe.serverPids) {
      serverCpuAtStart = processTreeCpuSeconds(observe.serverPids);
      mainThreadCpuAtStart = mainThreadCpuSeconds(observe.serverPids);
    }
    if (observe.databasePids) databaseCpuAtStart = processTreeCpuSeconds(observe.databasePids);
    instance.on('reqError', (error: NodeJS.ErrnoException) => {
      const kind = error?.code ?? error?.message ?? String(error);
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    });
    observe.onMeasureStart?.(instance);
  });
  const serverCpu = observe.serverPids ? processTreeCpuSeconds(observe.serverPids) - serverCpuAtStart : undefined;
  const mainThreadCpu = observe.serverPids ? mainThreadCpuSeconds(observe.serverPids) - mainThreadCpuAtStart : undefined;
  const databaseCpu = observe.databasePids ? processTreeCpuSeconds(observe.databasePids) - databaseCpuAtStart : undefined;
  await observe.onMeasureEnd?.();
  // Likewise the measurement's own abandoned requests, before anything else is measured.
  await drain(result);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count ?? 0;
  // Per 2xx response: failures are not what is being paid for (and any failure invalidates the run).
  const perRequest = (cpuSeconds: number | undefined) =>
    cpuSeconds === undefined || result['2xx'] === 0 ? undefined : Math.round((cpuSeconds * 1000 * 1000) / result['2xx']) / 1000;
  const server = perRequest(serverCpu);
  const database = perRequest(databaseCpu);
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
    warmup,
    peakRssMb: rss?.stop(),
    serverCpuMsPerRequest: server,
    serverMainThreadCpuMsPerRequest: perRequest(mainThreadCpu),
    databaseCpuMsPerRequest: database,
    totalCpuMsPerRequest: server === undefined ? undefined : Math.round((server + (database ?? 0)) * 1000) / 1000,
  };
}

/** Form body and Basic credentials the OAuth way (RFC 6749 §2.3.1: each part form-encoded first). */
export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
export const basicAuth = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' } as const;

import type { Context, Next } from 'koa';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const tokensIssued = new Counter({
    name: 'gatehouse_tokens_issued_total',
    help: 'Successful token endpoint responses by grant type',
    labelNames: ['grant_type'] as const,
    registers: [registry],
  });
  return { registry, requests, latency, tokensIssued };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Route label without ids or tokens in it, so label cardinality stays bounded. */
export function routeLabel(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: string })._matchedRoute;
  if (typeof matched === 'string') return matched;
  return ctx.path
    .split('/')
    .map((segment) => (segment.length > 20 || /\d{3,}/.test(segment) ? ':id' : segment))
    .join('/');
}

/**
 * Any path can be asked for, so a 404 nobody declared gets one label: otherwise each made-up
 * path would be a new time series, kept for the life of the process.
 */
const UNMATCHED = '(unmatched)';

/** The counter's and the histogram's children for one label set, so a request hashes its labels once. */
interface LabelledSeries {
  count(): void;
  observe(seconds: number): void;
}

export function measureRequests(metrics: Metrics) {
  const series = new Map<string, LabelledSeries>();
  const seriesFor = (method: string, route: string, status: string): LabelledSeries => {
    const key = `${method} ${status} ${route}`;
    let found = series.get(key);
    if (!found) {
      const labels = { method, route, status };
      const requests = metrics.requests.labels(labels);
      const latency = metrics.latency.labels(labels);
      found = { count: () => requests.inc(), observe: (seconds) => latency.observe(seconds) };
      series.set(key, found);
    }
    return found;
  };
  return async (ctx: Context, next: Next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const status = ctx.respond === false ? ctx.res.statusCode : ctx.status;
      const matched = typeof (ctx as Context & { _matchedRoute?: string })._matchedRoute === 'string';
      const route = status === 404 && !matched ? UNMATCHED : routeLabel(ctx);
      const measured = seriesFor(ctx.method, route, String(status));
      measured.count();
      measured.observe((performance.now() - started) / 1000);
    }
  };
}

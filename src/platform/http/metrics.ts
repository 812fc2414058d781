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

export function measureRequests(metrics: Metrics) {
  return async (ctx: Context, next: Next) => {
    const stop = metrics.latency.startTimer();
    try {
      await next();
    } finally {
      const status = String(ctx.respond === false ? ctx.res.statusCode : ctx.status);
      const labels = { method: ctx.method, route: routeLabel(ctx), status };
      metrics.requests.inc(labels);
      stop(labels);
    }
  };
}

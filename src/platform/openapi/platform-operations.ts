import { z } from 'zod';
import type { Operation } from './operation.js';
import { rempErrors } from './shapes.js';

const readiness = z
  .object({ status: z.enum(['ok', 'shutting_down', 'unavailable']), database: z.enum(['reachable', 'unreachable']).optional() })
  .meta({ id: 'Readiness' });

/**
 * The probes and metrics of platform/http/health-routes.ts, described here: route() builds on
 * platform/http, so that folder cannot use it without a folder cycle.
 */
export const platformOperations: Operation[] = [
  {
    method: 'get',
    path: '/healthz',
    tags: ['Operations'],
    summary: 'Liveness: the process is up (restart it if not)',
    security: [],
    responses: { 200: { description: 'Process up', schema: z.object({ status: z.literal('ok') }), example: { status: 'ok' } }, 400: rempErrors.malformed },
  },
  {
    method: 'get',
    path: '/readyz',
    tags: ['Operations'],
    summary: 'Readiness: the database answers within 2 s (route traffic elsewhere if not)',
    security: [],
    responses: {
      200: { description: 'Ready', schema: readiness, example: { status: 'ok', database: 'reachable' } },
      400: rempErrors.malformed,
      503: { description: 'Shutting down, or the database is unreachable', schema: readiness, example: { status: 'unavailable', database: 'unreachable' } },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    tags: ['Operations'],
    summary: 'Prometheus metrics (text exposition format)',
    security: [],
    responses: {
      200: {
        description: 'Prometheus text format',
        contentType: 'text/plain',
        example:
          '# HELP http_requests_total Requests answered, by route and status\n# TYPE http_requests_total counter\nhttp_requests_total{method="GET",route="/healthz",status="200"} 3\n',
      },
      400: rempErrors.malformed,
    },
  },
];

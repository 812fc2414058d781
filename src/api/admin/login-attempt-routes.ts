import { requestEntityManager } from '../../platform/db/orm.js';
import { z } from 'zod';
import type { Orm } from '../../platform/db/orm.js';
import type { Authenticator } from '../../oauth/callers/authenticator.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { rempErrors } from '../../platform/openapi/shapes.js';
import { listLoginAttempts } from '../../identity/login-attempts/service.js';

const loginAttemptsQuery = z
  .object({
    customer_id: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.iso.datetime({ offset: true }).optional().describe('RFC 3339; for paging back in time'),
  })
  .strict();

const loginAttemptView = z
  .object({
    id: z.string(),
    customer_id: z.string().nullable(),
    method: z.string(),
    result: z.enum(['success', 'failure', 'locked']),
    source: z.string().nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'LoginAttempt' });

const loginAttemptList = z.object({ status: z.literal('ok'), login_attempts: z.array(loginAttemptView) }).meta({ id: 'LoginAttemptList' });

/** Every credential check is recorded (issue #3 §7); admins read them here, newest first. */
export function createLoginAttemptRoutes(deps: { orm: Orm; auth: Authenticator }) {
  return routerFor([
    route({
      method: 'get',
      path: '/api/v1/admin/login-attempts',
      tags: ['Admin'],
      summary: 'Credential checks (password, OTP, tokens, social), newest first',
      description: 'Needs a user or client-credentials token with the users:admin scope.',
      security: [{ bearer: ['users:admin'] }],
      middleware: [deps.auth.authenticate({ scopes: ['users:admin'] })],
      request: { query: loginAttemptsQuery },
      responses: {
        200: {
          description: 'Attempts',
          schema: loginAttemptList,
          example: {
            status: 'ok',
            login_attempts: [
              {
                id: '1042',
                customer_id: '3f1c2a9e-8b4d-4c6e-9a7b-2d5e8f1a0c3b',
                method: 'password',
                result: 'failure',
                source: 'browser',
                ip: '203.0.113.7',
                user_agent: 'Mozilla/5.0',
                created_at: '2026-11-26T10:21:14.000Z',
              },
            ],
          },
        },
        400: rempErrors.invalid,
        401: rempErrors.unauthorized,
        403: rempErrors.forbidden,
      },
      async handler(ctx, { query }) {
        const rows = await listLoginAttempts(requestEntityManager(deps.orm), {
          customerId: query.customer_id,
          limit: query.limit,
          before: query.before ? new Date(query.before) : undefined,
        });
        ctx.body = {
          status: 'ok',
          login_attempts: rows.map((row) => ({
            id: String(row.id),
            customer_id: row.customerId ?? null,
            method: row.method,
            result: row.result,
            source: row.source ?? null,
            ip: row.ip ?? null,
            user_agent: row.userAgent ?? null,
            created_at: row.createdAt.toISOString(),
          })),
        };
      },
    }),
  ]);
}

import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Orm } from '../../platform/db/orm.js';
import type { Authenticator } from '../../oauth/callers/authenticator.js';
import { listLoginAttempts } from '../../identity/login-attempts/service.js';

export const loginAttemptsQuery = z
  .object({
    customer_id: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.iso.datetime({ offset: true }).optional().describe('RFC 3339; for paging back in time'),
  })
  .strict();

export const loginAttemptView = z.object({
  id: z.string(),
  customer_id: z.string().nullable(),
  method: z.string(),
  result: z.enum(['success', 'failure', 'locked']),
  source: z.string().nullable(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  created_at: z.string(),
});

/** Every credential check is recorded (issue #3 §7); admins read them here, newest first. */
export function createLoginAttemptRoutes(deps: { orm: Orm; auth: Authenticator }) {
  const router = new Router();
  router.get('/api/v1/admin/login-attempts', deps.auth.authenticate({ scopes: ['users:admin'] }), async (ctx) => {
    const query = loginAttemptsQuery.parse(ctx.query);
    const rows = await listLoginAttempts(deps.orm.em.fork() as EntityManager, {
      customerId: query.customer_id,
      limit: query.limit,
      before: query.before ? new Date(query.before) : undefined,
    });
    ctx.body = {
      status: 'ok',
      login_attempts: rows.map((row) =>
        loginAttemptView.parse({
          id: String(row.id),
          customer_id: row.customerId ?? null,
          method: row.method,
          result: row.result,
          source: row.source ?? null,
          ip: row.ip ?? null,
          user_agent: row.userAgent ?? null,
          created_at: row.createdAt.toISOString(),
        }),
      ),
    };
  });
  return router;
}

import Router from '@koa/router';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import type { Orm } from '../../platform/db/orm.js';
import { input } from '../../platform/http/body.js';
import { ApiError } from '../../platform/http/errors.js';
import { isAccessTokenRevoked, type VerifyAccessToken } from '../../oauth/callers/access-tokens.js';
import { createDeviceToken, pairDeviceWithGrant } from '../../identity/credentials/devices/service.js';

const deviceTokenInput = z.object({
  device_id: z.string().trim().min(1).max(255),
  access_token: z.string().min(1).max(4096).optional(),
});

/** REMP `POST /api/v1/users/get-device-token`: a new device token, optionally paired with an access token's grant. */
export function createDeviceRoutes(deps: { orm: Orm; verifyAccessToken: VerifyAccessToken }) {
  const router = new Router({ prefix: '/api/v1/users' });
  router.post('/get-device-token', async (ctx) => {
    const { device_id, access_token } = deviceTokenInput.parse(input(ctx));
    const em = deps.orm.em.fork() as EntityManager;
    let pairWith: { grantId: string; customerId: string } | undefined;
    if (access_token) {
      const claims = await deps.verifyAccessToken(access_token).catch(() => undefined);
      if (!claims || !claims.gid || (await isAccessTokenRevoked(deps.orm, claims)) || claims.sub === claims.client_id) {
        throw new ApiError(400, 'invalid_access_token', 'access_token: not a valid user access token');
      }
      pairWith = { grantId: claims.gid, customerId: claims.sub };
    }
    const { token } = await createDeviceToken(em, device_id);
    if (pairWith) await pairDeviceWithGrant(em, token, pairWith.grantId, pairWith.customerId);
    ctx.body = { device_token: token };
  });
  return router;
}

import { requestEntityManager } from '../../platform/db/orm.js';
import { z } from 'zod';
import type { Orm } from '../../platform/db/orm.js';
import { ApiError } from '../../platform/http/errors.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { rempFailure } from '../../platform/openapi/shapes.js';
import { isAccessTokenRevoked, type VerifyAccessToken } from '../../oauth/callers/access-tokens.js';
import { createDeviceToken, pairDeviceWithGrant } from '../../identity/credentials/devices/service.js';
import { exampleUserToken, rempBodyTypes } from './declarations.js';

const deviceTokenInput = z.object({
  device_id: z.string().trim().min(1).max(255),
  access_token: z.string().min(1).max(4096).optional(),
});

const deviceTokenView = z.object({ device_token: z.string() }).meta({ id: 'DeviceToken' });

/** REMP `POST /api/v1/users/get-device-token`: a new device token, optionally paired with an access token's grant. */
export function createDeviceRoutes(deps: { orm: Orm; verifyAccessToken: VerifyAccessToken }) {
  return routerFor([
    route({
      method: 'post',
      path: '/api/v1/users/get-device-token',
      tags: ['REMP users'],
      summary: 'New device token, optionally paired with a user access token',
      description: 'Public. With `access_token`, the device is paired with that token’s grant, so logging out the device ends it.',
      security: [],
      request: {
        body: deviceTokenInput,
        bodyTypes: rempBodyTypes,
        mergeQueryAndBody: true,
        example: { device_id: 'ios-7f3a9c', access_token: exampleUserToken },
      },
      responses: {
        200: { description: 'Device token', schema: deviceTokenView, example: { device_token: 'dt_9f8e7d6c5b4a39281706f5e4d3c2b1a0' } },
        400: rempFailure('Invalid input (the message names the field), or invalid_access_token: not a valid user access token', {
          code: 'invalid_access_token',
          message: 'access_token: not a valid user access token',
        }),
      },
      async handler(ctx, { body: { device_id, access_token } }) {
        const em = requestEntityManager(deps.orm);
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
      },
    }),
  ]);
}

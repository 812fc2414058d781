import { requestEntityManager } from '../../platform/db/orm.js';
import { CredentialRejected, signIn } from '../../identity/sign-in.js';
import { z } from 'zod';
import type { Config } from '../../platform/config.js';
import type { Orm } from '../../platform/db/orm.js';
import { authenticateWithPassword } from '../../identity/customers/service.js';
import { findActiveDeviceToken, revokeDeviceToken } from '../../identity/credentials/devices/service.js';
import { ApiError, tooManyRequests } from '../../platform/http/errors.js';
import type { CredentialLimiter } from '../../identity/limits/credential-limiter.js';
import { looksLikeJwt } from '../../oauth/callers/access-tokens.js';
import { bothChallenges, presentedAccessToken, type ResolveAccessToken } from '../../oauth/callers/access-token-resolver.js';
import { DevicePairingError, issueCustomerTokens } from '../../oauth/customer-tokens.js';
import type { ProviderHolder } from '../../oauth/provider-holder.js';
import { INTERNAL_CLIENT_ID } from '../../oauth/provider.js';
import { revokeGrant } from '../../oauth/revoke-grant.js';
import { publicUserMetaObject } from '../../identity/customers/meta/service.js';
import { rempUser } from './user-presenter.js';
import { route, routerFor } from '../../platform/openapi/route.js';
import { rempErrors, rempFailure, rempOk, rempUserShape } from '../../platform/openapi/shapes.js';
import { exampleUser, exampleUserToken, invalidInputOrDevice, rempBodyTypes } from './declarations.js';

export interface SessionRouteDependencies {
  config: Config;
  orm: Orm;
  providers: ProviderHolder;
  resolveAccessToken: ResolveAccessToken;
  loginLimiter: CredentialLimiter;
}

/** Scopes of a REMP user token: the customer acting on itself. */
export const REMP_USER_SCOPE = 'openid profile email users:read users:write meta:read meta:write';

const loginInput = z.object({
  email: z.email().max(254),
  password: z.string().min(1).max(1024),
  source: z.string().max(100).optional(),
  device_token: z.string().min(1).max(200).optional(),
});

const loginResponse = z
  .object({ status: z.literal('ok'), user: rempUserShape, user_meta: z.record(z.string(), z.string()), access: z.object({ token: z.string() }) })
  .meta({ id: 'RempLogin' });

// REMP's documented failure body names the error in `error`.
const authFailed = () => new ApiError(401, 'auth_failed', 'The e-mail address or password is incorrect.', { error: 'auth_failed' });

/** Tokens for a customer signed in through a REMP endpoint, issued to Gatehouse's own client. */
export async function issueRempUserToken(
  deps: Pick<SessionRouteDependencies, 'config' | 'orm' | 'providers'>,
  customerId: string,
  grantType: string,
  deviceToken?: string,
) {
  const provider = deps.providers.current;
  const client = await provider.Client.find(INTERNAL_CLIENT_ID);
  try {
    const tokens = await issueCustomerTokens({
      provider,
      config: deps.config,
      orm: deps.orm,
      client: client!,
      customerId,
      grantType,
      requestedScope: REMP_USER_SCOPE,
      deviceToken,
      refreshToken: false,
    });
    return tokens.access_token;
  } catch (error) {
    if (error instanceof DevicePairingError) throw new ApiError(400, 'invalid_device_token', 'device_token is invalid or revoked');
    throw error;
  }
}

/** REMP `POST /api/v1/users/login` and `/logout`: conveniences over the same credentials and grants. */
export function createSessionRoutes(deps: SessionRouteDependencies) {
  return routerFor([
    route({
      method: 'post',
      path: '/api/v1/users/login',
      tags: ['REMP users'],
      summary: 'Log in with e-mail and password; returns a user token',
      description: 'Public. Failures count against the same lock-out as the password grant (per e-mail address and per IP).',
      security: [],
      request: {
        body: loginInput,
        bodyTypes: rempBodyTypes,
        mergeQueryAndBody: true,
        example: { email: 'jane@example.com', password: 'correct horse battery staple', source: 'web' },
      },
      responses: {
        200: {
          description: 'Signed in',
          schema: loginResponse,
          example: { status: 'ok', user: { ...exampleUser, roles: [] }, user_meta: { newsletter: 'weekly' }, access: { token: exampleUserToken } },
        },
        400: invalidInputOrDevice,
        401: rempFailure('auth_failed: unknown e-mail address or wrong password', {
          code: 'auth_failed',
          message: 'The e-mail address or password is incorrect.',
          error: 'auth_failed',
        }),
        429: rempErrors.tooManyRequests,
      },
      async handler(ctx, { body: { email, password, source, device_token } }) {
        const em = requestEntityManager(deps.orm);
        const outcome = await signIn(em, {
          limiter: deps.loginLimiter,
          limiterKey: email,
          method: 'password',
          attempt: { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, source: source ? `api+${source}` : 'api' },
          verify: async () => {
            const found = await authenticateWithPassword(em, email, password);
            if (!found) throw new CredentialRejected('invalid credentials');
            return { customerId: found.id, customer: found };
          },
        });
        if (outcome.result === 'locked') throw tooManyRequests(outcome.retryAfterSeconds);
        if (outcome.result === 'failed') throw authFailed();
        const { customer } = outcome;
        const token = await issueRempUserToken(deps, customer.id, 'password', device_token);
        ctx.body = {
          status: 'ok',
          user: rempUser(customer, { roles: true }),
          user_meta: await publicUserMetaObject(em, customer.id),
          access: { token },
        };
      },
    }),
    route({
      method: 'post',
      path: '/api/v1/users/logout',
      tags: ['REMP users'],
      summary: 'Log out: ends the access token’s grant, or every grant paired with a device token',
      description: 'The bearer is a user access token (Bearer or DPoP) or a device token.',
      security: [{ bearer: [] }],
      responses: {
        200: { description: 'Logged out', schema: rempOk, example: { status: 'ok' } },
        400: rempErrors.malformed,
        403: rempFailure('invalid_token: missing, invalid or revoked (REMP answers 403; WWW-Authenticate says why)', {
          code: 'invalid_token',
          message: 'Invalid access token',
        }),
      },
      // Logs out the bearer: an access token ends its grant; a device token ends every grant paired with it.
      async handler(ctx) {
        const presented = presentedAccessToken(ctx.get('authorization'));
        if (!presented) throw new ApiError(403, 'invalid_token', 'Missing access token or device token', undefined, { 'WWW-Authenticate': bothChallenges });
        const { token } = presented;
        const provider = deps.providers.current;
        if (looksLikeJwt(token)) {
          // REMP answers 403 for a bad token; the RFC 6750 / 9449 challenge still says why.
          const claims = await deps.resolveAccessToken(ctx, presented, { authoritative: true }).catch((error: unknown) => {
            throw new ApiError(403, 'invalid_token', 'Invalid access token', undefined, error instanceof ApiError ? error.headers : undefined);
          });
          if (!claims.gid) throw new ApiError(403, 'invalid_token', 'Invalid access token');
          await revokeGrant(provider, claims.gid);
        } else {
          const em = requestEntityManager(deps.orm);
          const device = await findActiveDeviceToken(em, token);
          if (!device) throw new ApiError(403, 'invalid_token', 'Invalid access token or device token');
          for (const grantId of await revokeDeviceToken(em, device)) await revokeGrant(provider, grantId);
        }
        ctx.body = { status: 'ok' };
      },
    }),
  ]);
}

import type { Middleware } from 'koa';
import { currentCaller, type Authenticator } from '../../oauth/callers/authenticator.js';
import { apiTokenEndpoint, requireAdminUser } from '../../oauth/callers/user-access.js';
import type { BodyType } from '../../platform/http/body.js';
import type { SecurityRequirement } from '../../platform/openapi/operation.js';
import { rempErrors, rempFailure } from '../../platform/openapi/shapes.js';

/** REMP documents its forms as form, JSON or multipart bodies. */
export const rempBodyTypes: BodyType[] = ['form', 'json', 'multipart'];

/** Endpoints that act on users in general: a user token needs users:admin (checked before the input, as REMP does). */
export const adminUsersOnly: Middleware = async (ctx, next) => {
  requireAdminUser(currentCaller(ctx));
  await next();
};

/**
 * A REMP "API token" endpoint: an API key (in any of the headers) whitelisted for `endpoint`, or
 * a client-credentials or user token with `scope` (oauth/callers/user-access.ts).
 */
export function apiToken(auth: Authenticator, endpoint: string, scope: string, options: { admin?: boolean; note?: string } = {}) {
  const userRule = options.admin
    ? `A user token needs ${scope} and users:admin.`
    : `A user token with ${scope} may act only on its own user unless it also carries users:admin.`;
  return {
    description: [`REMP API token: an API key whitelisted for \`${endpoint}\`, or a client-credentials token with ${scope}.`, userRule, options.note]
      .filter(Boolean)
      .join(' '),
    security: [{ bearer: [scope] }, { apiKeyHeader: [] }, { xApiKey: [] }] satisfies SecurityRequirement[],
    middleware: [apiTokenEndpoint(auth, endpoint, scope), ...(options.admin ? [adminUsersOnly] : [])],
  };
}

/** REMP ids are integers (the customer's numeric id); the UUID comes beside it. */
export const exampleUserId = 1042;
export const exampleUserUuid = '3f1c2a9e-8b4d-4c6e-9a7b-2d5e8f1a0c3b';
export const exampleUserToken = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiIzZjFjMmE5ZSJ9.c2ln';
export const exampleUser = {
  id: exampleUserId,
  uuid: exampleUserUuid,
  email: 'jane@example.com',
  confirmed_at: '2026-11-26T10:21:14.000Z',
  first_name: 'Jane',
  last_name: 'Doe',
};

/** The 400 of routes that pair the issued token with a device token. */
export const invalidInputOrDevice = rempFailure(
  'Invalid input (the message names the field), or invalid_device_token: unknown, revoked or paired with another user',
  {
    code: 'invalid_device_token',
    message: 'device_token is invalid or revoked',
  },
);

/**
 * How REMP's own paths (`/api/v1/users/…`, `/user/…`, `/user-meta/…`) refuse a caller: REMP's code
 * table answers a missing or bad credential with 403 where RFC 6750 §3.1 says 401
 * (platform/http/error-handler.ts), so one 403 covers every refusal there but DPoP's.
 */
export const rempRefused = {
  401: rempFailure('A DPoP-bound token or DPoP proof refused: RFC 9449 keeps 401 (DPoP clients retry a use_dpop_nonce 401 with the nonce)', {
    code: 'invalid_dpop_proof',
    message: 'The DPoP proof is invalid',
  }),
  403: rempFailure(
    "Refused: missing, invalid, expired or revoked credentials (REMP's 403 for a failed authorization; WWW-Authenticate says why), a missing scope, or an API key not whitelisted for this endpoint",
    { code: 'invalid_token', message: 'The access token is invalid' },
    {
      'WWW-Authenticate': {
        description: 'The RFC 6750 challenge, kept on the 403 of a failed authorization',
        example: 'Bearer realm="gatehouse", error="invalid_token"',
      },
    },
  ),
};

/** Gatehouse's own additions under /api/v1 refuse as RFC 6750 §3.1 says: 401 for credentials, 403 for scope. */
export const apiRefused = { 401: rempErrors.unauthorized, 403: rempErrors.forbidden };

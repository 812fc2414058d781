import { z } from 'zod';
import type { ResponseHeaders, ResponseSpec } from './operation.js';

/**
 * Response shapes shared by many operations, as platform/http/error-handler.ts renders errors for
 * each API family. Their ids name them in `components.schemas`.
 */
export const rempError = z
  .object({ status: z.literal('error'), code: z.string(), message: z.string() })
  .loose()
  .meta({ id: 'RempError', description: 'REMP-style error; details such as `fields`, `reason` or `retry_after` are top-level fields.' });
export const rempOk = z.object({ status: z.literal('ok') }).meta({ id: 'RempOk' });
export const oauthError = z
  .object({ error: z.string(), error_description: z.string().optional() })
  .meta({ id: 'OAuthError', description: 'RFC 6749 §5.2 error response.' });
export const tenantFailure = z.object({ status: z.literal('Failed'), message: z.string() }).meta({ id: 'TenantFailure' });
export const tenantFieldErrors = z
  .object({ errors: z.record(z.string(), z.array(z.string())) })
  .meta({ id: 'TenantFieldErrors', description: 'Validation errors by field.' });

/**
 * REMP's user: `id` is the integer REMP integrators store (the customer's numeric id); `uuid` is
 * the same user's Gatehouse id, for the other families (spec README, REMP ids).
 */
export const rempUserShape = z
  .object({
    id: z.number().int(),
    uuid: z.uuid(),
    email: z.string().nullable(),
    confirmed_at: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    roles: z.array(z.string()).optional(),
    public_name: z.string().nullable().optional(),
    created_at: z.string().optional(),
  })
  .meta({ id: 'RempUser' });

export const tokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.enum(['Bearer', 'DPoP']),
    expires_in: z.number().int(),
    scope: z.string(),
    refresh_token: z.string().optional(),
    id_token: z.string().optional(),
    issued_token_type: z.string().optional(),
  })
  .meta({ id: 'TokenResponse', description: 'RFC 6749 §5.1 successful token response.' });

/** RFC 9110 §10.2.3; every 429 and some 503 carry it. */
export const retryAfter: ResponseHeaders = { 'Retry-After': { description: 'Seconds to wait before trying again', example: '30' } };

type ErrorExample = { code: string; message: string } & Record<string, unknown>;

/** An error in the REMP-style `{status:"error", code, message}` shape (REMP, CRM.COM and admin routes). */
export const rempFailure = (description: string, example: ErrorExample, headers?: ResponseHeaders): ResponseSpec => ({
  description,
  schema: rempError,
  example: { status: 'error', ...example },
  ...(headers ? { headers } : {}),
});

/** The failures every authenticated REMP-style route can give, with what the authenticator answers. */
export const rempErrors = {
  invalid: rempFailure('Invalid input; the message names the field', {
    code: 'invalid_request',
    message: 'email: Invalid email address',
    fields: { email: ['Invalid email address'] },
  }),
  unauthorized: rempFailure('Missing, invalid, expired or revoked credentials (see WWW-Authenticate)', {
    code: 'invalid_token',
    message: 'The access token is invalid',
  }),
  forbidden: rempFailure('Not allowed: a scope is missing, the kind of token is not accepted, or the API key is not whitelisted for this endpoint', {
    code: 'insufficient_scope',
    message: 'The users:admin scope is required',
    scope: 'users:admin',
  }),
  tooManyRequests: rempFailure(
    'Too many attempts; see Retry-After',
    { code: 'too_many_requests', message: 'Too many attempts, try again later', retry_after: 30 },
    retryAfter,
  ),
  userNotFound: rempFailure('user_not_found', { code: 'user_not_found', message: 'User not found' }),
  /** What the input gate (platform/http/input-gate.ts) answers on every path, before any route. */
  malformed: rempFailure('Malformed request: NUL or invalid UTF-8 in the path, query string or headers', {
    code: 'invalid_request',
    message: 'query: must be UTF-8 text without NUL characters',
    fields: { query: ['must be UTF-8 text without NUL characters'] },
  }),
} as const;

/** An error of the tenant routes, `{status:"Failed", message}`. */
export const tenantFailureResponse = (description: string, message: string, headers?: ResponseHeaders): ResponseSpec => ({
  description,
  schema: tenantFailure,
  example: { status: 'Failed', message },
  ...(headers ? { headers } : {}),
});

/** A 400 of the tenant routes: field errors (Laravel style) or a `Failed` message. */
export const tenantInvalid = (example: { field: string; message: string }): ResponseSpec => ({
  description: 'Invalid request: errors by field, or a `Failed` message (an unknown or inactive tenant)',
  schema: z.union([tenantFieldErrors, tenantFailure]),
  example: { errors: { [example.field]: [example.message] } },
});

/** An RFC 6749 §5.2 error of the /oauth endpoints. */
export const oauthFailure = (description: string, error: string, errorDescription: string, headers?: ResponseHeaders): ResponseSpec => ({
  description,
  schema: oauthError,
  example: { error, error_description: errorDescription },
  ...(headers ? { headers } : {}),
});

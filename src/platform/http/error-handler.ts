import type { Context, Next } from 'koa';
import { ZodError } from 'zod';
import type { Logger } from '../logger.js';
import { DomainError } from '../errors.js';
import { ApiError, fromDomainError } from './errors.js';
import { databaseUnavailable, type OutageCheck } from './faults.js';
import { routeLabel } from './metrics.js';

type ErrorFamily = 'oauth' | 'tenant' | 'html' | 'api' | 'remp' | 'sessionm';

/** REMP's own paths (remp-crm-users-module, "API documentation"); Gatehouse's additions under /api/v1 are not REMP's. */
const isRempPath = (path: string) =>
  /^\/api\/v1\/(users|user|user-meta)\//.test(path) || path === '/api/v2/users/email' || /^\/users\/(google|apple)-token-sign-in$/.test(path);

/**
 * Browser-facing provider endpoints (and their resume/confirm sub-paths): RFC 6749 §4.1.2.1 has
 * errors there shown to the user, not returned as JSON.
 */
const isBrowserPath = (path: string) => /^\/oauth\/(authorize|logout)(\/|$)/.test(path) || path === '/oauth/device';

function familyOf(ctx: Context): ErrorFamily {
  if (isBrowserPath(ctx.path)) return 'html';
  if (ctx.path.startsWith('/oauth/')) return 'oauth';
  if (ctx.path.startsWith('/interaction/')) return 'html';
  if (ctx.path.startsWith('/priv/v1/apps/')) return 'sessionm';
  if (/^\/api\/v2\/(tenant|login|[^/]+\/identity)/.test(ctx.path)) return 'tenant';
  return isRempPath(ctx.path) ? 'remp' : 'api';
}

function zodToApiError(error: ZodError): ApiError {
  const issue = error.issues[0];
  const field = issue?.path.join('.') || 'body';
  const fields: Record<string, string[]> = {};
  for (const each of error.issues) (fields[each.path.join('.') || 'body'] ??= []).push(each.message);
  return new ApiError(400, 'invalid_request', `${field}: ${issue?.message ?? 'invalid'}`, { fields });
}

/**
 * The one mapping from errors to responses. Each API family keeps the error shape its integrators
 * already parse: RFC 6749 at /oauth, `{status:"Failed", message}` for tenant routes,
 * `{status:"error", code, message}` elsewhere. Unexpected errors are logged with the request id
 * and answered with a generic message.
 */
export function errorHandler(logger: Logger, renderErrorPage: (status: number, message: string) => string, isOutage: OutageCheck = async () => false) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (caught) {
      const normalized =
        caught instanceof ZodError
          ? zodToApiError(caught)
          : caught instanceof ApiError
            ? caught
            : caught instanceof DomainError
              ? fromDomainError(caught)
              : isHttpError(caught) && caught.expose
                ? new ApiError(caught.status, httpCode(caught.status), caught.message)
                : (await isOutage(caught))
                  ? databaseUnavailable()
                  : undefined;
      // The route template, not the path: paths carry API keys and phone numbers.
      if (!normalized) {
        logger.error({ err: caught, requestId: ctx.state.requestId, route: routeLabel(ctx) }, 'unhandled error');
      } else if (normalized.status === 503) {
        logger.warn({ err: caught, requestId: ctx.state.requestId, route: routeLabel(ctx) }, 'database unavailable');
      }
      const family = familyOf(ctx);
      const error = asFamilyAnswers(family, normalized ?? new ApiError(500, 'server_error', 'Something went wrong. Please contact Administrator'));
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers ?? {})) ctx.set(name, value);
      if (family === 'html') {
        ctx.type = 'html';
        ctx.body = renderErrorPage(error.status, error.message);
      } else if (family === 'oauth') {
        ctx.body = { error: error.code, error_description: error.message };
      } else if (family === 'sessionm') {
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { status: 'error', errors: { code: error.code, message: error.message, ...error.details } };
      } else if (family === 'tenant') {
        const fields = error.details?.fields as Record<string, string[]> | undefined;
        ctx.body = fields && error.status === 400 ? { errors: fields } : { status: 'Failed', message: error.message };
      } else {
        // Details are top-level fields, as REMP documents them (`error`, `reason`, `fields`).
        ctx.body = { status: 'error', code: error.code, message: error.message, ...error.details };
      }
    }
  };
}

/**
 * REMP's code table answers a failed authorization with "403 Forbidden: The authorization failed
 * (provided token was not valid)" where RFC 6750 §3.1 says 401. On REMP's own paths REMP's table
 * wins (spec README, "When a spec's example and its own rules disagree"): a missing or bad token
 * or API key is a 403 in REMP's body, still with its `WWW-Authenticate` challenge. Only
 * credential failures carry that header, so a wrong password at `users/login` (no header) keeps
 * its own status. A DPoP challenge (RFC 9449, which REMP never had) keeps its 401: DPoP clients
 * retry a `use_dpop_nonce` 401 with the nonce, and only a 401.
 */
function asFamilyAnswers(family: ErrorFamily, error: ApiError): ApiError {
  const challenge = error.headers?.['WWW-Authenticate'];
  if (family !== 'remp' || error.status !== 401 || !challenge || /^DPoP\b/i.test(challenge)) return error;
  return new ApiError(403, error.code, error.message, error.details, error.headers);
}

function isHttpError(value: unknown): value is { status: number; message: string; expose: boolean } {
  return typeof value === 'object' && value !== null && 'status' in value && 'expose' in value;
}

function httpCode(status: number): string {
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 404) return 'not_found';
  if (status === 403) return 'forbidden';
  if (status === 401) return 'unauthorized';
  return 'invalid_request';
}

import type { Context, Middleware, Next } from 'koa';
import { ZodError } from 'zod';
import { ApiError } from '../http/errors.js';
import type { Logger } from '../logger.js';

/** The field an issue is about; an unrecognised key is named itself, not its parent object. */
function issueField(issue: ZodError['issues'][number]): string {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  return path.join('.') || 'body';
}

function fromZod(error: ZodError): ApiError {
  const fields: Record<string, string[]> = {};
  for (const issue of error.issues) {
    (fields[issueField(issue)] ??= []).push(issue.code === 'unrecognized_keys' ? 'is not a recognised field' : issue.message);
  }
  const [field, messages] = Object.entries(fields)[0] ?? ['body', ['invalid']];
  return new ApiError(400, 'invalid_request', `${field}: ${messages[0]}`, { fields });
}

function normalize(caught: unknown): ApiError | undefined {
  if (caught instanceof ApiError) return caught;
  if (caught instanceof ZodError) return fromZod(caught);
  // koa-body: a body over the limit (413) or one that is not JSON (a SyntaxError carrying status 400).
  const status = (caught as { status?: number })?.status;
  if (status === 413) return new ApiError(413, 'payload_too_large', 'request body too large');
  if (status && status >= 400 && status < 500) return new ApiError(400, 'invalid_request', 'body: malformed JSON');
  return undefined;
}

/**
 * SessionM routes answer errors in SessionM's envelope, `{"status":"error","errors":{"code",
 * "message"}}`, mirroring its `{"status":"ok","user":…}` successes (the spec shows no error
 * body). Runs before the global handler, which would render the REMP shape.
 */
export function sessionmErrors(logger: Logger): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (caught) {
      const normalized = normalize(caught);
      if (!normalized) {
        // The route template, not the path: the path carries the API key.
        logger.error({ err: caught, requestId: ctx.state.requestId, route: ctx._matchedRoute }, 'unhandled error');
      }
      const error = normalized ?? new ApiError(500, 'server_error', 'Something went wrong. Please contact Administrator');
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers ?? {})) ctx.set(name, value);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'error', errors: { code: error.code, message: error.message, ...error.details } };
    }
  };
}

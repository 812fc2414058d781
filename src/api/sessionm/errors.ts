import type { Context, Middleware, Next } from 'koa';
import { ZodError } from 'zod';
import { DomainError } from '../../platform/errors.js';
import { ApiError, fromDomainError } from '../../platform/http/errors.js';

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
  if (caught instanceof DomainError) return fromDomainError(caught);
  if (caught instanceof ZodError) return fromZod(caught);
  return undefined;
}

/**
 * SessionM routes answer errors in SessionM's envelope, `{"status":"error","errors":{"code",
 * "message"}}`, mirroring its `{"status":"ok","user":…}` successes (the spec shows no error
 * body), with SessionM's own field naming for validation errors. Anything else (a database
 * outage, a bug) goes on to the global handler, which renders the same envelope for these paths.
 */
export function sessionmErrors(): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (caught) {
      const error = normalize(caught);
      if (!error) throw caught;
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers ?? {})) ctx.set(name, value);
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'error', errors: { code: error.code, message: error.message, ...error.details } };
    }
  };
}

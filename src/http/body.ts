import type { Context, Next } from 'koa';
import { koaBody } from 'koa-body';
import { ApiError } from './errors.js';

const parser = koaBody({ json: true, urlencoded: true, multipart: true, text: false, jsonLimit: '100kb', formLimit: '100kb', jsonStrict: true });

/**
 * JSON, form-encoded and multipart bodies (REMP documents all three); a malformed body is a
 * clear 400 naming the problem, never a 500.
 */
export async function parseBody(ctx: Context, next: Next) {
  try {
    await parser(ctx, async () => {});
  } catch (error) {
    const status = (error as { status?: number }).status ?? 400;
    throw new ApiError(status === 413 ? 413 : 400, status === 413 ? 'payload_too_large' : 'invalid_request', status === 413 ? 'request body too large' : 'body: malformed request body');
  }
  await next();
}

/** Body fields merged over query parameters, for endpoints REMP documents as accepting either. */
export function input(ctx: Context): Record<string, unknown> {
  const body = ctx.request.body;
  return { ...ctx.query, ...(body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {}) };
}

import type { Context, Next } from 'koa';
import { ApiError } from './errors.js';

/** Path prefixes of Gatehouse's own JSON APIs: nothing under them is ever the provider's. */
const API_PREFIXES = ['/api/', '/priv/', '/backoffice/', '/self-service/'];

export const isApiPath = (path: string) => API_PREFIXES.some((prefix) => path.startsWith(prefix));

const codes: Record<number, string> = { 404: 'not_found', 405: 'method_not_allowed', 501: 'not_implemented' };

/**
 * An API path no route answered (unknown path: 404; known path, other method: 405 with Allow, as
 * the routers' allowedMethods set it) gets its family's JSON error, not Koa's text/plain status line.
 */
export async function apiFallback(ctx: Context, next: Next) {
  await next();
  if (!isApiPath(ctx.path) || ctx.body != null || ctx.status < 400) return;
  const message = ctx.status === 404 ? 'No such endpoint' : ctx.status === 405 ? `Method ${ctx.method} is not allowed here` : 'Not implemented';
  throw new ApiError(ctx.status, codes[ctx.status] ?? 'invalid_request', message);
}

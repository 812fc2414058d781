import type { Context, Next } from 'koa';
import { ApiError } from './errors.js';

/** Path prefixes of Gatehouse's own JSON APIs: nothing under them is ever the provider's. */
const API_PREFIXES = ['/api/', '/priv/', '/backoffice/', '/self-service/'];

export const isApiPath = (path: string) => API_PREFIXES.some((prefix) => path.startsWith(prefix));

/** What an API path no route answered gets: the code and message for each status the routers set. */
const unanswered: Record<number, { code: string; message: (ctx: Context) => string }> = {
  404: { code: 'not_found', message: () => 'No such endpoint' },
  405: { code: 'method_not_allowed', message: (ctx) => `Method ${ctx.method} is not allowed here` },
  // @koa/router's allowedMethods: a method no route of the API uses at all (RFC 9110 §15.6.2).
  501: { code: 'not_implemented', message: (ctx) => `Method ${ctx.method} is not supported by this API` },
};

/**
 * An API path no route answered (unknown path: 404; known path, other method: 405 with Allow, as
 * the routers' allowedMethods set it; a method no route uses: 501) gets its family's JSON error,
 * not Koa's text/plain status line.
 */
export async function apiFallback(ctx: Context, next: Next) {
  await next();
  if (!isApiPath(ctx.path) || ctx.body != null || ctx.status < 400) return;
  const reply = unanswered[ctx.status];
  throw new ApiError(ctx.status, reply?.code ?? 'invalid_request', reply?.message(ctx) ?? 'The request could not be answered');
}

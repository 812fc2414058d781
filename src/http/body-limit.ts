import type { Context, Next } from 'koa';
import { ApiError } from './errors.js';

/** Refuses declared bodies over the limit before anything reads them (oidc-provider has its own cap). */
export function bodyLimit(maxBytes: number) {
  return async (ctx: Context, next: Next) => {
    const length = Number(ctx.get('content-length') || 0);
    if (length > maxBytes) {
      throw new ApiError(413, ctx.path.startsWith('/oauth/') ? 'invalid_request' : 'payload_too_large', `request body exceeds ${Math.round(maxBytes / 1024)} kB`);
    }
    await next();
  };
}

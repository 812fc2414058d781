import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';

const acceptable = /^[A-Za-z0-9._-]{1,64}$/;

/** Every request gets an id (the caller's X-Request-Id when sane) echoed back and put on each log line. */
export async function requestId(ctx: Context, next: Next) {
  const incoming = ctx.get('x-request-id');
  const id = acceptable.test(incoming) ? incoming : randomUUID();
  ctx.state.requestId = id;
  ctx.set('X-Request-Id', id);
  // The provider runs on the raw request, so it sees the id through the header.
  ctx.req.headers['x-request-id'] = id;
  await next();
}

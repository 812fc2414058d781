import type { Context, Middleware, Next } from 'koa';

/** Runs `middleware` only under `prefix`, with the prefix stripped from the path it sees. */
export default function mount(prefix: string, middleware: Middleware): Middleware {
  return async (ctx: Context, next: Next) => {
    if (ctx.path !== prefix && !ctx.path.startsWith(`${prefix}/`)) return next();
    const original = ctx.path;
    ctx.path = original.slice(prefix.length) || '/';
    try {
      await middleware(ctx, async () => {
        ctx.path = original;
        await next();
      });
    } finally {
      ctx.path = original;
    }
  };
}

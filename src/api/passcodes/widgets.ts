import path from 'node:path';
import type { Context, Middleware, Next } from 'koa';
import serve from 'koa-static';
import mount from '../../platform/http/mount.js';
import { viewsDirectory } from '../../platform/http/views.js';

/**
 * The customer and agent widgets (views/widgets) at /widgets/*. Integrators load widget.css and
 * the scripts from their own sites, so these files (only these) may be embedded cross-origin:
 * helmet's Cross-Origin-Resource-Policy: same-origin would make browsers refuse them.
 */
export function serveWidgets(): Middleware {
  const files = serve(path.join(viewsDirectory, 'widgets'), { maxage: 3600_000 });
  return mount('/widgets', async (ctx: Context, next: Next) => {
    await files(ctx, next);
    if (ctx.body !== undefined && ctx.status === 200) ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
  });
}

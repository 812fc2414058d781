import type { Context, Next } from 'koa';
import helmet from 'koa-helmet';

type HelmetOptions = Parameters<typeof helmet>[0];
type HeaderValue = string | number | readonly string[];

/**
 * helmet's security headers (CSP, HSTS, frame and content-type options, …), computed once: with a
 * fixed configuration (no per-request nonce) every response gets the same headers, so helmet runs
 * at start-up against a recording response and each request only sets what it recorded. Run per
 * request, koa-helmet wrapped helmet's chain of a dozen middleware in a promise every time.
 */
export function securityHeaders(options: HelmetOptions) {
  const recorded: Array<[string, HeaderValue]> = [];
  const recordingResponse = {
    setHeader: (name: string, value: HeaderValue) => void recorded.push([name, value]),
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  // helmet sets every header synchronously before calling on; the promise only signals that.
  void helmet(options)({ req: {}, res: recordingResponse } as unknown as Context, async () => undefined);
  if (recorded.length === 0) throw new Error('helmet set no headers: security headers would be missing');
  return async (ctx: Context, next: Next) => {
    for (const [name, value] of recorded) ctx.res.setHeader(name, value);
    await next();
  };
}

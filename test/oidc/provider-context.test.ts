import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'koa';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// patches/oidc-provider+9.13.3.patch (applied by npm's postinstall): oidc-provider defined an own
// `oidc` accessor, with a fresh getter, on every request's context. V8's young-generation
// collections kept each such request's objects alive, so they were promoted to the old generation
// as garbage (README, Benchmarks, Sixth session). The patch defines one accessor per context
// prototype and keeps the request's state in a symbol-keyed data property.
let server: Server;
let base: string;
const seen: Array<{ ctx: Context; ownAccessor: PropertyDescriptor | undefined; oidc: { ctx: unknown } | undefined }> = [];

beforeAll(async () => {
  const provider = new Provider('http://127.0.0.1', {});
  provider.use(async (ctx, next) => {
    await next();
    seen.push({ ctx, ownAccessor: Object.getOwnPropertyDescriptor(ctx, 'oidc'), oidc: ctx.oidc as { ctx: unknown } | undefined });
  });
  server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('oidc-provider request context (patched)', () => {
  it('gives each routed request its own ctx.oidc, through the prototype and not an accessor of its own', async () => {
    for (let i = 0; i < 2; i++) expect((await fetch(`${base}/.well-known/openid-configuration`)).status).toBe(200);
    const [first, second] = seen.splice(0);
    expect(first?.ownAccessor).toBeUndefined();
    expect(second?.ownAccessor).toBeUndefined();
    expect(first?.oidc?.ctx).toBe(first?.ctx);
    expect(second?.oidc?.ctx).toBe(second?.ctx);
    expect(first?.oidc).not.toBe(second?.oidc);
  });

  it('leaves ctx.oidc undefined on a request no provider route handled', async () => {
    expect((await fetch(`${base}/no-such-route`)).status).toBe(404);
    const [unrouted] = seen.splice(0);
    expect(unrouted?.ownAccessor).toBeUndefined();
    expect(unrouted?.oidc).toBeUndefined();
  });
});

import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z, ZodError } from 'zod';
import { bodyPipeline } from '../../src/platform/http/body.js';
import { ApiError } from '../../src/platform/http/errors.js';
import { exampleViolations } from '../../src/platform/openapi/document.js';
import { route, routerFor, type OperationRouter } from '../../src/platform/openapi/route.js';

/**
 * The route declaration on its own, outside Gatehouse: requests are parsed before the handler
 * runs, and in tests a response outside its declared schema (a leaked field above all) is a 500.
 */

const account = z.object({ id: z.string(), email: z.string() });
let handled = 0;
let leak = false;
let router: OperationRouter;
let server: Server;
let base: string;

beforeAll(async () => {
  router = routerFor([
    route({
      method: 'post',
      path: '/accounts/{id}',
      tags: ['Test'],
      summary: 'Echo an account',
      security: [],
      request: {
        params: z.object({ id: z.string().min(3) }),
        query: z.object({ verbose: z.coerce.number().int().default(0) }),
        body: z.object({ email: z.email() }),
      },
      responses: {
        200: { description: 'The account', schema: account, example: { id: 'abc', email: 'jane@example.com' } },
      },
      handler(ctx, { params, query, body }) {
        handled += 1;
        // Typed from the schemas: a number, a string.
        const verbosity: number = query.verbose;
        ctx.body = { id: params.id, email: body.email, ...(leak ? { password_hash: '$argon2id$…' } : {}) };
        if (verbosity === 7) ctx.status = 202;
      },
    }),
  ]);
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = error instanceof ApiError ? error.status : error instanceof ZodError ? 400 : 500;
      ctx.body = {
        code: error instanceof ApiError ? error.code : error instanceof ZodError ? 'invalid_request' : 'server_error',
        message: (error as Error).message,
      };
    }
  });
  app.use(bodyPipeline({ maxBytes: 10_000, acceptsMultipart: () => false }));
  app.use(router.routes());
  server = createServer(app.callback()).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const post = (path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('route()', () => {
  it('refuses an invalid body, path or query before the handler runs', async () => {
    const before = handled;
    expect((await post('/accounts/abc', { email: 'not an e-mail' })).status).toBe(400);
    expect((await post('/accounts/ab', { email: 'jane@example.com' })).status).toBe(400);
    expect((await post('/accounts/abc?verbose=x', { email: 'jane@example.com' })).status).toBe(400);
    expect(handled).toBe(before);
  });

  it('hands the handler what the schemas parsed', async () => {
    router.checkResponses = true;
    leak = false;
    const response = await post('/accounts/abc?verbose=1', { email: 'jane@example.com' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'abc', email: 'jane@example.com' });
  });

  it('in tests, answers a field the response schema does not declare with a 500 naming it', async () => {
    router.checkResponses = true;
    leak = true;
    const response = await post('/accounts/abc', { email: 'jane@example.com' });
    expect(response.status).toBe(500);
    const body = await response.json();
    expect(body.code).toBe('response_contract_violation');
    expect(body.message).toContain('$.password_hash');
    expect(body.message).not.toContain('argon2');
  });

  it('in tests, refuses a status the declaration does not list', async () => {
    router.checkResponses = true;
    leak = false;
    const response = await post('/accounts/abc?verbose=7', { email: 'jane@example.com' });
    expect(response.status).toBe(500);
    expect((await response.json()).message).toContain('answered 202, a status it does not declare');
  });

  it('in production, does not parse the response again', async () => {
    router.checkResponses = false;
    leak = true;
    const response = await post('/accounts/abc', { email: 'jane@example.com' });
    expect(response.status).toBe(200);
    expect(await response.json()).toHaveProperty('password_hash');
  });

  it('finds examples that contradict their own schemas', () => {
    const [operation] = router.operations;
    expect(exampleViolations(router.operations)).toEqual([]);
    const wrong = { ...operation!, responses: { 200: { description: 'x', schema: account, example: { id: 'abc', email: 'a@b.c', token: 'secret' } } } };
    expect(exampleViolations([wrong])).toEqual(['POST /accounts/{id} 200 example: undeclared fields $.token']);
  });
});

import type { Server } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { currentCaller } from '../../src/oauth/callers/authenticator.js';
import { errorHandler } from '../../src/platform/http/error-handler.js';
import { createLogger } from '../../src/platform/logger.js';
import { runCli } from '../support/cli.js';
import type { TestServer } from '../support/server.js';

/** Endpoint ids the probe routes declare, as REMP routes will (`users.create`, …). */
export const PROBE_ENDPOINTS = ['users.create', 'users.delete', 'user-meta.list'] as const;

export interface Probe {
  url: string;
  stop(): Promise<void>;
}

/**
 * Routes guarded by the running server's own authenticator (same caches, limiter and database),
 * the way resource routes use `deps.auth`: GET /<endpoint id> answers with the resolved caller.
 * Gatehouse itself has no route that takes API keys yet (the REMP users routes will).
 */
export async function startProbe(server: TestServer): Promise<Probe> {
  const app = new Koa();
  app.silent = true;
  app.use(errorHandler(createLogger('silent'), (status) => String(status)));
  const router = new Router();
  for (const endpoint of PROBE_ENDPOINTS) {
    router.get(`/${endpoint}`, server.gatehouse.auth.authenticate({ scopes: ['users:write'], allowApiKey: { endpoint } }), (ctx) => {
      ctx.body = currentCaller(ctx);
    });
  }
  app.use(router.routes());
  const listening: Server = await new Promise((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  const address = listening.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => listening.close(() => resolve())),
  };
}

export async function probe(target: Probe, endpoint: string, headers: Record<string, string>) {
  const response = await fetch(`${target.url}/${endpoint}`, { headers });
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

/** `npm run cli -- api-keys:create …` as a separate process; the key is printed once. */
export async function createKeyByCli(server: TestServer, args: string[]) {
  const result = await runCli(['api-keys:create', ...args], server.env);
  if (result.code !== 0) throw new Error(`api-keys:create failed: ${result.stderr}`);
  return { ...(JSON.parse(result.stdout) as { id: string; key: string; prefix: string; endpoints: string[]; scopes: string[] }), stderr: result.stderr };
}

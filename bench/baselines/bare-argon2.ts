/**
 * Baseline for (c) over HTTP: a bare Koa route that reads a form body and runs one argon2id
 * verification with Gatehouse's parameters and concurrency bound (verifyPassword of
 * src/platform/crypto/passwords.ts), then answers JSON. The password grant costs this plus
 * everything else it does; measured the same way (16 connections, the server's CPU from /proc),
 * so both pay the same memory-bandwidth contention from the load generator beside them.
 *
 * Environment: PORT, PASSWORD (the one every request presents).
 */
import Koa from 'koa';
import { hashPassword, verifyPassword } from '../../src/platform/crypto/passwords.js';

const port = Number(process.env.PORT);
const password = process.env.PASSWORD ?? 'correct horse battery staple';
const hash = await hashPassword(password);

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path === '/healthz') {
    ctx.body = { status: 'ok' };
    return;
  }
  let raw = '';
  for await (const chunk of ctx.req) raw += chunk;
  const presented = new URLSearchParams(raw).get('password') ?? '';
  if (!(await verifyPassword(hash, presented))) {
    ctx.status = 400;
    ctx.body = { error: 'invalid_grant' };
    return;
  }
  ctx.body = { verified: true };
});
app.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));

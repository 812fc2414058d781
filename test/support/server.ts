import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { createClient, type CreateClientInput } from '../../src/oauth/clients/service.js';
import { createCustomer } from '../../src/identity/customers/service.js';
import { createLogger } from '../../src/platform/logger.js';
import { startGatehouse, type RunningGatehouse } from '../../src/server.js';
import { freePort } from './ports.js';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

export interface TestServer {
  /** Base URL, equal to the issuer (http://localhost:PORT). */
  url: string;
  databaseUrl: string;
  env: Record<string, string>;
  gatehouse: RunningGatehouse;
  em(): EntityManager;
  createClient(input: CreateClientInput): Promise<{ clientId: string; clientSecret?: string }>;
  createUser(input?: { email?: string; password?: string; firstName?: string; lastName?: string }): Promise<{ id: string; email: string; password: string }>;
  /** Stop and start again on the same database and port (keys, clients and tokens must survive). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A fresh database in the run's PostgreSQL. */
export async function createTestDatabase(): Promise<string> {
  const base = inject('postgresBaseUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return `${base}/${name}`;
}

/** The environment of a test Gatehouse on `port` and `databaseUrl`, in process or spawned. */
export function testServerEnv(port: number, databaseUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    ISSUER: `http://localhost:${port}`,
    DATABASE_URL: databaseUrl,
    GATEHOUSE_SECRET: TEST_SECRET,
  };
}

/** Boots the real Gatehouse (HTTP server, migrations, provider) on its own database. */
export async function startTestServer(
  extraEnv: Record<string, string> = {},
  options: {
    logDestination?: DestinationStream /** A database of the test's own cluster (e.g. one with a replica) instead of a fresh one in the run's. */;
    databaseUrl?: string;
  } = {},
): Promise<TestServer> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const port = await freePort();
  const env: Record<string, string> = {
    ...testServerEnv(port, databaseUrl),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    KEY_REFRESH_INTERVAL: '1',
    DATABASE_POOL_MAX: '5',
    ...extraEnv,
  };
  // A log destination (with LOG_LEVEL in extraEnv) lets a test read what the server logged.
  const boot = () => startGatehouse(loadConfig(env), createLogger(env.LOG_LEVEL!, options.logDestination));
  let gatehouse = await boot();
  let userCount = 0;
  const server: TestServer = {
    url: env.ISSUER!,
    databaseUrl,
    env,
    get gatehouse() {
      return gatehouse;
    },
    em: () => gatehouse.orm.em.fork() as EntityManager,
    createClient: (input) => createClient(gatehouse.orm.em.fork() as EntityManager, input),
    async createUser(input = {}) {
      userCount += 1;
      const email = input.email ?? `user${userCount}-${randomBytes(3).toString('hex')}@example.com`;
      const password = input.password ?? 'correct horse battery staple';
      const customer = await createCustomer(gatehouse.orm.em.fork() as EntityManager, {
        email,
        password,
        firstName: input.firstName ?? 'Test',
        lastName: input.lastName ?? 'User',
        emailVerified: true,
      });
      return { id: customer.id, email, password };
    },
    async restart() {
      await gatehouse.stop();
      gatehouse = await boot();
    },
    stop: () => gatehouse.stop(),
  };
  return server;
}

/**
 * A second Gatehouse on the first one's database and issuer, as two nodes behind one load
 * balancer would run: tokens issued by either are redeemed or verified by the other.
 */
export async function startSecondInstance(first: TestServer): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const env: Record<string, string> = { ...first.env, PORT: String(port) };
  const gatehouse = await startGatehouse(loadConfig(env), createLogger(env.LOG_LEVEL!));
  return { url: `http://127.0.0.1:${port}`, stop: () => gatehouse.stop() };
}

/** POST application/x-www-form-urlencoded, the OAuth way. */
export async function postForm(url: string, form: Record<string, string>, init: { basic?: [string, string]; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...init.headers };
  if (init.basic)
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(init.basic[0])}:${encodeURIComponent(init.basic[1])}`).toString('base64')}`;
  const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

import type autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { askChild, startScript, waitUntilServing, type NodeProcess } from '../lib/child-process.js';
import { DatabaseCounters, type DatabaseActivityPerRequest } from '../lib/database-activity.js';
import { freePort } from '../lib/http.js';
import { measureLoad, type LoadResult, type LoadTiming } from '../lib/load.js';
import { bearerRequests, clientCredentialsRequests, introspectionRequests, RefreshTokenPool, refreshTokenRequests } from '../scenarios/token-requests.js';
import { measureArgon2 } from './argon2.js';
import { measureJoseSign, type TokenAlgorithm } from './jose-sign.js';

export type BaselineKey =
  | 'bare-provider-client-credentials'
  | 'bare-provider-refresh-token'
  | 'bare-provider-pg-refresh-token'
  | 'bare-provider-introspection'
  | 'bare-jose-verify'
  | 'bare-jose-pg-read'
  | 'bare-fast-jwt-pg-read'
  | 'argon2id-verify'
  | 'argon2id-http'
  | 'bare-login-http'
  | 'jose-sign';

export const BASELINE_LABELS: Record<BaselineKey, string> = {
  'bare-provider-client-credentials': 'bare oidc-provider (in-memory)',
  'bare-provider-refresh-token': 'bare oidc-provider (in-memory)',
  'bare-provider-pg-refresh-token': 'bare oidc-provider (minimal PostgreSQL adapter)',
  'bare-provider-introspection': 'bare oidc-provider (refresh token, in-memory)',
  'bare-jose-verify': 'bare Koa + jose verify',
  'bare-jose-pg-read': 'bare Koa + jose + one prepared pg read',
  'bare-fast-jwt-pg-read': "bare Koa + Gatehouse's fast-jwt verifier + one prepared pg read",
  'argon2id-verify': 'raw argon2id verify (in-process)',
  'argon2id-http': 'bare Koa + argon2id verify over HTTP',
  'bare-login-http': 'bare Koa + minimal login (reserve, argon2id, 2 signs, store)',
  'jose-sign': 'raw jose signs (in-process)',
};

/** One measurement of one baseline (one round). */
export interface BaselineResult {
  key: BaselineKey;
  label: string;
  /** Operations (HTTP 2xx responses, verifications, signatures) per second. */
  perSecond: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  non2xx?: number;
  errors?: number;
  /** Nothing completed: the measurement is void. */
  completed: number;
  peakRssMb?: number;
  /** Process CPU (all threads) per operation, ms. */
  serverCpuMsPerRequest?: number;
  /** The part of it on the main thread (event loop), ms. */
  serverMainThreadCpuMsPerRequest?: number;
  /** PostgreSQL CPU per operation, ms (the cluster is idle for in-memory baselines). */
  databaseCpuMsPerRequest?: number;
  /** Everything the operation cost the machine: what the CPU ratio compares. */
  cpuMsPerRequest?: number;
  database?: DatabaseActivityPerRequest;
  warmup?: LoadResult['warmup'];
  detail?: Record<string, unknown>;
}

export interface BaselineSettings {
  connections: number;
  /** Warm-up and measured duration, by whether the baseline has run before (cold process or not). */
  timing: (cold: boolean) => LoadTiming;
  durationSeconds: number;
  /** Gatehouse's issuer, API audience and published keys, for verifying its tokens in bare jose. */
  gatehouse: { issuer: string; audience: string; jwks: unknown };
  /** A Gatehouse customer access token (the one scenario (d) presents). */
  userAccessToken: string;
  /** Gatehouse's ACCESS_TOKEN_ALG: the bare provider and the signing ceiling use the same. */
  accessTokenAlg: TokenAlgorithm;
  /** Gatehouse's database (bare jose reads the same customer row). */
  gatehouseDatabaseUrl: string;
  /** An empty database of the same cluster for the bare provider's PostgreSQL adapter. */
  bareDatabaseUrl: () => Promise<string>;
  /** The PostgreSQL cluster's postmaster: its CPU counts in every HTTP baseline too. */
  databasePids: () => number[];
}

type BareProvider = { process: NodeProcess; url: string; client: { clientId: string; clientSecret: string }; counters?: DatabaseCounters };

/**
 * Measures a baseline whenever asked (once per round: run.ts interleaves them with Gatehouse),
 * starting its child process on first use and keeping it for the next rounds.
 */
export class Baselines {
  private readonly measured = new Set<BaselineKey>();
  private readonly results: BaselineResult[] = [];
  private bareProvider?: BareProvider;
  private bareProviderPg?: BareProvider;
  private bareJose?: { process: NodeProcess; url: string };
  private bareJosePg?: { process: NodeProcess; url: string };
  private bareFastJwtPg?: { process: NodeProcess; url: string };
  private bareArgon2?: { process: NodeProcess; url: string };
  private bareLogin?: { process: NodeProcess; url: string; counters: DatabaseCounters };
  private readonly refreshPools = new Map<string, RefreshTokenPool>();

  constructor(private readonly settings: BaselineSettings) {}

  /** Every measurement taken, every round. */
  all(): BaselineResult[] {
    return [...this.results];
  }

  async stop() {
    await Promise.all([
      this.bareProvider?.process.stop(),
      this.bareProviderPg?.process.stop(),
      this.bareJose?.process.stop(),
      this.bareJosePg?.process.stop(),
      this.bareFastJwtPg?.process.stop(),
      this.bareArgon2?.process.stop(),
      this.bareLogin?.process.stop(),
    ]);
    await this.bareProviderPg?.counters?.close();
    await this.bareLogin?.counters.close();
  }

  async measure(key: BaselineKey): Promise<BaselineResult> {
    const cold = !this.measured.has(key);
    this.measured.add(key);
    const result = await this.measureOnce(key, this.settings.timing(cold));
    this.results.push(result);
    return result;
  }

  private async http(
    key: BaselineKey,
    target: { process: NodeProcess; url: string },
    requests: Parameters<typeof measureLoad>[0]['requests'],
    timing: LoadTiming,
    counters?: DatabaseCounters,
  ): Promise<BaselineResult> {
    let before: ReturnType<DatabaseCounters['read']> | undefined;
    let after: Awaited<ReturnType<DatabaseCounters['read']>> | undefined;
    const load = await measureLoad({ url: target.url, connections: this.settings.connections, requests }, timing, {
      serverPids: [target.process.pid],
      databasePids: this.settings.databasePids(),
      onMeasureStart: () => {
        before = counters?.read();
      },
      onMeasureEnd: async () => {
        after = await counters?.read();
      },
    });
    return {
      key,
      label: BASELINE_LABELS[key],
      perSecond: load.requestsPerSecond,
      completed: load.total2xx,
      latencyP50Ms: load.latencyP50Ms,
      latencyP99Ms: load.latencyP99Ms,
      non2xx: load.non2xx + load.warmup.non2xx,
      errors: load.errors + load.warmup.errors,
      peakRssMb: load.peakRssMb,
      serverCpuMsPerRequest: load.serverCpuMsPerRequest,
      serverMainThreadCpuMsPerRequest: load.serverMainThreadCpuMsPerRequest,
      databaseCpuMsPerRequest: load.databaseCpuMsPerRequest,
      cpuMsPerRequest: load.totalCpuMsPerRequest,
      database: before && after ? DatabaseCounters.perRequest(await before, after, load.total2xx) : undefined,
      warmup: load.warmup,
    };
  }

  /** A circulating pool of the bare provider's refresh tokens, topped up before each round. */
  private async refreshPool(bare: BareProvider): Promise<RefreshTokenPool> {
    const wanted = this.settings.connections * 4;
    let pool = this.refreshPools.get(bare.url);
    if (!pool) {
      pool = new RefreshTokenPool([]);
      this.refreshPools.set(bare.url, pool);
    }
    if (pool.size < wanted) {
      const { tokens } = await askChild<{ tokens: string[] }>(bare.process, { type: 'mint-refresh-tokens', count: wanted - pool.size });
      for (const token of tokens) pool.give(token);
    }
    return pool;
  }

  private async measureOnce(key: BaselineKey, timing: LoadTiming): Promise<BaselineResult> {
    const { connections } = this.settings;
    switch (key) {
      case 'bare-provider-client-credentials': {
        const bare = await this.startBareProvider(false);
        return this.http(key, bare, clientCredentialsRequests(bare.client, 'users:read'), timing);
      }
      case 'bare-provider-refresh-token': {
        const bare = await this.startBareProvider(false);
        return this.http(key, bare, refreshTokenRequests(bare.client, await this.refreshPool(bare)), timing);
      }
      case 'bare-provider-pg-refresh-token': {
        const bare = await this.startBareProvider(true);
        return this.http(key, bare, refreshTokenRequests(bare.client, await this.refreshPool(bare)), timing, bare.counters);
      }
      case 'bare-provider-introspection': {
        const bare = await this.startBareProvider(false);
        const { tokens } = await askChild<{ tokens: string[] }>(bare.process, { type: 'mint-refresh-tokens', count: 1 });
        return this.http(key, bare, introspectionRequests(bare.client, tokens[0]!), timing);
      }
      case 'bare-jose-verify': {
        const bare = await this.startBareJose(false);
        return this.http(key, bare, bearerRequests('/verify', this.settings.userAccessToken), timing);
      }
      case 'bare-jose-pg-read': {
        const bare = await this.startBareJose(true);
        return this.http(key, bare, bearerRequests('/user/info', this.settings.userAccessToken), timing);
      }
      case 'bare-fast-jwt-pg-read': {
        const bare = await this.startBareJose(true, 'fast-jwt');
        return this.http(key, bare, bearerRequests('/user/info', this.settings.userAccessToken), timing);
      }
      case 'argon2id-http': {
        const bare = await this.startBareArgon2();
        const body = new URLSearchParams({ grant_type: 'password', username: 'bench@example.com', password: ARGON2_PASSWORD }).toString();
        return this.http(
          key,
          bare,
          () => [{ method: 'POST', path: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }],
          timing,
        );
      }
      case 'bare-login-http': {
        const bare = await this.startBareLogin();
        let next = 0;
        // The accounts in turn across all connections, as scenario (c) cycles over its customers.
        const requests = () => [
          {
            method: 'POST' as const,
            path: '/oauth/token',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            setupRequest: (request: autocannon.Request) => ({
              ...request,
              body: new URLSearchParams({
                grant_type: 'password',
                username: `bench-login-${next++ % BARE_LOGIN_USERS}@example.com`,
                password: ARGON2_PASSWORD,
                scope: 'openid profile email offline_access users:read',
              }).toString(),
            }),
          },
        ];
        return this.http(key, bare, requests, timing, bare.counters);
      }
      case 'argon2id-verify': {
        const argon2 = await measureArgon2(this.settings.durationSeconds, connections);
        return {
          key,
          label: BASELINE_LABELS[key],
          perSecond: argon2.verifiesPerSecond,
          completed: argon2.completed,
          serverCpuMsPerRequest: argon2.cpuMsPerVerify,
          cpuMsPerRequest: argon2.cpuMsPerVerify,
          detail: { hashesPerSecond: round(argon2.hashesPerSecond), parameters: argon2.parameters },
        };
      }
      case 'jose-sign': {
        const sign = await measureJoseSign(this.settings.durationSeconds, connections, this.settings.accessTokenAlg);
        return {
          key,
          label: `raw jose ${sign.alg} signs (in-process)`,
          perSecond: sign.signsPerSecond,
          completed: Math.round(sign.signsPerSecond * this.settings.durationSeconds),
          serverCpuMsPerRequest: sign.cpuMsPerSign,
          cpuMsPerRequest: sign.cpuMsPerSign,
        };
      }
    }
  }

  private async startBareProvider(postgres: boolean): Promise<BareProvider> {
    const existing = postgres ? this.bareProviderPg : this.bareProvider;
    if (existing) return existing;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const client = { clientId: 'bench', clientSecret: randomBytes(32).toString('base64url') };
    const databaseUrl = postgres ? await this.settings.bareDatabaseUrl() : undefined;
    const child = startScript(postgres ? 'bare oidc-provider (pg)' : 'bare oidc-provider', 'bench/baselines/bare-provider.ts', {
      ipc: true,
      env: {
        PORT: String(port),
        ISSUER: url,
        AUDIENCE: `${url}/api`,
        CLIENT_ID: client.clientId,
        CLIENT_SECRET: client.clientSecret,
        ACCESS_TOKEN_ALG: this.settings.accessTokenAlg,
        NODE_ENV: 'production',
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      },
    });
    await waitUntilServing(child, `${url}/.well-known/openid-configuration`);
    const started: BareProvider = { process: child, url, client, counters: databaseUrl ? await DatabaseCounters.connect(databaseUrl) : undefined };
    if (postgres) this.bareProviderPg = started;
    else this.bareProvider = started;
    return started;
  }

  private async startBareArgon2() {
    if (this.bareArgon2) return this.bareArgon2;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = startScript('bare argon2', 'bench/baselines/bare-argon2.ts', {
      env: { PORT: String(port), PASSWORD: ARGON2_PASSWORD, NODE_ENV: 'production' },
    });
    await waitUntilServing(child, `${url}/healthz`);
    this.bareArgon2 = { process: child, url };
    return this.bareArgon2;
  }

  private async startBareLogin() {
    if (this.bareLogin) return this.bareLogin;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const databaseUrl = await this.settings.bareDatabaseUrl();
    const child = startScript('bare login', 'bench/baselines/bare-login.ts', {
      env: { PORT: String(port), PASSWORD: ARGON2_PASSWORD, USERS: String(BARE_LOGIN_USERS), DATABASE_URL: databaseUrl, NODE_ENV: 'production' },
    });
    await waitUntilServing(child, `${url}/healthz`);
    this.bareLogin = { process: child, url, counters: await DatabaseCounters.connect(databaseUrl) };
    return this.bareLogin;
  }

  private async startBareJose(withRead: boolean, verifier: 'jose' | 'fast-jwt' = 'jose') {
    const existing = verifier === 'fast-jwt' ? this.bareFastJwtPg : withRead ? this.bareJosePg : this.bareJose;
    if (existing) return existing;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { issuer, audience, jwks } = this.settings.gatehouse;
    const child = startScript(`bare ${verifier}${withRead ? ' + pg' : ''}`, 'bench/baselines/bare-jose.ts', {
      env: {
        VERIFIER: verifier,
        PORT: String(port),
        ISSUER: issuer,
        AUDIENCE: audience,
        JWKS: JSON.stringify(jwks),
        NODE_ENV: 'production',
        ...(withRead ? { DATABASE_URL: this.settings.gatehouseDatabaseUrl } : {}),
      },
    });
    await waitUntilServing(child, `${url}/healthz`);
    const started = { process: child, url };
    if (verifier === 'fast-jwt') this.bareFastJwtPg = started;
    else if (withRead) this.bareJosePg = started;
    else this.bareJose = started;
    return started;
  }
}

const round = (value: number) => Math.round(value * 10) / 10;
const ARGON2_PASSWORD = 'bench password for the argon2id baseline';
/** As many accounts as the bench's fixtures seed for scenario (c) (bench/lib/fixtures.ts). */
const BARE_LOGIN_USERS = 8;

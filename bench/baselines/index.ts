import { randomBytes } from 'node:crypto';
import { askChild, startTypeScript, waitUntilServing, type NodeProcess } from '../lib/child-process.js';
import { freePort } from '../lib/http.js';
import { measureLoad } from '../lib/load.js';
import {
  bearerRequests,
  clientCredentialsRequests,
  introspectionRequests,
  RefreshTokenPool,
  refreshTokenRequests,
} from '../scenarios/token-requests.js';
import { measureArgon2 } from './argon2.js';
import { measureJoseSign } from './jose-sign.js';

export type BaselineKey =
  | 'bare-provider-client-credentials'
  | 'bare-provider-refresh-token'
  | 'bare-provider-introspection'
  | 'bare-jose-verify'
  | 'argon2id-verify'
  | 'jose-sign';

export interface BaselineResult {
  key: BaselineKey;
  label: string;
  /** Operations (HTTP 2xx responses, verifications, signatures) per second. */
  perSecond: number;
  latencyP50Ms?: number;
  latencyP99Ms?: number;
  non2xx?: number;
  errors?: number;
  peakRssMb?: number;
  /** Server CPU (all threads) per response, ms: steadier than ops/s on a busy machine. */
  cpuMsPerRequest?: number;
  detail?: Record<string, unknown>;
}

export interface BaselineSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Gatehouse's issuer, API audience and published keys, for verifying its tokens in bare jose. */
  gatehouse: { issuer: string; audience: string; jwks: unknown };
  /** A Gatehouse customer access token (the one scenario (d) presents). */
  userAccessToken: string;
  /** Gatehouse's ACCESS_TOKEN_ALG: the bare provider and the signing ceiling use the same. */
  accessTokenAlg: 'RS256' | 'ES256';
}

/** Measures each baseline once, on first request, starting its child process only when needed. */
export class Baselines {
  private readonly results = new Map<BaselineKey, BaselineResult>();
  private bareProvider?: { process: NodeProcess; url: string; client: { clientId: string; clientSecret: string } };
  private bareJose?: { process: NodeProcess; url: string };

  constructor(private readonly settings: BaselineSettings) {}

  async get(key: BaselineKey): Promise<BaselineResult> {
    let result = this.results.get(key);
    if (!result) {
      result = await this.measure(key);
      this.results.set(key, result);
    }
    return result;
  }

  all(): BaselineResult[] {
    return [...this.results.values()];
  }

  async stop() {
    await Promise.all([this.bareProvider?.process.stop(), this.bareJose?.process.stop()]);
  }

  private timing() {
    return { warmupSeconds: this.settings.warmupSeconds, durationSeconds: this.settings.durationSeconds };
  }

  private async measure(key: BaselineKey): Promise<BaselineResult> {
    const { connections } = this.settings;
    switch (key) {
      case 'bare-provider-client-credentials': {
        const bare = await this.startBareProvider();
        const load = await measureLoad({ url: bare.url, connections, requests: clientCredentialsRequests(bare.client, 'users:read') }, this.timing(), { serverPids: [bare.process.pid] });
        return { key, label: 'bare oidc-provider', perSecond: load.requestsPerSecond, ...httpFields(load) };
      }
      case 'bare-provider-refresh-token': {
        const bare = await this.startBareProvider();
        const { tokens } = await askChild<{ tokens: string[] }>(bare.process, { type: 'mint-refresh-tokens', count: connections * 4 });
        const pool = new RefreshTokenPool(tokens);
        const load = await measureLoad({ url: bare.url, connections, requests: refreshTokenRequests(bare.client, pool) }, this.timing(), { serverPids: [bare.process.pid] });
        return { key, label: 'bare oidc-provider', perSecond: load.requestsPerSecond, ...httpFields(load) };
      }
      case 'bare-provider-introspection': {
        const bare = await this.startBareProvider();
        const { tokens } = await askChild<{ tokens: string[] }>(bare.process, { type: 'mint-refresh-tokens', count: 1 });
        const load = await measureLoad({ url: bare.url, connections, requests: introspectionRequests(bare.client, tokens[0]!) }, this.timing(), { serverPids: [bare.process.pid] });
        return { key, label: 'bare oidc-provider (refresh token)', perSecond: load.requestsPerSecond, ...httpFields(load) };
      }
      case 'bare-jose-verify': {
        const bare = await this.startBareJose();
        const load = await measureLoad({ url: bare.url, connections, requests: bearerRequests('/verify', this.settings.userAccessToken) }, this.timing(), { serverPids: [bare.process.pid] });
        return { key, label: 'bare Koa + jose verify', perSecond: load.requestsPerSecond, ...httpFields(load) };
      }
      case 'argon2id-verify': {
        const argon2 = await measureArgon2(this.settings.durationSeconds, connections);
        return {
          key,
          label: 'raw argon2id verify (in-process)',
          perSecond: argon2.verifiesPerSecond,
          cpuMsPerRequest: argon2.cpuMsPerVerify,
          detail: { hashesPerSecond: round(argon2.hashesPerSecond), parameters: argon2.parameters },
        };
      }
      case 'jose-sign': {
        const sign = await measureJoseSign(this.settings.durationSeconds, connections, this.settings.accessTokenAlg);
        return { key, label: `raw jose ${sign.alg} signs (in-process)`, perSecond: sign.signsPerSecond, cpuMsPerRequest: sign.cpuMsPerSign };
      }
    }
  }

  private async startBareProvider() {
    if (this.bareProvider) return this.bareProvider;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const client = { clientId: 'bench', clientSecret: randomBytes(32).toString('base64url') };
    const child = startTypeScript('bare oidc-provider', 'bench/baselines/bare-provider.ts', {
      ipc: true,
      env: { PORT: String(port), ISSUER: url, AUDIENCE: `${url}/api`, CLIENT_ID: client.clientId, CLIENT_SECRET: client.clientSecret, ACCESS_TOKEN_ALG: this.settings.accessTokenAlg, NODE_ENV: 'production' },
    });
    await waitUntilServing(child, `${url}/.well-known/openid-configuration`);
    this.bareProvider = { process: child, url, client };
    return this.bareProvider;
  }

  private async startBareJose() {
    if (this.bareJose) return this.bareJose;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { issuer, audience, jwks } = this.settings.gatehouse;
    const child = startTypeScript('bare jose', 'bench/baselines/bare-jose.ts', {
      env: { PORT: String(port), ISSUER: issuer, AUDIENCE: audience, JWKS: JSON.stringify(jwks), NODE_ENV: 'production' },
    });
    await waitUntilServing(child, `${url}/healthz`);
    this.bareJose = { process: child, url };
    return this.bareJose;
  }
}

const round = (value: number) => Math.round(value * 10) / 10;

function httpFields(load: Awaited<ReturnType<typeof measureLoad>>) {
  return {
    latencyP50Ms: load.latencyP50Ms,
    latencyP99Ms: load.latencyP99Ms,
    non2xx: load.non2xx,
    errors: load.errors,
    peakRssMb: load.peakRssMb,
    cpuMsPerRequest: load.serverCpuMsPerRequest,
  };
}

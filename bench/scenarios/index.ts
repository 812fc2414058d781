import type autocannon from 'autocannon';
import type { BaselineKey } from '../baselines/index.js';
import { issueRefreshTokens, MACHINE_SCOPE, USER_SCOPE, type Fixtures } from '../lib/fixtures.js';
import type { ScenarioId } from '../lib/options.js';
import { passcodeRequests } from './passcode-requests.js';
import {
  bearerRequests,
  clientCredentialsRequests,
  introspectionRequests,
  passwordRequests,
  RefreshTokenPool,
  refreshTokenRequests,
} from './token-requests.js';

export interface ScenarioEnvironment {
  /** Where set-up requests go (password grants for tokens): one Gatehouse instance. */
  setupUrl: string;
  fixtures: Fixtures;
  connections: number;
  /** A customer's JWT access token (password grant, USER_SCOPE). */
  userAccessToken: string;
  /** A refresh token nobody redeems, for introspection. */
  idleRefreshToken: string;
  /** `/api/v1/user/info`, or `/oauth/userinfo` while the former is not served. */
  userInfoPath: string;
}

export interface PreparedScenario {
  /** Method and path, for the report. */
  endpoint: string;
  requests: () => autocannon.Request[];
  notes?: string[];
  /** Restores state the previous round used up (refresh tokens lost when a run stopped mid-flight). */
  beforeRound?: () => Promise<void>;
}

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** What the ratios are taken against, each measured in every round; the first is the headline. */
  baselines?: BaselineKey[];
  /** An upper bound shown beside the baseline (raw signatures for token issuance). */
  ceiling?: BaselineKey;
  /** Autocannon requests each connection repeats; may prepare state (refresh tokens) first. Called once. */
  prepare(environment: ScenarioEnvironment): Promise<PreparedScenario>;
}

export const SCENARIOS: Scenario[] = [
  {
    id: 'a',
    title: 'client_credentials token',
    baselines: ['bare-provider-client-credentials'],
    ceiling: 'jose-sign',
    prepare: async ({ fixtures }) => ({ endpoint: 'POST /oauth/token', requests: clientCredentialsRequests(fixtures.machine, MACHINE_SCOPE) }),
  },
  {
    id: 'b',
    title: 'refresh_token (rotating)',
    baselines: ['bare-provider-refresh-token', 'bare-provider-pg-refresh-token'],
    prepare: async ({ setupUrl, fixtures, connections }) => {
      // Warm-up and measurement each leave up to `connections` tokens in flight when they stop:
      // the pool is topped up before every round.
      const wanted = connections * 4;
      const pool = new RefreshTokenPool(await issueRefreshTokens(setupUrl, fixtures, wanted));
      return {
        endpoint: 'POST /oauth/token',
        requests: refreshTokenRequests(fixtures.app, pool),
        notes: [`circulating pool of ${wanted} refresh tokens from password grants; each response's new token goes back in`],
        beforeRound: async () => {
          if (pool.size < wanted) for (const token of await issueRefreshTokens(setupUrl, fixtures, wanted - pool.size)) pool.give(token);
        },
      };
    },
  },
  {
    id: 'c',
    title: 'password grant',
    baselines: ['argon2id-http', 'argon2id-verify', 'bare-login-http'],
    prepare: async ({ fixtures }) => ({ endpoint: 'POST /oauth/token', requests: passwordRequests(fixtures.app, fixtures.users, USER_SCOPE) }),
  },
  {
    id: 'd',
    title: 'user info (JWT bearer)',
    baselines: ['bare-jose-pg-read', 'bare-fast-jwt-pg-read', 'bare-jose-verify'],
    prepare: async ({ userInfoPath, userAccessToken }) => ({
      endpoint: `GET ${userInfoPath}`,
      requests: bearerRequests(userInfoPath, userAccessToken),
      notes: userInfoPath === '/api/v1/user/info' ? [] : [`GET /api/v1/user/info is not served yet: measured ${userInfoPath} instead`],
    }),
  },
  {
    id: 'e',
    title: 'introspection (JWT access token)',
    baselines: ['bare-provider-introspection'],
    prepare: async ({ fixtures, userAccessToken }) => ({
      endpoint: 'POST /oauth/introspect',
      requests: introspectionRequests(fixtures.machine, userAccessToken),
      notes: ['bare oidc-provider cannot introspect JWT access tokens (it does not store them): its baseline introspects a refresh token'],
    }),
  },
  {
    id: 'e2',
    title: 'introspection (refresh token)',
    baselines: ['bare-provider-introspection'],
    prepare: async ({ fixtures, idleRefreshToken }) => ({
      endpoint: 'POST /oauth/introspect',
      requests: introspectionRequests(fixtures.app, idleRefreshToken),
    }),
  },
  {
    id: 'f',
    title: 'passcode submit + agent look-up',
    prepare: async ({ fixtures }) => ({
      endpoint: 'POST /api/v2/{tenant}/identity/passcode + GET /api/v2/{tenant}/identity/passcode/{key}',
      requests: passcodeRequests(fixtures.tenant),
      notes: ['two requests per pass_key (submit, look-up), both counted; no baseline is defined for this scenario'],
    }),
  },
];

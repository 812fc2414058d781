import type { GatehouseProcess } from './lib/gatehouse-process.js';
import { askChild, type NodeProcess } from './lib/child-process.js';
import {
  clientCredentialsGrant,
  introspect,
  issueRefreshTokens,
  passwordGrant,
  refreshGrant,
  type ClientCredentials,
  type Fixtures,
  type TokenResponse,
} from './lib/fixtures.js';
import { mapConcurrent, requestJson } from './lib/http.js';
import { measureLoad } from './lib/load.js';
import type { InstanceCheck } from './lib/report.js';
import type { ProxyStats } from './proxy.js';
import { RefreshTokenPool, refreshTokenRequests } from './scenarios/token-requests.js';

/** What the checks need to know of the load balancer in front of the two instances. */
export interface Balancer {
  /** What clients call. */
  url: string;
  name: string;
  /**
   * After one upstream was killed: whether the balancer took it out of the rotation, how many
   * requests it answered with an error because of it, and how many it had in flight at the time
   * (undefined when the balancer cannot tell).
   */
  afterKill(victimUrl: string, killedAt: number): Promise<{ takenOut: boolean; failedAtVictim: number; inFlightWhenMarkedDown?: number; detail: string }>;
}

/** bench/proxy.ts, the round-robin Node proxy of `npm run bench -- --instances 2`, asked over IPC. */
export function nodeProxyBalancer(proxy: { process: NodeProcess; url: string }): Balancer {
  return {
    url: proxy.url,
    name: 'the proxy',
    async afterKill(victimUrl) {
      const stats = await askChild<ProxyStats>(proxy.process, { type: 'stats' });
      const victim = stats.upstreams.find((upstream) => upstream.url === new URL(victimUrl).origin);
      return {
        takenOut: victim?.up === false,
        failedAtVictim: victim?.failed ?? Number.NaN,
        inFlightWhenMarkedDown: victim?.inFlightWhenMarkedDown,
        detail:
          `proxy: B ${victim?.up ? 'still routed' : 'taken out'} with ${victim?.inFlightWhenMarkedDown ?? '?'} requests in flight to it, ` +
          `${victim?.failed ?? '?'} answered 502, ${victim?.refusedAndRetried ?? '?'} refused and retried on A`,
      };
    },
  };
}

export interface InstanceCheckSetup {
  first: GatehouseProcess;
  second: GatehouseProcess;
  balancer: Balancer;
  fixtures: Fixtures;
  userInfoPath: string;
  connections: number;
  durationSeconds: number;
}

/**
 * Is each token active when the survivor introspects it? Returns the ones that are not. Access
 * tokens are introspected by the resource server (the machine client), refresh tokens by the
 * client they were issued to: nobody else may introspect them (RFC 7662 policy, issue #10).
 */
async function inactiveAt(url: string, client: ClientCredentials, tokens: readonly string[]): Promise<string[]> {
  const answers = await mapConcurrent(tokens, 16, async (token) => {
    const response = await introspect(url, client, token);
    return response.status === 200 && response.body.active === true ? undefined : token;
  });
  return answers.filter((token): token is string => token !== undefined);
}

/**
 * Issue #7 part 3: two instances on one database behave as one server. The last check kills the
 * second instance with SIGKILL in the middle of a refresh-token run through the proxy.
 */
export async function runInstanceChecks(setup: InstanceCheckSetup): Promise<InstanceCheck[]> {
  const { first: a, second: b, fixtures } = setup;
  const checks: InstanceCheck[] = [];
  const user = fixtures.users[0]!;

  {
    const machine = await clientCredentialsGrant(a.url, fixtures.machine);
    const customer = await passwordGrant(a.url, fixtures, user);
    const machineAtB = await introspect(b.url, fixtures.machine, machine.access_token);
    const customerAtB = await introspect(b.url, fixtures.machine, customer.access_token);
    const refreshAtB = await introspect(b.url, fixtures.app, customer.refresh_token!);
    const userInfoAtB = await requestJson(`${b.url}${setup.userInfoPath}`, { headers: { authorization: `Bearer ${customer.access_token}` } });
    const passed = machineAtB.body.active === true && customerAtB.body.active === true && refreshAtB.body.active === true && userInfoAtB.status === 200;
    checks.push({
      check: 'tokens issued by instance A are accepted by instance B',
      passed,
      detail: `introspect at B: client_credentials token active=${machineAtB.body.active}, customer access token active=${customerAtB.body.active}, refresh token active=${refreshAtB.body.active}; ${setup.userInfoPath} at B: ${userInfoAtB.status}`,
    });
  }

  {
    const started = await passwordGrant(a.url, fixtures, user);
    const atB = await refreshGrant(b.url, fixtures, started.refresh_token!);
    const backAtA = atB.status === 200 ? await refreshGrant(a.url, fixtures, atB.body.refresh_token!) : undefined;
    const replayAtB = await refreshGrant(b.url, fixtures, started.refresh_token!);
    const passed = atB.status === 200 && backAtA?.status === 200 && replayAtB.status === 400;
    checks.push({
      check: 'a session started on A continues on B (refresh token issued by A redeemed at B, and back)',
      passed,
      detail: `A's refresh token at B: ${atB.status}; B's rotated token at A: ${backAtA?.status ?? 'skipped'}; A's token replayed at B: ${replayAtB.status} (rotation holds across instances)`,
    });
  }

  checks.push(...(await killOneMidRun(setup)));
  return checks;
}

async function killOneMidRun(setup: InstanceCheckSetup): Promise<InstanceCheck[]> {
  const { first: survivor, second: victim, fixtures, connections } = setup;
  const pool = new RefreshTokenPool(await issueRefreshTokens(survivor.url, fixtures, connections * 4));
  const issued: Array<{ at: number; tokens: TokenResponse }> = [];
  let startedAt = 0;
  let killedAt = 0;
  const seconds = Math.max(4, setup.durationSeconds);
  const load = await measureLoad(
    { url: setup.balancer.url, connections, requests: refreshTokenRequests(fixtures.app, pool, (tokens) => issued.push({ at: Date.now(), tokens })) },
    { durationSeconds: seconds, warmup: { minSeconds: 0, maxSeconds: 0, tolerance: 0.1 } },
    {
      onMeasureStart: () => {
        startedAt = Date.now();
        setTimeout(
          () => {
            killedAt = Date.now();
            victim.child.kill('SIGKILL');
          },
          (seconds * 1000) / 2,
        ).unref();
      },
    },
  );
  await victim.exited;
  const balancer = await setup.balancer.afterKill(victim.url, killedAt);

  const beforeKill = issued.filter((entry) => entry.at < killedAt);
  const accessTokens = issued.map((entry) => entry.tokens.access_token);
  const inactiveAccess = await inactiveAt(survivor.url, fixtures.machine, accessTokens);
  const unredeemed = pool.remaining();
  const inactiveRefresh = await inactiveAt(survivor.url, fixtures.app, unredeemed);
  const failures = load.non2xx + load.errors;
  const only502 = Object.entries(load.statusCodes).every(([code]) => code.startsWith('2') || code === '502');

  return [
    {
      check: 'killing B mid-run loses no issued token (all introspect active on the survivor A)',
      passed: inactiveAccess.length === 0 && inactiveRefresh.length === 0 && issued.length > 0,
      detail:
        `${accessTokens.length} access tokens issued (${beforeKill.length} before the SIGKILL ${((killedAt - startedAt) / 1000).toFixed(1)} s into the run): ` +
        `${accessTokens.length - inactiveAccess.length} active at A; ${unredeemed.length} unredeemed refresh tokens: ${unredeemed.length - inactiveRefresh.length} active at A`,
    },
    {
      check: `only requests in flight to B fail, and ${setup.balancer.name} stops routing to B`,
      // Every failure is a 502 for a request B held when it died: none after the balancer took B out.
      passed:
        balancer.takenOut &&
        only502 &&
        load.errors === 0 &&
        load.non2xx === balancer.failedAtVictim &&
        failures <= (balancer.inFlightWhenMarkedDown ?? connections) &&
        failures <= connections,
      detail:
        `${failures} failed (non-2xx ${load.non2xx}, connection errors ${load.errors}), ` +
        `status codes ${JSON.stringify(load.statusCodes)}; ${balancer.detail}; ` +
        `throughput ${Math.round(load.requestsPerSecond)}/s over the run`,
    },
  ];
}

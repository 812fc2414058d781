import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, startScript, waitUntilServing, type NodeProcess } from './child-process.js';
import { treeRssMb } from './process-stats.js';

export interface GatehouseProcess extends NodeProcess {
  url: string;
  /** From spawning node to the first 2xx of /readyz, ms. */
  startupMs: number;
  /** Resident memory of the server's process tree once ready and settled, MiB. */
  idleRssMb: number;
}

export interface GatehouseLaunch {
  name: string;
  port: number;
  /** Shared by every instance: tokens carry it and each instance checks it. */
  issuer: string;
  databaseUrl: string;
  secret: string;
  dataDir: string;
  extraEnv?: Record<string, string>;
  /** Another checkout to run the server from (default: this one). */
  serverDir?: string;
  /** Write a V8 CPU profile (`--cpu-prof`) into this directory when the process exits. */
  cpuProfile?: { dir: string; name: string };
}

/**
 * Rate limits raised so the load is never refused on purpose: the benchmark measures the work of a
 * request that is allowed. Brute-force limits still run (they count failures only).
 */
const GENEROUS_LIMITS = {
  LOGIN_FAILURES_PER_IP: '10000',
  API_KEY_FAILURES_PER_IP: '10000',
  PASSCODE_RATE_WINDOW: '60',
  PASSCODE_CREATE_PER_KEY: '1000000000',
  PASSCODE_CREATE_PER_IP: '1000000000',
  PASSCODE_CREATE_PER_TENANT: '1000000000',
  PASSCODE_LOOKUP_PER_KEY: '1000000000',
  PASSCODE_LOOKUP_PER_TENANT: '1000000000',
};

/**
 * What production runs (issue 14 item 5): the compiled `dist/main.js` on plain node, no tsx and no
 * npm wrapper. Built here with the checkout's own `scripts/build.ts` (as `npm start` does); a
 * checkout without that script (an older branch given by --server-dir) runs `src/main.ts` with tsx.
 */
export function buildServer(serverDir = REPO_ROOT): string {
  const buildScript = path.join(serverDir, 'scripts', 'build.ts');
  if (!existsSync(buildScript)) return 'src/main.ts';
  const built = spawnSync(process.execPath, ['--import', 'tsx', buildScript], { cwd: serverDir, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed in ${serverDir}:\n${built.stdout}\n${built.stderr}`);
  return 'dist/main.js';
}

/**
 * Node's flags for the compiled server, as package.json's `start` script and the Dockerfile's CMD
 * pass them. AsyncContextFrame (the default from Node 24) carries AsyncLocalStorage without
 * promise hooks: MikroORM's request context and oidc-provider's ctx then cost no hook per promise
 * (about 10% of the server's main-thread CPU per token in this bench).
 */
export const PRODUCTION_NODE_FLAGS = [
  '--enable-source-maps',
  '--experimental-async-context-frame',
  // BENCH_NODE_FLAGS: V8 flags NODE_OPTIONS refuses (--max-old-space-size=160, --optimize-for-size), for trying memory caps.
  ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
];

/** The server as its own process, configured as production would be except for the limits above. */
export async function startGatehouseProcess(launch: GatehouseLaunch, entry: string): Promise<GatehouseProcess> {
  const nodeArgs = [
    ...(entry.endsWith('.js') ? PRODUCTION_NODE_FLAGS : []),
    ...(launch.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${launch.cpuProfile.dir}`, `--cpu-prof-name=${launch.cpuProfile.name}`] : []),
  ];
  const started = performance.now();
  const handle = startScript(launch.name, entry, {
    cwd: launch.serverDir,
    nodeArgs,
    env: {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(launch.port),
      ISSUER: launch.issuer,
      DATABASE_URL: launch.databaseUrl,
      GATEHOUSE_SECRET: launch.secret,
      DATA_DIR: launch.dataDir,
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE: '3',
      ...GENEROUS_LIMITS,
      ...launch.extraEnv,
    },
  });
  const url = `http://127.0.0.1:${launch.port}`;
  try {
    await waitUntilServing(handle, `${url}/readyz`, 90_000, 20);
  } catch (error) {
    await handle.stop(1000);
    throw error;
  }
  const startupMs = Math.round(performance.now() - started);
  // Idle: after start-up's garbage has had a moment to be collected, before any load.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return { ...handle, url, startupMs, idleRssMb: treeRssMb([handle.pid]) };
}

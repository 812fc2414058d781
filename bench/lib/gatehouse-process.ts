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
 * npm wrapper, started by bin/gatehouse as `npm start` and the Docker image start it. Built here with the checkout's own `scripts/build.ts` (as `npm start` does); a
 * checkout without that script (an older branch given by --server-dir) runs `src/main.ts` with tsx.
 */
export function buildServer(serverDir = REPO_ROOT): string {
  const buildScript = path.join(serverDir, 'scripts', 'build.ts');
  if (!existsSync(buildScript)) return 'src/main.ts';
  const built = spawnSync(process.execPath, ['--import', 'tsx', buildScript], { cwd: serverDir, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed in ${serverDir}:\n${built.stdout}\n${built.stderr}`);
  // The production command line (node's flags included) where the checkout has it.
  return existsSync(path.join(serverDir, 'bin', 'gatehouse')) ? 'bin/gatehouse' : 'dist/main.js';
}

/** Node's flags for an older checkout's compiled server, one without bin/gatehouse (--server-dir). */
const FLAGS_BEFORE_THE_LAUNCHER = ['--enable-source-maps', '--experimental-async-context-frame'];

/**
 * Node flags beyond production's: BENCH_NODE_FLAGS (V8 flags NODE_OPTIONS refuses, such as
 * --max-old-space-size=160, for trying memory caps) and a CPU profile's.
 */
function extraNodeFlags(launch: GatehouseLaunch): string[] {
  return [
    ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    ...(launch.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${launch.cpuProfile.dir}`, `--cpu-prof-name=${launch.cpuProfile.name}`] : []),
  ];
}

/** The server as its own process, configured as production would be except for the limits above. */
export async function startGatehouseProcess(launch: GatehouseLaunch, entry: string): Promise<GatehouseProcess> {
  const extra = extraNodeFlags(launch);
  // bin/gatehouse takes extra flags from GATEHOUSE_NODE_FLAGS and runs the node on PATH: this one.
  const viaLauncher = entry === 'bin/gatehouse';
  const started = performance.now();
  const handle = startScript(launch.name, entry, {
    cwd: launch.serverDir,
    nodeArgs: viaLauncher ? [] : [...(entry.endsWith('.js') ? FLAGS_BEFORE_THE_LAUNCHER : []), ...extra],
    env: {
      ...(viaLauncher ? { GATEHOUSE_NODE_FLAGS: extra.join(' '), PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` } : {}),
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

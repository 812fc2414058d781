import { startTypeScript, waitUntilServing, type NodeProcess } from './child-process.js';

export interface GatehouseProcess extends NodeProcess {
  url: string;
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
  /** Another checkout to run `src/main.ts` from (default: this one). */
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

/** `src/main.ts` as its own process, configured as production would be except for the limits above. */
export async function startGatehouseProcess(launch: GatehouseLaunch): Promise<GatehouseProcess> {
  const nodeArgs = launch.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${launch.cpuProfile.dir}`, `--cpu-prof-name=${launch.cpuProfile.name}`] : [];
  const handle = startTypeScript(launch.name, 'src/main.ts', {
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
    await waitUntilServing(handle, `${url}/readyz`);
  } catch (error) {
    await handle.stop(1000);
    throw error;
  }
  return { ...handle, url };
}

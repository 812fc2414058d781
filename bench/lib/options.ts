import path from 'node:path';
import { parseArgs } from 'node:util';

export const SCENARIO_IDS = ['a', 'b', 'c', 'd', 'e', 'e2', 'f'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface BenchOptions {
  quick: boolean;
  /** Measured seconds per scenario, after the warm-up. */
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** 1, or 2 Gatehouse processes behind bench/proxy.ts plus the cross-instance checks. */
  instances: 1 | 2;
  scenarios: ScenarioId[];
  baselines: boolean;
  /** Profile the server with --cpu-prof: a fresh server process per scenario, one profile each. */
  cpuProfile: boolean;
  /** Extra Gatehouse environment (`--env DATABASE_POOL_MAX=20`), for trying a setting without editing code. */
  serverEnv: Record<string, string>;
  /** Run the server from another checkout (a branch's worktree) for an A/B comparison. */
  serverDir?: string;
}

const USAGE = `npm run bench -- [options]
  --quick               short runs (whole benchmark < 3 minutes)
  --duration SECONDS    measured time per scenario (default 15, quick 4)
  --warmup SECONDS      warm-up before each measurement (default 5, quick 1.5)
  --connections N       concurrent connections (default 32)
  --instances 1|2       two Gatehouse processes behind a round-robin proxy, plus the cross-instance checks
  --scenarios a,b,...   subset of ${SCENARIO_IDS.join(',')}
  --skip-baselines      only measure Gatehouse
  --cpu-prof            write and summarise a CPU profile of the server for each scenario
  --env KEY=VALUE       extra Gatehouse environment (repeatable)
  --server-dir DIR      run src/main.ts of another checkout (with its own node_modules), e.g. a branch to compare`;

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      instances: { type: 'string' },
      scenarios: { type: 'string' },
      'skip-baselines': { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      env: { type: 'string', multiple: true },
      'server-dir': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const number = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number >= ${min}\n\n${USAGE}`);
    return value;
  };
  const instances = number('instances', values.instances, 1, 1);
  if (instances !== 1 && instances !== 2) throw new Error(`--instances must be 1 or 2\n\n${USAGE}`);
  const scenarios = values.scenarios ? values.scenarios.split(',').map((id) => id.trim()) : [...SCENARIO_IDS];
  const unknown = scenarios.filter((id) => !(SCENARIO_IDS as readonly string[]).includes(id));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIO_IDS.join(', ')}`);
  const serverEnv: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const separator = pair.indexOf('=');
    if (separator < 1) throw new Error(`--env expects KEY=VALUE, got ${pair}`);
    serverEnv[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  return {
    quick: values.quick,
    durationSeconds: number('duration', values.duration, values.quick ? 4 : 15, 1),
    warmupSeconds: number('warmup', values.warmup, values.quick ? 1.5 : 5, 0),
    connections: Math.round(number('connections', values.connections, 32, 1)),
    instances,
    scenarios: scenarios as ScenarioId[],
    baselines: !values['skip-baselines'],
    cpuProfile: values['cpu-prof'],
    serverEnv,
    serverDir: values['server-dir'] ? path.resolve(values['server-dir']) : undefined,
  };
}

import path from 'node:path';
import { parseArgs } from 'node:util';

export const SCENARIO_IDS = ['a', 'b', 'c', 'd', 'e', 'e2', 'f'] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

export interface BenchOptions {
  quick: boolean;
  /** Measured seconds per scenario, after the warm-up. */
  durationSeconds: number;
  /** Warm-up of a process's first measurement of a scenario: at least this long, then until the rate is steady. */
  warmupSeconds: number;
  /** ...but never longer than this. */
  warmupMaxSeconds: number;
  /** Gatehouse and its baselines measured in turn (A B A B ...) this many times; medians reported. */
  rounds: number;
  /** Raw jose sign/verify CPU per access-token algorithm (issue 14 item 4), in-process. */
  algorithms: boolean;
  connections: number;
  /** 1, or 2 Gatehouse processes behind bench/proxy.ts plus the cross-instance checks. */
  instances: 1 | 2;
  scenarios: ScenarioId[];
  baselines: boolean;
  /** Profile the server with --cpu-prof: a fresh server process per scenario, one profile each. */
  cpuProfile: boolean;
  /** Extra Gatehouse environment (`--env DATABASE_POOL_MAX=20`), for trying a setting without editing code. */
  serverEnv: Record<string, string>;
  /** Build and run the server from another checkout (a branch's worktree) for an A/B comparison. */
  serverDir?: string;
}

const USAGE = `npm run bench -- [options]
  --quick               short runs (whole benchmark: a few minutes)
  --duration SECONDS    measured time per scenario and round (default 10, quick 3)
  --warmup SECONDS      least warm-up of a cold measurement; then until three 1-s rates agree within 10% (default 5, quick 2)
  --warmup-max SECONDS  longest warm-up (default 20, quick 6)
  --rounds N            Gatehouse and baselines measured in turn N times, medians reported (default 3; fewer is for development only)
  --skip-algorithms     leave out the in-process sign/verify table per access-token algorithm
  --connections N       concurrent connections (default 16)
  --instances 1|2       two Gatehouse processes behind a round-robin proxy, plus the cross-instance checks
  --scenarios a,b,...   subset of ${SCENARIO_IDS.join(',')}
  --skip-baselines      only measure Gatehouse
  --cpu-prof            write and summarise a CPU profile of the server for each scenario
  --env KEY=VALUE       extra Gatehouse environment (repeatable)
  --server-dir DIR      build and run another checkout (its dist/main.js, or src/main.ts without scripts/build.ts), e.g. a branch to compare`;

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'warmup-max': { type: 'string' },
      rounds: { type: 'string' },
      'skip-algorithms': { type: 'boolean', default: false },
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
    durationSeconds: number('duration', values.duration, values.quick ? 3 : 10, 1),
    warmupSeconds: number('warmup', values.warmup, values.quick ? 2 : 5, 0),
    warmupMaxSeconds: number('warmup-max', values['warmup-max'], values.quick ? 6 : 20, 1),
    rounds: Math.round(number('rounds', values.rounds, 3, 1)),
    algorithms: !values['skip-algorithms'],
    connections: Math.round(number('connections', values.connections, 16, 1)),
    instances,
    scenarios: scenarios as ScenarioId[],
    baselines: !values['skip-baselines'],
    cpuProfile: values['cpu-prof'],
    serverEnv,
    serverDir: values['server-dir'] ? path.resolve(values['server-dir']) : undefined,
  };
}

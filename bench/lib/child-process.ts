import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface NodeProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string | null>;
  /** The last lines the process wrote, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs a script on this Node (22, from node_modules when started through npm), a TypeScript file
 * with the tsx loader in-process, compiled JavaScript (dist/main.js) as it is, a shell launcher
 * (bin/gatehouse, which execs node; `nodeArgs` then go in its environment): either way the
 * child's pid is the server itself, whose /proc entry the CPU and RSS samplers read and
 * --cpu-prof profiles.
 */
export function startScript(
  name: string,
  script: string,
  options: { env?: Record<string, string>; nodeArgs?: string[]; args?: string[]; ipc?: boolean; cwd?: string } = {},
): NodeProcess {
  const cwd = options.cwd ?? REPO_ROOT;
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  // A shell launcher (bin/gatehouse) execs node, which so keeps the child's pid.
  const launcher = !script.endsWith('.ts') && !script.endsWith('.js');
  const [command, commandArgs] = launcher
    ? ['sh', [path.resolve(cwd, script), ...(options.args ?? [])]]
    : [process.execPath, [...(options.nodeArgs ?? []), ...loader, path.resolve(cwd, script), ...(options.args ?? [])]];
  const child = spawn(command, commandArgs, {
    cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])],
  });
  const lines: string[] = [];
  // BENCH_TEE=/tmp/run: each child's whole output also goes to /tmp/run.<name>, e.g. the server's
  // --trace-gc-nvp lines (BENCH_NODE_FLAGS) when looking at what a scenario promotes.
  const tee = process.env.BENCH_TEE;
  const keep = (chunk: Buffer) => {
    if (tee) appendFileSync(`${tee}.${name}`, chunk);
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal));
  });
  let exitValue: number | string | null | undefined;
  void exited.then((value) => (exitValue = value));
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  return {
    name,
    pid: child.pid,
    child,
    exited,
    output: () => lines.join('\n'),
    async stop(graceMs = 15_000) {
      if (exitValue !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `url` until it answers 2xx; fails early, with the process's output, if it exits first. */
export async function waitUntilServing(processHandle: NodeProcess, url: string, timeoutMs = 90_000, pollMs = 150): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void processHandle.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${processHandle.name} exited during start-up:\n${processHandle.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`${processHandle.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${processHandle.output()}`);
}

/** Sends one IPC request to a child started with `ipc: true` and waits for the reply of the same type. */
export async function askChild<T>(processHandle: NodeProcess, message: { type: string } & Record<string, unknown>): Promise<T> {
  const child = processHandle.child;
  if (!child.send) throw new Error(`${processHandle.name} has no IPC channel`);
  const reply = new Promise<T>((resolve, reject) => {
    const onMessage = (received: { type?: string; error?: string } & Record<string, unknown>) => {
      if (received?.type !== message.type) return;
      child.off('message', onMessage);
      if (received.error) reject(new Error(`${processHandle.name}: ${received.error}`));
      else resolve(received as T);
    };
    child.on('message', onMessage);
  });
  child.send(message);
  return Promise.race([
    reply,
    once(child, 'exit').then(() => {
      throw new Error(`${processHandle.name} exited before answering ${message.type}:\n${processHandle.output()}`);
    }),
  ]);
}

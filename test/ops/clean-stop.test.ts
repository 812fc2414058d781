import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { portAcceptsConnections } from '../../src/platform/db/embedded-postgres.js';
import { createTestDatabase, testServerEnv } from '../support/server.js';
import { freePort } from '../support/ports.js';

const root = path.resolve(import.meta.dirname, '../..');
const SHUTDOWN_GRACE = 2;
/** Issue 11 item 7: stopped, with nothing listening, within SHUTDOWN_GRACE + 5 s of the signal. */
const stopBoundMs = (SHUTDOWN_GRACE + 5) * 1000;

interface StartedByNpm {
  npm: ChildProcess;
  server: number;
  port: number;
  output: () => string;
}

let databaseUrl: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
});

/** `npm start` as an operator runs it, in a process group of its own (as a terminal or supervisor would). */
async function npmStart(extraEnv: Record<string, string> = {}): Promise<StartedByNpm> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...testServerEnv(port, databaseUrl),
    SHUTDOWN_GRACE: String(SHUTDOWN_GRACE),
    LOG_LEVEL: 'info',
    ...extraEnv,
  };
  delete env.UV_THREADPOOL_SIZE;
  const npm = spawn('npm', ['start'], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout!.on('data', (chunk) => (output += chunk));
  npm.stderr!.on('data', (chunk) => (output += chunk));
  // Up to a minute: the two cores are shared with other test files booting their own servers.
  for (let attempt = 0; attempt < 240; attempt += 1) {
    if (npm.exitCode !== null) break;
    const ready = await fetch(`http://127.0.0.1:${port}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const server = childrenOf(npm.pid!).find((pid) => commandLine(pid).includes('dist/main.js'));
  if (!server) {
    killGroup(npm.pid!);
    throw new Error(`npm start did not come up:\n${output}`);
  }
  return { npm, server, port, output: () => output };
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => parentOf(Number(entry)) === pid)
    .map(Number);
}

function parentOf(pid: number): number | undefined {
  try {
    // The command name in field 2 may hold spaces or parentheses: the fields that follow start after its last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Gone, or a zombie waiting for a parent to reap it: either way it runs nothing and holds no socket. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

const portAccepts = portAcceptsConnections;

/** A request whose body never arrives: the drain has to give up on it after SHUTDOWN_GRACE. */
function openStalledRequest(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(
        'POST /oauth/token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=',
      );
      resolve(socket);
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

async function waitUntilStopped(started: StartedByNpm, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (!isRunning(started.server) && !isRunning(started.npm.pid!) && !(await portAccepts(started.port))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm start stops cleanly', () => {
  const cases: Array<{ target: 'the npm process' | 'the node process' | 'the process group'; signal: NodeJS.Signals }> = [
    { target: 'the npm process', signal: 'SIGTERM' },
    { target: 'the npm process', signal: 'SIGINT' },
    { target: 'the node process', signal: 'SIGTERM' },
    { target: 'the process group', signal: 'SIGTERM' },
    { target: 'the process group', signal: 'SIGINT' },
  ];

  it.each(cases)(
    'stops within SHUTDOWN_GRACE + 5 s, with a request still in flight, on $signal to $target',
    async ({ target, signal }) => {
      const started = await npmStart();
      const stalled = await openStalledRequest(started.port);
      try {
        const sentAt = Date.now();
        if (target === 'the npm process') process.kill(started.npm.pid!, signal);
        else if (target === 'the node process') process.kill(started.server, signal);
        else process.kill(-started.npm.pid!, signal);
        await waitUntilStopped(started, sentAt + stopBoundMs + 1000);
        const elapsed = Date.now() - sentAt;

        expect(isRunning(started.server), started.output()).toBe(false);
        expect(isRunning(started.npm.pid!), started.output()).toBe(false);
        expect(await portAccepts(started.port)).toBe(false);
        expect(elapsed).toBeLessThanOrEqual(stopBoundMs);
        expect(started.output()).toContain('Gatehouse stopped');
      } finally {
        stalled.destroy();
        killGroup(started.npm.pid!);
      }
    },
    90_000,
  );

  it('stops on its own when npm is killed outright and cannot forward anything', async () => {
    const started = await npmStart();
    try {
      const sentAt = Date.now();
      process.kill(started.npm.pid!, 'SIGKILL');
      await waitUntilStopped(started, sentAt + stopBoundMs + 1000);

      expect(isRunning(started.server), started.output()).toBe(false);
      expect(await portAccepts(started.port)).toBe(false);
      expect(Date.now() - sentAt).toBeLessThanOrEqual(stopBoundMs);
    } finally {
      killGroup(started.npm.pid!);
    }
  }, 90_000);
});

describe('npm start runs node as production does', () => {
  it('runs node itself, as the child of npm, with the flags of bin/gatehouse and GATEHOUSE_NODE_FLAGS (the Docker image runs the same script)', async () => {
    const started = await npmStart({ GATEHOUSE_NODE_FLAGS: '--heap-growing-percent=100' });
    try {
      const line = commandLine(started.server);
      expect(line).toMatch(/(^|\/)node /);
      expect(line).toContain('--experimental-async-context-frame');
      expect(line).toContain('--heap-growing-percent=100');
      expect(line).toContain('--stop-with-parent');
    } finally {
      killGroup(started.npm.pid!);
    }
  }, 90_000);

  it("starts libuv's pool with one thread beside the password hashes (src/platform/runtime/thread-pool.ts)", async () => {
    const started = await npmStart({ PASSWORD_HASH_CONCURRENCY: '5' });
    try {
      const poolThreads = readdirSync(`/proc/${started.server}/task`).filter((task) =>
        readFileSync(`/proc/${started.server}/task/${task}/comm`, 'utf8').startsWith('libuv-worker'),
      );
      // Start-up signs and hashes on the pool, so it exists by now, at the size main.ts set.
      expect(poolThreads, started.output()).toHaveLength(6);
      expect(started.output()).toMatch(/"threadPool":6,"passwordHashesAtOnce":5/);
    } finally {
      killGroup(started.npm.pid!);
    }
  }, 90_000);
});

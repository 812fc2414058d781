import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every mainstream Linux build). */
const CLOCK_TICKS_PER_SECOND = 100;

interface StatLine {
  pid: number;
  ppid: number;
  /** utime + stime of the process itself (all its threads), in ticks. */
  ownTicks: number;
  /** cutime + cstime: children that exited and were waited for, in ticks. */
  reapedChildTicks: number;
}

function readStat(pid: number): StatLine | undefined {
  try {
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      ppid: Number(fields[1]),
      ownTicks: Number(fields[11]) + Number(fields[12]),
      reapedChildTicks: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return undefined; // gone (killed on purpose in the two-instance run, or a backend that ended)
  }
}

function allProcesses(): StatLine[] {
  const lines: StatLine[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const line = readStat(Number(entry));
    if (line) lines.push(line);
  }
  return lines;
}

/** The given processes and all their live descendants. */
export function processTree(roots: number[]): StatLine[] {
  const all = allProcesses();
  const children = new Map<number, StatLine[]>();
  for (const line of all) children.set(line.ppid, [...(children.get(line.ppid) ?? []), line]);
  const byPid = new Map(all.map((line) => [line.pid, line]));
  const found: StatLine[] = [];
  const seen = new Set<number>();
  const visit = (line: StatLine | undefined) => {
    if (!line || seen.has(line.pid)) return;
    seen.add(line.pid);
    found.push(line);
    for (const child of children.get(line.pid) ?? []) visit(child);
  };
  for (const root of roots) visit(byPid.get(root));
  return found;
}

/**
 * CPU seconds (user + system, every thread: the libuv pool's signing and hashing included) used so
 * far by the process trees under `roots`: each root, its live descendants, and the descendants
 * that already exited (the roots' cutime/cstime: PostgreSQL's postmaster reaps its backends, a
 * node:cluster primary its workers). PostgreSQL work is part of a request's cost, so the bench
 * counts the cluster's tree beside the server's; CPU per request is far steadier than requests/s
 * on a shared machine.
 */
export function processTreeCpuSeconds(roots: number[]): number {
  const rootSet = new Set(roots);
  let ticks = 0;
  for (const line of processTree(roots)) ticks += line.ownTicks + (rootSet.has(line.pid) ? line.reapedChildTicks : 0);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU seconds of the main threads (the event loops: JavaScript, I/O callbacks) of the live
 * processes under `roots`, apart from their thread pools (crypto, argon2, DNS, file I/O).
 */
export function mainThreadCpuSeconds(roots: number[]): number {
  let ticks = 0;
  for (const line of processTree(roots)) {
    try {
      const stat = readFileSync(`/proc/${line.pid}/task/${line.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident memory of the process trees under `roots` right now (sum over processes), MiB. */
export function treeRssMb(roots: number[]): number {
  let bytes = 0;
  for (const line of processTree(roots)) bytes += statusField(line.pid, 'VmRSS') ?? 0;
  return Math.round(bytes / (1024 * 1024));
}

/**
 * Peak resident memory of each server over one measurement: the sum over its process tree (one
 * process, or a node:cluster primary and its workers), sampled every 50 ms. For a single process
 * the kernel's high-water mark (VmHWM, reset through clear_refs where permitted) also counts, so a
 * spike between samples is not missed. Reports the highest server (two instances: either one).
 */
export class PeakRss {
  private readonly peaks = new Map<number, number>();
  private readonly highWaterOk = new Map<number, boolean>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly roots: number[]) {}

  start(): this {
    for (const pid of this.roots) {
      let ok = false;
      try {
        // Writing "5" to clear_refs resets VmHWM to the current RSS.
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        ok = true;
      } catch {
        ok = false;
      }
      this.highWaterOk.set(pid, ok);
    }
    const sample = () => {
      for (const pid of this.roots) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, treeRssMb([pid])));
    };
    sample();
    this.timer = setInterval(sample, 50);
    this.timer.unref();
    return this;
  }

  /** Highest peak among the servers, in MiB. */
  stop(): number {
    clearInterval(this.timer);
    let peak = 0;
    for (const pid of this.roots) {
      let own = this.peaks.get(pid) ?? 0;
      const singleProcess = processTree([pid]).length === 1;
      const highWater = singleProcess && this.highWaterOk.get(pid) ? statusField(pid, 'VmHWM') : undefined;
      if (highWater) own = Math.max(own, Math.round(highWater / (1024 * 1024)));
      peak = Math.max(peak, own);
    }
    return peak;
  }
}

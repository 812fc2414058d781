import { readFileSync, writeFileSync } from 'node:fs';

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined; // the process is gone (killed on purpose in the two-instance run)
  }
}

/**
 * Peak resident memory of server processes over one scenario. Writing "5" to clear_refs resets
 * the kernel's high-water mark (VmHWM), so it covers exactly this scenario; where that is not
 * permitted, VmRSS sampled every 50 ms stands in (it can miss a short spike).
 */
export class PeakRss {
  private readonly polled = new Map<number, number>();
  private readonly resetOk = new Map<number, boolean>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly pids: number[]) {}

  start(): this {
    for (const pid of this.pids) {
      let resetOk = false;
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
        resetOk = true;
      } catch {
        resetOk = false;
      }
      this.resetOk.set(pid, resetOk);
      this.polled.set(pid, statusField(pid, 'VmRSS') ?? 0);
    }
    this.timer = setInterval(() => {
      for (const pid of this.pids) {
        const rss = statusField(pid, 'VmRSS');
        if (rss !== undefined) this.polled.set(pid, Math.max(this.polled.get(pid) ?? 0, rss));
      }
    }, 50);
    this.timer.unref();
    return this;
  }

  /** Highest peak among the processes, in MiB. */
  stop(): number {
    clearInterval(this.timer);
    let peak = 0;
    for (const pid of this.pids) {
      const highWater = this.resetOk.get(pid) ? statusField(pid, 'VmHWM') : undefined;
      peak = Math.max(peak, this.polled.get(pid) ?? 0, highWater ?? 0);
    }
    return Math.round(peak / (1024 * 1024));
  }
}

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on every mainstream Linux build). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system, all threads: the libuv pool's signing and hashing included) the
 * processes have used so far. CPU per request is far steadier than requests/s on a shared machine.
 */
export function processCpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

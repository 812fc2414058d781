/**
 * Keeps `concurrency` calls of `operation` in flight for `seconds` and counts completions: the
 * in-process counterpart of a fixed number of connections.
 */
export async function closedLoop(
  seconds: number,
  concurrency: number,
  operation: () => Promise<unknown>,
): Promise<{ perSecond: number; completed: number; cpuMsPerOperation: number }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let completed = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      await operation();
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedSeconds = (performance.now() - started) / 1000;
  // process.cpuUsage covers every thread of this process, the libuv pool doing the work included.
  const cpu = process.cpuUsage(cpuBefore);
  return { perSecond: completed / elapsedSeconds, completed, cpuMsPerOperation: (cpu.user + cpu.system) / 1000 / Math.max(1, completed) };
}

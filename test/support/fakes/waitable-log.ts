/** An append-only list that tests can wait on for an entry that has arrived or will arrive. */
export interface WaitableLog<T> {
  entries: T[];
  record(entry: T): void;
  waitFor(matches: (entry: T) => boolean, timeoutMs: number, describeTimeout: () => string): Promise<T>;
}

export function createWaitableLog<T>(): WaitableLog<T> {
  const entries: T[] = [];
  const waiters = new Set<{ matches(entry: T): boolean; resolve(entry: T): void }>();

  return {
    entries,
    record(entry) {
      entries.push(entry);
      for (const waiter of waiters) {
        if (waiter.matches(entry)) waiter.resolve(entry);
      }
    },
    waitFor(matches, timeoutMs, describeTimeout) {
      const existing = entries.find(matches);
      if (existing !== undefined) return Promise.resolve(existing);
      return new Promise<T>((resolve, reject) => {
        const waiter = {
          matches,
          resolve(entry: T) {
            waiters.delete(waiter);
            clearTimeout(timer);
            resolve(entry);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(describeTimeout()));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

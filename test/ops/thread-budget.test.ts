import { describe, expect, it } from 'vitest';
import { hashPassword, limitConcurrentHashes, passwordHashingLoad, verifyPassword } from '../../src/platform/crypto/passwords.js';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import { threadBudget } from '../../src/platform/runtime/thread-pool.js';

describe('thread budget (argon2 hashes and libuv pool)', () => {
  it("gives hashes the process's share of the cores and the pool one thread more, at least three", () => {
    expect(threadBudget({ cores: 2, workers: 1 })).toEqual({ hashConcurrency: 2, poolSize: 3 });
    expect(threadBudget({ cores: 1, workers: 1 })).toEqual({ hashConcurrency: 1, poolSize: 3 });
    expect(threadBudget({ cores: 16, workers: 1 })).toEqual({ hashConcurrency: 16, poolSize: 17 });
    expect(threadBudget({ cores: 16, workers: 4 })).toEqual({ hashConcurrency: 4, poolSize: 5 });
    expect(threadBudget({ cores: 2, workers: 4 })).toEqual({ hashConcurrency: 1, poolSize: 3 });
  });

  it('keeps a thread beside the hashes in a pool sized by hand, and takes explicit settings as given', () => {
    expect(threadBudget({ cores: 16, workers: 1, poolSize: 3 })).toEqual({ hashConcurrency: 2, poolSize: 3 });
    expect(threadBudget({ cores: 16, workers: 1, poolSize: 1 })).toEqual({ hashConcurrency: 1, poolSize: 1 });
    expect(threadBudget({ cores: 2, workers: 1, hashConcurrency: 6 })).toEqual({ hashConcurrency: 6, poolSize: 7 });
    expect(threadBudget({ cores: 2, workers: 1, hashConcurrency: 3, poolSize: 3 })).toEqual({ hashConcurrency: 3, poolSize: 3 });
  });

  it('reads PASSWORD_HASH_CONCURRENCY and UV_THREADPOOL_SIZE once, refusing nonsense', () => {
    expect(loadConfig({ PASSWORD_HASH_CONCURRENCY: '3' }).threads).toEqual({ hashConcurrency: 3, poolSize: 4 });
    expect(loadConfig({ UV_THREADPOOL_SIZE: '12', PASSWORD_HASH_CONCURRENCY: '8' }).threads).toEqual({ hashConcurrency: 8, poolSize: 12 });
    expect(() => loadConfig({ PASSWORD_HASH_CONCURRENCY: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ UV_THREADPOOL_SIZE: 'many' })).toThrow(/UV_THREADPOOL_SIZE/);
  });
});

describe('password hashing bound', () => {
  it('runs at most the limit at once; the rest wait their turn and all complete', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const before = passwordHashingLoad().limit;
    limitConcurrentHashes(1);
    try {
      const checks = [
        verifyPassword(hash, 'correct horse battery staple'),
        verifyPassword(hash, 'wrong'),
        verifyPassword(hash, 'correct horse battery staple'),
      ];
      expect(passwordHashingLoad()).toEqual({ running: 1, queued: 2, limit: 1 });
      // Raising the bound lets the queue in at once.
      limitConcurrentHashes(3);
      expect(passwordHashingLoad()).toEqual({ running: 3, queued: 0, limit: 3 });
      expect(await Promise.all(checks)).toEqual([true, false, true]);
      expect(passwordHashingLoad()).toMatchObject({ running: 0, queued: 0 });
    } finally {
      limitConcurrentHashes(before);
    }
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => limitConcurrentHashes(0)).toThrow(RangeError);
    expect(() => limitConcurrentHashes(1.5)).toThrow(RangeError);
  });
});

import { availableParallelism } from 'node:os';
import argon2 from 'argon2';

/** OWASP's argon2id baseline: 19 MiB, two passes, one lane. */
export const ARGON2_PARAMETERS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * Each hash holds 19 MiB and a thread-pool slot: bound how many run at once so a burst of logins
 * queues instead of exhausting memory or starving token signing on the same pool. The server sets
 * the bound from its thread budget (src/platform/runtime/thread-pool.ts); this is the default.
 */
let maxConcurrentHashes = availableParallelism();
let running = 0;
const waiting: Array<() => void> = [];

/** Called once at start-up with `config.threads.hashConcurrency`. */
export function limitConcurrentHashes(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`hash concurrency must be a positive integer, got ${limit}`);
  maxConcurrentHashes = limit;
  while (waiting.length && running < maxConcurrentHashes) startNextHash();
}

/** Hashes running and queued now (tests, and the start-up log). */
export function passwordHashingLoad(): { running: number; queued: number; limit: number } {
  return { running, queued: waiting.length, limit: maxConcurrentHashes };
}

function startNextHash(): void {
  // The slot passes straight to the next in line, so a newcomer cannot overtake the queue.
  running += 1;
  waiting.shift()!();
}

async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= maxConcurrentHashes) await new Promise<void>((resolve) => waiting.push(resolve));
  else running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    if (waiting.length && running < maxConcurrentHashes) startNextHash();
  }
}

export function hashPassword(password: string): Promise<string> {
  return withHashSlot(() => argon2.hash(password, ARGON2_PARAMETERS));
}

/** A hash of a random password, verified against when the account does not exist so both paths cost the same. */
let decoyHash: Promise<string> | undefined;

let verifications = 0;

/** How many argon2 verifications this process has run (a metric, and what limiter tests count). */
export function passwordVerificationCount(): number {
  return verifications;
}

export async function verifyPassword(hash: string | null | undefined, password: string): Promise<boolean> {
  verifications += 1;
  const target = hash ?? (await (decoyHash ??= hashPassword(crypto.randomUUID())));
  const matches = await withHashSlot(() => argon2.verify(target, password).catch(() => false));
  return Boolean(hash) && matches;
}

export const passwordPolicy = { minLength: 8, maxLength: 128 } as const;

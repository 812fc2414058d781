import { ARGON2_PARAMETERS, hashPassword, verifyPassword } from '../../src/platform/crypto/passwords.js';
import { closedLoop } from '../lib/closed-loop.js';

/**
 * Baseline for (c): argon2id with Gatehouse's parameters, in this process, through Gatehouse's own
 * hashPassword/verifyPassword so the concurrency bound (limitConcurrentHashes in
 * src/platform/crypto/passwords.ts) is the one the server applies. `callers` plays the connections.
 */
export async function measureArgon2(seconds: number, callers: number) {
  const password = 'correct horse battery staple';
  const hash = await hashPassword(password);
  await closedLoop(Math.min(1, seconds / 4), callers, () => verifyPassword(hash, password));
  const verify = await closedLoop(seconds, callers, async () => {
    if (!(await verifyPassword(hash, password))) throw new Error('argon2 verification failed');
  });
  const hashing = await closedLoop(Math.max(1, seconds / 2), callers, () => hashPassword(password));
  return {
    parameters: { memoryKiB: ARGON2_PARAMETERS.memoryCost, timeCost: ARGON2_PARAMETERS.timeCost, parallelism: ARGON2_PARAMETERS.parallelism },
    verifiesPerSecond: verify.perSecond,
    completed: verify.completed,
    cpuMsPerVerify: verify.cpuMsPerOperation,
    hashesPerSecond: hashing.perSecond,
  };
}

/**
 * Prints where a V8 CPU profile spent its time: `npx tsx scripts/cpu-profile-summary.ts FILE.cpuprofile [TOP]`.
 * `npm run bench -- --cpu-prof` writes one per scenario under bench/results/profiles/.
 */
import { formatProfile, summarizeCpuProfile } from '../bench/lib/cpu-profile.js';

const [file, top] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx scripts/cpu-profile-summary.ts FILE.cpuprofile [TOP]\n');
  process.exit(2);
}
process.stdout.write(`${formatProfile(summarizeCpuProfile(file, top ? Number(top) : 25))}\n`);

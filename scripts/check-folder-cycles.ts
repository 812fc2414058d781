/**
 * Fails when folders of src/ import each other in a cycle (issue #12: 42 pairs of folders used to).
 * dependency-cruiser checks file cycles and the layer rules (.dependency-cruiser.cjs); this folds
 * its graph into folders (`src/identity/customers`, `src/api/remp`, …) and looks for strongly
 * connected components with Tarjan's algorithm.
 */
import { execFileSync } from 'node:child_process';

interface Cruised {
  modules: Array<{ source: string; dependencies: Array<{ resolved: string }> }>;
}

const output = execFileSync('npx', ['depcruise', 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
const cruised = JSON.parse(output) as Cruised;

const folderOf = (file: string) => file.split('/').slice(0, -1).join('/');
const edges = new Map<string, Set<string>>();
for (const module of cruised.modules) {
  if (!module.source.startsWith('src/')) continue;
  const from = folderOf(module.source);
  if (!edges.has(from)) edges.set(from, new Set());
  for (const dependency of module.dependencies) {
    if (!dependency.resolved.startsWith('src/')) continue;
    const to = folderOf(dependency.resolved);
    if (to !== from) edges.get(from)!.add(to);
  }
}

let index = 0;
const indices = new Map<string, number>();
const lowLinks = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const cycles: string[][] = [];

function connect(folder: string): void {
  indices.set(folder, index);
  lowLinks.set(folder, index);
  index += 1;
  stack.push(folder);
  onStack.add(folder);
  for (const next of edges.get(folder) ?? []) {
    if (!indices.has(next)) {
      connect(next);
      lowLinks.set(folder, Math.min(lowLinks.get(folder)!, lowLinks.get(next)!));
    } else if (onStack.has(next)) {
      lowLinks.set(folder, Math.min(lowLinks.get(folder)!, indices.get(next)!));
    }
  }
  if (lowLinks.get(folder) === indices.get(folder)) {
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== folder);
    if (component.length > 1) cycles.push(component.sort());
  }
}

for (const folder of edges.keys()) if (!indices.has(folder)) connect(folder);

if (cycles.length > 0) {
  for (const cycle of cycles) process.stderr.write(`folder cycle: ${cycle.join(' ⇄ ')}\n`);
  process.exit(1);
}
process.stdout.write(`no folder cycles (${edges.size} folders)\n`);

/**
 * Compiles src/ to dist/ for `npm start` and the Docker image (`npm run build`).
 *
 * Why compiled JavaScript rather than tsx at run time: `npm start` can then exec one plain node
 * process, which npm forwards SIGTERM/SIGINT to (with `tsx` the chain was npm → sh → tsx → node,
 * and sh, which npm signals, does not pass the signal on); the server starts without transpiling
 * every module; and the migrations load as compiled modules like the rest of the code.
 *
 * esbuild transpiles file by file (no bundling, so import paths and `import.meta.url` keep working:
 * dist/platform/http/views.js finds ../../../views as src/platform/http/views.ts does). It does not type-check; that is
 * `npm run typecheck`, kept separate so a type error elsewhere never stops a local `npm start`.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const sourceDir = path.join(root, 'src');
const outDir = path.join(root, 'dist');

await build({
  entryPoints: ['src/**/*.ts'],
  absWorkingDir: root,
  outdir: outDir,
  outbase: sourceDir,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Stack traces in logs point at the TypeScript lines when node runs with --enable-source-maps.
  sourcemap: true,
  logLevel: 'warning',
});

removeStaleOutput(outDir);

/**
 * Deletes output whose source is gone (a renamed or deleted module). Emptying dist/ before the
 * build would be simpler, but a second `npm start` (or a test) running at the same moment would
 * find it missing.
 */
function removeStaleOutput(directory: string): void {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const output = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      removeStaleOutput(output);
      if (readdirSync(output).length === 0) rmSync(output, { recursive: true });
      continue;
    }
    const source = path.join(sourceDir, path.relative(outDir, output)).replace(/\.js(\.map)?$/, '.ts');
    if (!existsSync(source)) rmSync(output);
  }
}

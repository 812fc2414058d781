/**
 * `npm run migration:create -- <Name> [--diff]`
 *
 * Writes src/platform/db/migrations/Migration<timestamp><Name>.ts and lists it in src/platform/db/migrations/index.ts
 * (migrations are listed there explicitly, so they run the same from tsx, the compiled build and tests).
 *
 * Gatehouse's migrations are hand-written SQL: the entities (EntitySchema) do not describe foreign
 * keys, check constraints or partial indexes, so MikroORM's schema diff proposes dropping all of them.
 * The file is therefore an empty migration to fill in. With --diff it also carries that diff (the
 * database, DATABASE_URL or the embedded cluster, migrated to the latest, against the entities) as
 * commented-out statements, handy for a new table or column: uncomment only what you mean.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';
import { openGatehouseDatabase as openDatabase } from '../src/modules/database.js';

const migrationsDir = path.resolve(import.meta.dirname, '../src/platform/db/migrations');
const indexFile = path.join(migrationsDir, 'index.ts');

const { positionals, values } = parseArgs({ allowPositionals: true, options: { diff: { type: 'boolean', default: false } } });
const name = positionals[0];
if (!name || positionals.length > 1 || !/^[A-Z][A-Za-z0-9]{0,60}$/.test(name)) {
  process.stderr.write('usage: npm run migration:create -- <Name> [--diff]   (Name in PascalCase, e.g. LoginAttemptIndexes)\n');
  process.exit(2);
}

try {
  const proposed = values.diff ? await schemaDiff(name) : { up: [], down: [] };
  const className = `Migration${nextTimestamp()}${name}`;
  const file = path.join(migrationsDir, `${className}.ts`);
  writeFileSync(file, migrationSource(className, proposed), { flag: 'wx' });
  registerMigration(className);
  process.stdout.write(`Created ${path.relative(process.cwd(), file)} and listed it in ${path.relative(process.cwd(), indexFile)}\n`);
  if (values.diff) process.stdout.write(`${proposed.up.length} statement(s) from the schema diff, commented out: review before uncommenting.\n`);
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

/** The up and down SQL MikroORM computes between the migrated database and the entities. */
async function schemaDiff(migrationName: string): Promise<{ up: string[]; down: string[] }> {
  const config = loadConfig();
  const { orm, embedded } = await openDatabase(config, createLogger('warn'));
  // MikroORM writes its own file (with its naming) as it computes the diff; it goes to a scratch directory.
  const scratch = mkdtempSync(path.join(tmpdir(), 'gatehouse-migration-'));
  try {
    const { diff } = await orm.getMigrator().createMigration(scratch, false, false, migrationName);
    return { up: diff.up.filter(Boolean), down: diff.down.filter(Boolean) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await orm.close(true);
    await embedded?.stop();
  }
}

/**
 * UTC yyyyMMddHHmmss, and always after the newest committed migration: migrations run in list order
 * and are recorded by name, so a clock behind the last timestamp must not produce one that sorts first.
 */
function nextTimestamp(): string {
  const format = (date: Date) => date.toISOString().replace(/\D/g, '').slice(0, 14);
  const newest = readdirSync(migrationsDir)
    .map((file) => /^Migration(\d{14})/.exec(file)?.[1])
    .filter((stamp): stamp is string => Boolean(stamp))
    .sort()
    .at(-1);
  const now = format(new Date());
  if (!newest || now > newest) return now;
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(newest)!.map(Number);
  return format(new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s! + 1)));
}

function migrationSource(className: string, proposed: { up: string[]; down: string[] }): string {
  // A block comment, not line comments: a statement from the diff may span several lines.
  const body = (statements: string[]) =>
    statements.length === 0
      ? '    // this.addSql(`...`);'
      : [
          '    /* Proposed by the schema diff (npm run migration:create -- --diff); keep only what you mean:',
          ...statements.map((statement) => `    this.addSql(\`${statement.replace(/[`$\\]/g, '\\$&').replaceAll('*/', '* /')}\`);`),
          '    */',
        ].join('\n');
  return `import { Migration } from '@mikro-orm/migrations';

/**
 * TODO: what this migration changes and why (the issue and section it comes from).
 */
export class ${className} extends Migration {
  override async up(): Promise<void> {
${body(proposed.up)}
  }

  override async down(): Promise<void> {
${body(proposed.down)}
  }
}
`;
}

/** Adds the import and the list entry after the last ones already in index.ts. */
function registerMigration(className: string): void {
  if (!existsSync(indexFile)) throw new Error(`${indexFile} not found`);
  const lines = readFileSync(indexFile, 'utf8').split('\n');
  const lastImport = lines.findLastIndex((line) => /^import \{ Migration\d{14}\w* \} from '\.\/Migration/.test(line));
  const listEnd = lines.findLastIndex((line) => line.trim() === '];');
  if (lastImport < 0 || listEnd < 0) throw new Error(`could not find where to list ${className} in ${indexFile}; add it by hand`);
  lines.splice(listEnd, 0, `  { name: '${className}', class: ${className} },`);
  lines.splice(lastImport + 1, 0, `import { ${className} } from './${className}.js';`);
  writeFileSync(indexFile, lines.join('\n'));
}

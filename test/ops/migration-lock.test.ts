import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.js';
import { applyMigrations, MIGRATION_LOCK_KEY } from '../../src/platform/db/orm.js';
import { connectGatehouseDatabase as connectDatabase } from '../../src/modules/database.js';
import { migrations } from '../../src/platform/db/migrations/index.js';
import { createLogger } from '../../src/platform/logger.js';
import { startGatehouse, type RunningGatehouse } from '../../src/server.js';
import { createTestDatabase, TEST_SECRET } from '../support/server.js';
import { freePort } from '../support/ports.js';

async function query<Row extends Record<string, unknown>>(databaseUrl: string, sql: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<Row>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe('migrations when several instances start at once', () => {
  it('applies each migration exactly once when three instances start together on a fresh database', async () => {
    const databaseUrl = await createTestDatabase();
    const boot = async () => {
      const port = await freePort();
      const env = {
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        ISSUER: `http://localhost:${port}`,
        DATABASE_URL: databaseUrl,
        GATEHOUSE_SECRET: TEST_SECRET,
        LOG_LEVEL: 'silent',
        DATABASE_POOL_MAX: '3',
      };
      return startGatehouse(loadConfig(env), createLogger('silent'));
    };
    const results = await Promise.allSettled([boot(), boot(), boot()]);
    const started = results.filter((result): result is PromiseFulfilledResult<RunningGatehouse> => result.status === 'fulfilled').map((result) => result.value);
    try {
      expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
      for (const instance of started) expect((await fetch(`${instance.url}/healthz`)).status).toBe(200);

      const applied = await query<{ name: string; times: number }>(
        databaseUrl,
        'select name, count(*)::int as times from mikro_orm_migrations group by name order by name',
      );
      expect(applied).toEqual(migrations.map((migration) => ({ name: migration.name, times: 1 })).sort((a, b) => a.name.localeCompare(b.name)));
    } finally {
      await Promise.all(started.map((instance) => instance.stop()));
    }
  });

  it('waits while another instance holds the migration lock, then finds the work done', async () => {
    const databaseUrl = await createTestDatabase();
    const holder = new pg.Client({ connectionString: databaseUrl });
    await holder.connect();
    await holder.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const orm = await connectDatabase(databaseUrl, 1);
    try {
      let finished = false;
      // A pool of one connection: the lock's own connection must not be taken from it.
      const applying = applyMigrations(orm).then(() => (finished = true));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(finished).toBe(false);
      expect(await query(databaseUrl, "select 1 from pg_tables where tablename = 'mikro_orm_migrations'")).toHaveLength(0);

      await holder.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await applying;
      expect(await query(databaseUrl, 'select name from mikro_orm_migrations')).toHaveLength(migrations.length);
      // The lock is released afterwards: the next start-up does not wait.
      expect(
        await query(
          databaseUrl,
          "select 1 from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
        ),
      ).toHaveLength(0);
    } finally {
      await holder.end();
      await orm.close(true);
    }
  });
});

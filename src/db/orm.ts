import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from '../logger.js';
import { entities } from './entities.js';
import { migrations } from './migrations/index.js';

export type Orm = MikroORM;

export function ormOptions(databaseUrl: string, poolMax = 10, logger?: Logger): Options {
  return {
    // MikroORM's own output (migrator progress) goes to the structured log, not stdout.
    logger: (message) => logger?.debug({ orm: message }, 'mikro-orm'),
    clientUrl: databaseUrl,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: poolMax },
    discovery: { warnWhenNoEntities: false },
    // Entities are EntitySchema definitions; no decorators or reflection needed.
    ensureDatabase: false,
    allowGlobalContext: false,
    migrations: {
      migrationsList: migrations,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
  };
}

export async function connectDatabase(databaseUrl: string, poolMax: number, logger?: Logger): Promise<Orm> {
  return MikroORM.init(ormOptions(databaseUrl, poolMax, logger));
}

/** Applies committed migrations; schema is never synchronised from entities at boot. */
export async function applyMigrations(orm: Orm, logger?: Logger): Promise<void> {
  const applied = await orm.getMigrator().up();
  if (applied.length > 0) logger?.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
}

import { AsyncLocalStorage } from 'node:async_hooks';
import { MikroORM, UniqueConstraintViolationException, type EntityManager, type EntitySchema, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';
import { migrations } from './migrations/index.js';
import { usePreparedStatements } from './prepared.js';

export type Orm = MikroORM;

/** The entities of every module; assembled in src/modules/entities.ts, never listed here. */
export type EntityList = ReadonlyArray<EntitySchema<any, any>>;

export function ormOptions(databaseUrl: string, entities: EntityList, poolMax = 10, logger?: Logger, replicaUrl?: string): Options {
  return {
    // MikroORM's own output (migrator progress) goes to the structured log, not stdout.
    logger: (message) => logger?.debug({ orm: message }, 'mikro-orm'),
    clientUrl: databaseUrl,
    // DATABASE_REPLICA_URL: MikroORM's read connection (`em.getConnection('read')`, pool settings as
    // below). Nothing reads there unless it asks: every read stays on the primary by default, and
    // src/platform/db/read-replica.ts alone decides when a read-mostly path may use the replica.
    replicas: replicaUrl ? [{ name: 'read-replica', clientUrl: replicaUrl }] : [],
    preferReadReplicas: false,
    entities: [...entities],
    extensions: [Migrator],
    // A database that stops answering (rather than refusing) must turn into a 503 within seconds, not knex's 60 s.
    pool: { min: 0, max: poolMax, acquireTimeoutMillis: 5000 },
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

export async function connectDatabase(databaseUrl: string, entities: EntityList, poolMax: number, logger?: Logger, replicaUrl?: string): Promise<Orm> {
  return MikroORM.init(ormOptions(databaseUrl, entities, poolMax, logger, replicaUrl));
}

/**
 * Key of the advisory lock that serialises migrations across instances (the bytes of
 * "gatehous" as a signed 64-bit integer; any constant works as long as every instance uses it).
 */
export const MIGRATION_LOCK_KEY = '7449363237540164979';

/** The node-postgres client knex hands out from `acquireRawConnection()` (typed `any` by knex). */
interface RawConnection {
  query(sql: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/**
 * Applies committed migrations; schema is never synchronised from entities at boot.
 *
 * Instances starting together against a fresh database would otherwise race: MikroORM checks for
 * its migrations table and creates it outside any transaction, and each instance would try to apply
 * the same migrations. A PostgreSQL advisory lock makes the check-and-apply one critical section.
 * The lock lives on a connection of its own, outside the pool, so it cannot starve the migrator
 * of connections (the pool may hold a single one) and is released by PostgreSQL itself if this
 * process dies while holding it.
 */
export async function applyMigrations(orm: Orm, logger?: Logger): Promise<void> {
  const client = orm.em.getConnection().getKnex().client;
  const lockConnection = (await client.acquireRawConnection()) as RawConnection;
  try {
    // A transaction-scoped lock held by an open transaction: PgBouncer in transaction pooling keeps
    // that transaction on one server connection, where a session lock would stay behind on a
    // pooled connection after its statement (issue 14 item 6).
    await lockConnection.query('begin');
    const { rows } = await lockConnection.query('select pg_try_advisory_xact_lock($1) as locked', [MIGRATION_LOCK_KEY]);
    if (!rows[0]?.locked) {
      logger?.info('another instance is applying migrations; waiting for it');
      await lockConnection.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    }
    try {
      const applied = await orm.getMigrator().up();
      if (applied.length > 0) logger?.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
    } finally {
      // Ending the session below releases the lock as well, so a failed commit must not hide a migration error.
      await lockConnection.query('commit').catch(() => undefined);
    }
  } finally {
    await client.destroyRawConnection(lockConnection);
  }
}

/** Connects to DATABASE_URL, or starts the embedded PostgreSQL when none is configured, and migrates. */
export async function openDatabase(config: Config, entities: EntityList, logger: Logger): Promise<{ orm: Orm; embedded?: EmbeddedDatabase }> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.dataDir,
      port: config.embeddedPgPort,
      password: config.secret.slice(0, 32),
      logger,
    });
    url = embedded.url;
    logger.info({ dataDir: config.dataDir, port: config.embeddedPgPort }, 'embedded PostgreSQL started');
  }
  let orm: Orm | undefined;
  try {
    orm = await connectDatabase(url, entities, config.databasePoolMax, logger, config.databaseReplica?.url);
    usePreparedStatements(orm.em as EntityManager, config.databasePreparedStatements);
    await applyMigrations(orm, logger);
    return { orm, embedded };
  } catch (error) {
    // Open pool connections (and the embedded cluster) would keep a failed start-up from exiting.
    await orm?.close(true).catch(() => undefined);
    await embedded?.stop();
    throw error;
  }
}

/** A request's unit of work: its EntityManager, forked the first time a service asks for one. */
interface UnitOfWork {
  orm: Orm;
  em?: EntityManager;
}

const unitsOfWork = new AsyncLocalStorage<UnitOfWork>();

/**
 * Runs a request as one unit of work (app.ts, around every API route and provider path): every
 * service it calls shares one EntityManager (one identity map, one flush). The fork is made on
 * first use, not up front: requests that never touch an entity (a client-credentials token, user
 * info's prepared read) skip it, and MikroORM's fork rewrites its configuration, `process.env`
 * included, twice each time (bench/ profile of scenario d).
 */
export function withUnitOfWork<T>(orm: Orm, work: () => Promise<T>): Promise<T> {
  return unitsOfWork.run({ orm }, work);
}

/**
 * The current request's EntityManager (withUnitOfWork). Outside a request (jobs, the CLI, router
 * set-up) there is none, and a detached one is returned.
 */
export function requestEntityManager(orm: Orm): EntityManager {
  const unit = unitsOfWork.getStore();
  if (!unit || unit.orm !== orm) return detachedEntityManager(orm);
  unit.em ??= detachedEntityManager(orm);
  return unit.em;
}

/**
 * An EntityManager of its own, for work that belongs to no one request: start-up, timers and
 * jobs, the CLI, caches every request shares (client metadata, API keys, signing keys), and writes
 * that outlive the request that set them off. Request code uses requestEntityManager. The only
 * place Gatehouse forks MikroORM's global EntityManager.
 */
export function detachedEntityManager(orm: Orm): EntityManager {
  return orm.em.fork() as EntityManager;
}

/**
 * The pool's connection, for statements that need neither an identity map nor the request's
 * transaction (readiness and outage checks, purges, caches refreshed in the background, the
 * adapter's rare statements, limiters' knex). MikroORM's connection is one per ORM: no fork.
 */
export function poolConnection(orm: Orm) {
  return (orm.em as EntityManager).getConnection();
}

/**
 * For statements that need a connection but no identity map (prepared reads): the request's
 * EntityManager if it was forked already, else the root one, which MikroORM resolves to the
 * current transaction's inside `em.transactional`. Never forks.
 */
export function connectionEntityManager(orm: Orm): EntityManager {
  const unit = unitsOfWork.getStore();
  return (unit?.orm === orm && unit.em) || (orm.em as EntityManager);
}

/**
 * Flushes, turning a unique-index violation into the caller's domain error: when two requests
 * race for one key (an e-mail, a name), the index decides, and the loser hears "taken".
 */
export async function flushOrConflict(em: EntityManager, conflict: (error: UniqueConstraintViolationException) => Error): Promise<void> {
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict(error);
    throw error;
  }
}

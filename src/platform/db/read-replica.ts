import { performance } from 'node:perf_hooks';
import type { ConnectionType, EntityManager, EventSubscriber, FlushEventArgs, TransactionEventArgs } from '@mikro-orm/postgresql';
import { Counter } from 'prom-client';
import type { Logger } from '../logger.js';
import { connectionEntityManager, poolConnection, requestEntityManager, type Orm } from './orm.js';
import { queryPrepared, queryPreparedOnReplica, type PreparedStatement } from './prepared.js';

/**
 * The one home of read-replica routing (DATABASE_REPLICA_URL, issue 14 item 6). Three read-mostly
 * paths may read a PostgreSQL streaming standby: user info, JWT introspection's revocation check and
 * SessionM search. Everything else, and these too whenever a rule below says so, reads the primary.
 *
 * - **Lag guard.** Every 200 ms at most (MAX_POLL_MS) the primary's flushed WAL position is sampled
 *   at time T, then the standby's replayed position is read. Once the standby has replayed a sample's position it holds
 *   every commit acknowledged before T (a commit is acknowledged only after its WAL is flushed), so
 *   it is "caught up to T". It may serve while `now − T ≤ DATABASE_REPLICA_MAX_LAG_MS` and its last
 *   poll succeeded; a paused, lagging, stopped or unreachable standby drops out within that bound,
 *   and a read that fails on it is answered from the primary.
 * - **Read-your-writes, on the node that wrote.** A write of what a read shows (a customer's rows,
 *   a revocation) is stamped with its commit time in a bounded, process-local record; the read goes
 *   to the primary until the standby is caught up past that stamp. Across nodes the guarantee is
 *   bounded staleness only (≤ max lag); routing a caller to one node (nginx `hash
 *   $http_authorization`, sticky sessions) extends read-your-writes to it.
 * - **Inside a transaction** a read always uses the primary (the transaction's own connection).
 */

/** The read-mostly paths, as the metric labels them. */
export type ReadMostlyPath = 'user_info' | 'introspection' | 'sessionm_search';

/** What a read shows, so that this node's writes of it keep the read on the primary until the standby has them. */
export type ReadDependency = { customerId: string } | 'any_customer' | 'revocations';

/** Why a read went where it went (metric label). */
type Route = 'caught_up' | 'in_transaction' | 'recent_write' | 'replica_lagging' | 'replica_unavailable' | 'replica_failed';

export interface ReadReplicaOptions {
  maxLagMs: number;
  logger: Logger;
  /**
   * The customer whose read-mostly reads a flushed entity changes, if any (src/modules/ knows the
   * entities; this layer does not). Writes outside the unit of work are noted with noteReplicatedWrite.
   */
  customerOfWrite(entityName: string, entity: object): string | undefined;
}

export interface ReadReplica {
  /** `gatehouse_db_read_mostly_reads_total{path, source, route}`, for the app's /metrics registry. */
  reads: Counter<'path' | 'source' | 'route'>;
  stop(): void;
}

/** Fast enough that a 500 ms bound leaves the standby usable most of the time; each poll is two one-row statements. */
const MAX_POLL_MS = 200;
/** Past this many stamps within one max-lag window, every dependent read goes to the primary for that window. */
const MAX_RECENT_WRITES = 100_000;
const MAX_LSN_SAMPLES = 1000;

const routings = new WeakMap<Orm, ReplicaRouting>();

/**
 * Starts routing for an ORM opened with a read replica (`ormOptions(…, replicaUrl)`): the lag guard's
 * poll (unref'd; stopped by stop()) and the write hook on the ORM's event manager.
 */
export function startReadReplica(orm: Orm, options: ReadReplicaOptions): ReadReplica {
  const routing = new ReplicaRouting(orm, options);
  routings.set(orm, routing);
  orm.em.getEventManager().registerSubscriber(writeRecorder(routing, options.customerOfWrite));
  routing.start();
  return {
    reads: routing.reads,
    stop() {
      routing.stop();
      routings.delete(orm);
    },
  };
}

/** A prepared read-mostly statement: on the standby when the rules allow, else as queryPrepared on the primary. */
export function queryPreparedReadMostly<Row>(
  orm: Orm,
  path: ReadMostlyPath,
  dependsOn: ReadDependency,
  statement: PreparedStatement,
  values: unknown[],
): Promise<Row[]> {
  return routed(orm, path, dependsOn, (onReplica) =>
    onReplica ? queryPreparedOnReplica<Row>(orm.em as EntityManager, statement, values) : queryPrepared<Row>(connectionEntityManager(orm), statement, values),
  );
}

/** Find options of a read-mostly entity read; pass them into every find of it. */
export interface ReadMostlyOptions {
  connectionType?: ConnectionType;
  disableIdentityMap?: boolean;
}

/**
 * Entity reads of a read-mostly path, in the request's unit of work. On the standby each find
 * gets `connectionType: 'read'` and `disableIdentityMap`: rows read there never join the unit of
 * work (a later flush could write stale values back), and no EntityManager is forked for them.
 */
export function findReadMostly<T>(
  orm: Orm,
  path: ReadMostlyPath,
  dependsOn: ReadDependency,
  read: (em: EntityManager, options: ReadMostlyOptions) => Promise<T>,
): Promise<T> {
  return routed(orm, path, dependsOn, (onReplica) => read(requestEntityManager(orm), onReplica ? { connectionType: 'read', disableIdentityMap: true } : {}));
}

/** For writes that bypass the unit of work (raw SQL): reads depending on them stay on the primary until the standby has them. */
export function noteReplicatedWrite(orm: Orm, written: ReadDependency): void {
  routings.get(orm)?.noteWrites([dependencyKey(written)]);
}

async function routed<T>(orm: Orm, path: ReadMostlyPath, dependsOn: ReadDependency, read: (onReplica: boolean) => Promise<T>): Promise<T> {
  const routing = routings.get(orm);
  if (!routing) return read(false);
  let route: Route = connectionEntityManager(orm).isInTransaction() ? 'in_transaction' : routing.choose(dependencyKey(dependsOn));
  if (route === 'caught_up') {
    try {
      const result = await read(true);
      routing.reads.inc({ path, source: 'replica', route });
      return result;
    } catch (error) {
      // The read is side-effect free, so the primary answers it instead (a stopped standby, a
      // recovery conflict, a pool timeout); the standby is out until its next successful poll.
      routing.replicaFailed(error);
      route = 'replica_failed';
    }
  }
  const result = await read(false);
  routing.reads.inc({ path, source: 'primary', route });
  return result;
}

const dependencyKey = (dependency: ReadDependency) => (typeof dependency === 'string' ? dependency : `customer:${dependency.customerId}`);

class ReplicaRouting {
  readonly reads = new Counter({
    name: 'gatehouse_db_read_mostly_reads_total',
    help: 'Reads of the read-mostly paths by where they were served (replica or primary) and why',
    labelNames: ['path', 'source', 'route'] as const,
    registers: [],
  });
  /** Monotonic time (performance.now()) up to which the standby holds every acknowledged commit. */
  private caughtUpTo = Number.NEGATIVE_INFINITY;
  private healthy = false;
  /** The last poll failed (logged once per outage). */
  private failing = false;
  private readonly samples: Array<{ at: number; lsn: bigint }> = [];
  private readonly recentWrites = new Map<string, number>();
  /** When the record of recent writes last overflowed: it then stands for every key. */
  private overflowedAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly pollMs: number;

  constructor(
    private readonly orm: Orm,
    private readonly options: ReadReplicaOptions,
  ) {
    // A bound below two polls would leave the standby unusable between them.
    this.pollMs = Math.max(20, Math.min(MAX_POLL_MS, Math.floor(options.maxLagMs / 2)));
  }

  start() {
    const tick = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.poll().finally(tick), this.pollMs);
      this.timer.unref();
    };
    void this.poll().finally(tick);
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.healthy = false;
  }

  choose(key: string): Route {
    const now = performance.now();
    if (!this.healthy) return 'replica_unavailable';
    if (now - this.caughtUpTo > this.options.maxLagMs) return 'replica_lagging';
    const writtenAt = Math.max(this.recentWrites.get(key) ?? Number.NEGATIVE_INFINITY, this.overflowedAt);
    return writtenAt >= this.caughtUpTo ? 'recent_write' : 'caught_up';
  }

  noteWrites(keys: Iterable<string>) {
    const now = performance.now();
    for (const key of keys) {
      // Re-inserted, so the map stays in stamp order and the oldest stamps come first.
      this.recentWrites.delete(key);
      this.recentWrites.set(key, now);
    }
    if (this.recentWrites.size <= MAX_RECENT_WRITES) return;
    // A stamp older than the bound is moot: a standby usable now is caught up past it.
    for (const [key, at] of this.recentWrites) {
      if (at >= now - this.options.maxLagMs) break;
      this.recentWrites.delete(key);
    }
    if (this.recentWrites.size > MAX_RECENT_WRITES) {
      this.recentWrites.clear();
      this.overflowedAt = now;
    }
  }

  replicaFailed(error: unknown) {
    if (this.healthy) this.options.logger.warn({ err: error }, 'read replica failed a read; reading the primary until it answers again');
    this.healthy = false;
  }

  private async poll() {
    if (this.stopped) return;
    try {
      const at = performance.now();
      const [primary] = await poolConnection(this.orm).execute<Array<{ lsn: string }>>('select pg_current_wal_flush_lsn()::text as lsn');
      this.samples.push({ at, lsn: parseLsn(primary!.lsn) });
      const [replica] = await this.orm.em.getConnection('read').execute<Array<{ lsn: string | null }>>('select pg_last_wal_replay_lsn()::text as lsn');
      if (!replica?.lsn) throw new Error('DATABASE_REPLICA_URL is not a standby in recovery (pg_last_wal_replay_lsn() is null)');
      const replayed = parseLsn(replica.lsn);
      while (this.samples[0] && this.samples[0].lsn <= replayed) this.caughtUpTo = this.samples.shift()!.at;
      // An unreplayed sample older than the bound could only ever vouch for a time past it.
      const oldest = performance.now() - this.options.maxLagMs;
      while (this.samples[0] && (this.samples[0].at < oldest || this.samples.length > MAX_LSN_SAMPLES)) this.samples.shift();
      if (!this.healthy) this.options.logger.info('read replica is streaming; read-mostly paths may use it');
      this.healthy = true;
      this.failing = false;
    } catch (error) {
      this.healthy = false;
      if (this.failing || this.stopped) return;
      this.failing = true;
      this.options.logger.warn({ err: error }, 'read replica lag check failed; read-mostly paths read the primary');
    }
  }
}

/** `X/Y`, two hexadecimal 32-bit halves of a 64-bit WAL position. */
export function parseLsn(lsn: string): bigint {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(lsn);
  if (!match) throw new Error(`not a WAL position: ${lsn}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/**
 * Stamps what each flush wrote. A flush outside a transaction has committed when afterFlush runs;
 * inside one, the commit comes later, so its keys are stamped again when the outermost transaction
 * commits (a stamp must not precede the commit, or a poll between the two could vouch for a standby
 * that lacks it). Stamping at the flush as well keeps reads on the primary meanwhile.
 */
function writeRecorder(routing: ReplicaRouting, customerOfWrite: ReadReplicaOptions['customerOfWrite']): EventSubscriber {
  const pending = new WeakMap<object, Set<string>>();
  return {
    afterFlush({ em, uow }: FlushEventArgs) {
      const keys = new Set<string>();
      for (const change of uow.getChangeSets()) {
        const customerId = customerOfWrite(change.meta.className, change.entity);
        if (customerId) keys.add(`customer:${customerId}`).add('any_customer');
      }
      if (keys.size === 0) return;
      routing.noteWrites(keys);
      const transaction = em.isInTransaction() ? outermost(em.getTransactionContext()) : undefined;
      if (!transaction) return;
      const waiting = pending.get(transaction) ?? new Set<string>();
      for (const key of keys) waiting.add(key);
      pending.set(transaction, waiting);
    },
    afterTransactionCommit({ transaction }: TransactionEventArgs) {
      const waiting = transaction && pending.get(transaction);
      if (!waiting) return;
      pending.delete(transaction);
      routing.noteWrites(waiting);
    },
    afterTransactionRollback({ transaction }: TransactionEventArgs) {
      if (transaction) pending.delete(transaction);
    },
  };
}

/** A savepoint's knex transaction names its enclosing one (`parentTransaction`); commit events come for the outermost. */
function outermost(transaction: unknown): object | undefined {
  let current = transaction as { parentTransaction?: unknown } | undefined;
  while (current?.parentTransaction) current = current.parentTransaction as { parentTransaction?: unknown };
  return current ?? undefined;
}

import { createHash } from 'node:crypto';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';

/**
 * A statement on a hot path (user info and ID-token claims, oidc-provider's model reads and writes,
 * the credential limiter, introspection's revocation check), written once with `?` placeholders.
 * Sent to PostgreSQL as a named prepared statement, it is parsed and planned once per connection
 * instead of on every request: planning cost four times the execution of the customer read
 * (bench/ scenario d, pg_stat_statements), and knex's query building as much again on the Node side.
 */
export interface PreparedStatement {
  readonly name: string;
  /** With `?` placeholders, for knex inside a transaction. */
  readonly knexText: string;
  /** With `$1`, `$2`, … for node-postgres. */
  readonly text: string;
}

/** Declares a prepared statement; the name must be unique in the process (node-postgres keys statements by it). */
export function preparedStatement(name: string, sql: string): PreparedStatement {
  let position = 0;
  return { name: `gatehouse_${name}`, knexText: sql, text: sql.replace(/\?/g, () => `$${++position}`) };
}

/** The node-postgres client knex hands out from its pool (typed `any` by knex). */
interface PooledClient {
  query<Row>(query: { name?: string; text: string; values: unknown[] }): Promise<{ rows: Row[] }>;
}

interface KnexPoolClient {
  acquireConnection(): Promise<PooledClient>;
  releaseConnection(connection: PooledClient): Promise<void>;
}

/**
 * Connections whose pooler cannot keep a named statement (PgBouncer 1.18 in transaction pooling
 * hands each transaction whichever server connection is free, and only 1.21+ tracks statements):
 * there the same reads go as unnamed statements, parsed each time but still without knex.
 */
const unnamedOnly = new WeakSet<object>();

/** For the primary's pool and the read replica's (the same pooler usually fronts both). */
export function usePreparedStatements(em: EntityManager, enabled: boolean): void {
  for (const type of ['write', 'read'] as const) {
    const client = em.getConnection(type).getKnex().client as object;
    if (enabled) unnamedOnly.delete(client);
    else unnamedOnly.add(client);
  }
}

/**
 * Runs a prepared statement on one pooled connection. Inside a transaction it runs on the
 * transaction's connection instead (through knex), so the flow reads its own uncommitted writes.
 */
export async function queryPrepared<Row>(em: EntityManager, statement: PreparedStatement, values: unknown[]): Promise<Row[]> {
  if (em.isInTransaction()) return em.getConnection().execute<Row[]>(statement.knexText, values, 'all', em.getTransactionContext());
  return queryPreparedOnPool(em, statement, values);
}

/**
 * What PostgreSQL answers when a pooler moved the session under a named statement: the statement
 * is missing on the server connection now serving (26000 invalid_sql_statement_name), or another
 * client's statement of that name is there already (42P05 duplicate_prepared_statement). Either
 * fails before anything executes, so the statement can be sent again, unnamed.
 */
const POOLER_MOVED_SESSION = new Set(['26000', '42P05']);

/** Runs a prepared statement on a pooled connection of its own, whatever unit of work is current (oidc-provider's adapter). */
export function queryPreparedOnPool<Row>(em: EntityManager, statement: PreparedStatement, values: unknown[]): Promise<Row[]> {
  return runOnPool<Row>(em.getConnection().getKnex().client as KnexPoolClient, statement, values);
}

/**
 * Runs a prepared statement on a pooled connection of the read replica (DATABASE_REPLICA_URL),
 * never in a transaction; src/platform/db/read-replica.ts decides when a read may go there.
 */
export function queryPreparedOnReplica<Row>(em: EntityManager, statement: PreparedStatement, values: unknown[]): Promise<Row[]> {
  return runOnPool<Row>(em.getConnection('read').getKnex().client as KnexPoolClient, statement, values);
}

/** Statements prepared by their text (queryPreparedText), up to a bound: past it, text is sent unnamed. */
const statementsByText = new Map<string, PreparedStatement>();
const MAX_STATEMENTS_BY_TEXT = 256;

/**
 * Runs SQL built at run time from a handful of shapes (the credential limiter's upserts and
 * settlements) as a prepared statement named after its text, on a pooled connection of its own.
 */
export function queryPreparedText<Row>(knex: Knex, sql: string, bindings: unknown[]): Promise<Row[]> {
  let statement = statementsByText.get(sql);
  if (!statement) {
    statement = preparedStatement(`text_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`, sql);
    if (statementsByText.size < MAX_STATEMENTS_BY_TEXT) statementsByText.set(sql, statement);
    else statement = { ...statement, name: '' };
  }
  return runOnPool<Row>(knex.client as KnexPoolClient, statement, bindings);
}

async function runOnPool<Row>(client: KnexPoolClient, statement: PreparedStatement, values: unknown[]): Promise<Row[]> {
  const connection = await client.acquireConnection();
  try {
    if (unnamedOnly.has(client) || !statement.name) return (await connection.query<Row>({ text: statement.text, values })).rows;
    try {
      return (await connection.query<Row>({ name: statement.name, text: statement.text, values })).rows;
    } catch (error) {
      if (!POOLER_MOVED_SESSION.has((error as { code?: string }).code ?? '')) throw error;
      // A transaction-pooling PgBouncer (< 1.21) with DATABASE_PREPARED_STATEMENTS left on: from
      // now on this pool sends its statements unnamed.
      unnamedOnly.add(client);
      return (await connection.query<Row>({ text: statement.text, values })).rows;
    }
  } finally {
    await client.releaseConnection(connection);
  }
}

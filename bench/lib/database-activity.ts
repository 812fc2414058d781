import pg from 'pg';

export interface DatabaseActivity {
  transactions: number;
  rowsRead: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
  /** Calls and time (ms) per statement text (pg_stat_statements), BEGIN/COMMIT included. */
  statements: Map<string, { calls: number; planMs: number; execMs: number }>;
}

export interface DatabaseActivityPerRequest {
  transactions: number;
  rowsRead: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
  /** Every statement the server sent, per request: round trips to PostgreSQL. */
  statements: number;
  /** The statements behind that figure, most frequent first: calls per request, mean planning and execution time (ms), normalised text. */
  topStatements: Array<{ perRequest: number; planMs: number; execMs: number; query: string }>;
}

/** The bench's own queries, left out of the counts. */
const OWN_QUERY = /pg_stat_statements|pg_stat_database|pg_stat_clear_snapshot/;

/**
 * What the database did during a measurement, from PostgreSQL's own counters for one database:
 * pg_stat_database (transactions, rows) and pg_stat_statements (every statement, normalised).
 * Every committed transaction is a WAL flush (fsync) when it wrote something, so transactions per
 * request is the first thing to look at for write-heavy scenarios. Busy backends publish their
 * pg_stat_database counters about once a second, so those figures are approximate; the statement
 * counts are exact up to the requests in flight at either end of the window.
 */
export class DatabaseCounters {
  private constructor(
    private readonly client: pg.Client,
    private readonly statementsAvailable: boolean,
  ) {}

  static async connect(databaseUrl: string): Promise<DatabaseCounters> {
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('error', () => {}); // the cluster stopping at the end is not an error here
    await client.connect();
    const available = await client
      .query(`select 1 from pg_extension where extname = 'pg_stat_statements'`)
      .then((result) => result.rowCount === 1)
      .catch(() => false);
    return new DatabaseCounters(client, available);
  }

  async read(): Promise<DatabaseActivity> {
    await this.client.query('select pg_stat_clear_snapshot()');
    const { rows } = await this.client.query<Record<string, string>>(
      `select xact_commit, tup_returned + tup_fetched as rows_read, tup_inserted, tup_updated, tup_deleted
         from pg_stat_database where datname = current_database()`,
    );
    const statements: DatabaseActivity['statements'] = new Map();
    if (this.statementsAvailable) {
      const result = await this.client.query<{ query: string; calls: string; plan_ms: string; exec_ms: string }>(
        `select query, sum(calls) as calls, sum(total_plan_time) as plan_ms, sum(total_exec_time) as exec_ms from pg_stat_statements
          where dbid = (select oid from pg_database where datname = current_database()) group by query`,
      );
      for (const row of result.rows) {
        if (!OWN_QUERY.test(row.query)) statements.set(row.query, { calls: Number(row.calls), planMs: Number(row.plan_ms), execMs: Number(row.exec_ms) });
      }
    }
    const row = rows[0]!;
    return {
      transactions: Number(row.xact_commit),
      rowsRead: Number(row.rows_read),
      rowsInserted: Number(row.tup_inserted),
      rowsUpdated: Number(row.tup_updated),
      rowsDeleted: Number(row.tup_deleted),
      statements,
    };
  }

  /** Per-request averages between two readings (this connection's own queries left out). */
  static perRequest(before: DatabaseActivity, after: DatabaseActivity, requests: number): DatabaseActivityPerRequest {
    const round = (value: number) => Math.round(value * 100) / 100;
    const per = (key: 'transactions' | 'rowsRead' | 'rowsInserted' | 'rowsUpdated' | 'rowsDeleted', own = 0) =>
      round((after[key] - before[key] - own) / Math.max(1, requests));
    const calls: DatabaseActivityPerRequest['topStatements'] = [];
    let total = 0;
    for (const [query, now] of after.statements) {
      const then = before.statements.get(query) ?? { calls: 0, planMs: 0, execMs: 0 };
      const made = now.calls - then.calls;
      if (made <= 0) continue;
      total += made;
      calls.push({
        perRequest: round(made / Math.max(1, requests)),
        planMs: Math.round(((now.planMs - then.planMs) / made) * 1000) / 1000,
        execMs: Math.round(((now.execMs - then.execMs) / made) * 1000) / 1000,
        query: query.replace(/\s+/g, ' ').slice(0, 140),
      });
    }
    calls.sort((a, b) => b.perRequest - a.perRequest);
    return {
      transactions: per('transactions', 3),
      rowsRead: per('rowsRead'),
      rowsInserted: per('rowsInserted'),
      rowsUpdated: per('rowsUpdated'),
      rowsDeleted: per('rowsDeleted'),
      statements: round(total / Math.max(1, requests)),
      topStatements: calls.filter((call) => call.perRequest >= 0.01).slice(0, 12),
    };
  }

  close() {
    return this.client.end();
  }
}

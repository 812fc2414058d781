import pg from 'pg';

export interface DatabaseActivity {
  transactions: number;
  rowsRead: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
}

/**
 * What the database did during a measurement, from PostgreSQL's own counters for the bench
 * database (pg_stat_database). Every committed transaction is a WAL flush (fsync) when it wrote
 * something, so transactions per request is the first thing to look at for write-heavy scenarios.
 * Busy backends publish their counters about once a second, so both readings lag by up to that
 * much; over a measurement of several seconds the two lags roughly cancel (approximate figures).
 */
export class DatabaseCounters {
  private constructor(private readonly client: pg.Client) {}

  static async connect(databaseUrl: string): Promise<DatabaseCounters> {
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('error', () => {}); // the cluster stopping at the end is not an error here
    await client.connect();
    return new DatabaseCounters(client);
  }

  async read(): Promise<DatabaseActivity> {
    await this.client.query('select pg_stat_clear_snapshot()');
    const { rows } = await this.client.query<Record<string, string>>(
      `select xact_commit, tup_returned + tup_fetched as rows_read, tup_inserted, tup_updated, tup_deleted
         from pg_stat_database where datname = current_database()`,
    );
    const row = rows[0]!;
    return {
      transactions: Number(row.xact_commit),
      rowsRead: Number(row.rows_read),
      rowsInserted: Number(row.tup_inserted),
      rowsUpdated: Number(row.tup_updated),
      rowsDeleted: Number(row.tup_deleted),
    };
  }

  /** Per-request averages between two readings (this connection's own two queries left out). */
  static perRequest(before: DatabaseActivity, after: DatabaseActivity, requests: number): DatabaseActivity {
    const per = (key: keyof DatabaseActivity, own = 0) => Math.round(((after[key] - before[key] - own) / Math.max(1, requests)) * 100) / 100;
    return {
      transactions: per('transactions', 2),
      rowsRead: per('rowsRead'),
      rowsInserted: per('rowsInserted'),
      rowsUpdated: per('rowsUpdated'),
      rowsDeleted: per('rowsDeleted'),
    };
  }

  close() {
    return this.client.end();
  }
}

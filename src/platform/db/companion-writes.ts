/**
 * A write of another table to run in the same statement as the caller's own (the sign-in
 * pipeline's login-attempt record beside a limiter settlement): one round trip and one commit
 * instead of two (issue 14 item 2). `sql` is a single INSERT/UPDATE/DELETE with `?` placeholders.
 */
export interface CompanionWrite {
  sql: string;
  bindings: unknown[];
}

/** Data-modifying common table expressions (`name as (insert … )`) and their bindings, in order. */
export interface StatementParts {
  ctes: string[];
  bindings: unknown[];
}

/**
 * Writes one layer hands to another, to be carried by that layer's next statement as leading
 * CTEs: a limiter's settlement rides in the statement that stores the tokens it let through, so a
 * login commits its attempt record, its counters and its tokens together. PostgreSQL runs every
 * data-modifying CTE exactly once, whether or not the main statement reads it (SQL WITH, "Data-
 * Modifying Statements in WITH").
 *
 * Exactly one of two things happens: a statement `claim`s the parts (and with it owns their
 * fate: its failure rolls them back too), or `runAlone` runs them by themselves, for the paths
 * where no such statement came (an error before the tokens were stored).
 */
export class DeferredWrite {
  #done = false;

  constructor(
    private readonly parts: StatementParts,
    private readonly run: () => Promise<void>,
  ) {}

  /** The parts for a statement that will run them; undefined once claimed or run. */
  claim(): StatementParts | undefined {
    if (this.#done) return undefined;
    this.#done = true;
    return this.parts;
  }

  /** Runs the write on its own unless a statement claimed it. */
  async runAlone(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.run();
  }
}

/** `with <parts> <main>`: the main statement preceded by the claimed CTEs (none: the main statement as it is). */
export function withLeadingWrites(parts: StatementParts | undefined, main: { sql: string; bindings: unknown[] }): { sql: string; bindings: unknown[] } {
  if (!parts?.ctes.length) return main;
  return { sql: `with ${parts.ctes.join(', ')} ${main.sql}`, bindings: [...parts.bindings, ...main.bindings] };
}

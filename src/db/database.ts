/**
 * The only door to SQL: a query, a transaction, a COPY-in and a read-only
 * cursor. Everything else in the program talks to this interface, so a second
 * engine (an embedded one) can be added beside the postgres.js one without
 * touching the rest.
 *
 * Two engines implement it: a PostgreSQL server through postgres.js
 * (`postgres.ts`) and the embedded PGlite (`pglite.ts`). Both keep one value
 * contract, for `query` and `cursor` alike (tests/db/value_contract_test.ts
 * runs it on each):
 *
 * | column type                    | JavaScript value                                    |
 * | ------------------------------ | --------------------------------------------------- |
 * | `smallint`, `integer`, `float` | `number`                                            |
 * | `bigint`, `numeric`            | decimal `string`, exact (never a rounded number)    |
 * | `date`                         | `YYYY-MM-DD` `string` (no time zone dragged in)     |
 * | `timestamptz`                  | `Date`                                              |
 * | `boolean`, `text`, `json(b)`   | `boolean`, `string`, parsed value                   |
 * | arrays                         | arrays of the element's value (`bigint[]`: strings) |
 * | `NULL`                         | `null`                                              |
 *
 * Parameters go as text: pass a `bigint` or a date as its string.
 *
 * Where the engines differ, by design or by nature: the embedded engine is
 * one session (queries and transactions take turns, in order; `ping` does
 * not queue behind them), takes COPY through `/dev/blob` in blobs of a few
 * MB inside the caller's transaction, does not enforce `statement_timeout`,
 * and is held by one process at a time (`embedded_lock.ts`).
 *
 * @module
 */

/** Something that runs parameterised SQL. */
export interface Queryable {
  /** Run `text` with `$1..$n` bound to `params`; returns the rows. */
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Run `text` and return how many rows it affected (the command tag's count). */
  execute(text: string, params?: readonly unknown[]): Promise<number>;
}

/** A transaction: queries plus a streaming COPY into a table. */
export interface Transaction extends Queryable {
  /**
   * Run `COPY ... FROM STDIN` (`text`) fed with `chunks` (COPY text format),
   * honouring back-pressure so memory stays flat.
   */
  copyIn(text: string, chunks: AsyncIterable<string | Uint8Array>): Promise<void>;
  /**
   * Run `fn` under a savepoint: if it throws, only its own work is rolled
   * back and the error is rethrown; the transaction goes on.
   */
  savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
}

/** A database. */
export interface Database extends Queryable {
  /** Run `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Stream the rows of one `SELECT` (`text`, `$1..$n` bound to `params`) in
   * batches, through a server-side cursor inside a read-only transaction of
   * its own (`BEGIN READ ONLY`: one snapshot for the whole read, and a
   * statement that would write fails).
   *
   * The contract:
   * - nothing is sent until iteration starts; each iteration is a new read;
   * - every batch holds 1 to `batchSize` rows (a positive integer); an empty
   *   result yields no batch at all;
   * - back-pressure: the next batch is asked of the server only once the
   *   consumer has taken the last one (at most one batch is read ahead), so
   *   memory stays flat whatever the size of the result;
   * - values are what {@linkcode Queryable.query} returns for the same
   *   columns: `text` as strings, `bigint` as decimal strings (exact, never a
   *   rounded JS number), `integer` as numbers, `date` as `YYYY-MM-DD`
   *   strings, `NULL` as `null`;
   * - a failure (the server's error, a dropped connection, a cancel) rejects
   *   the pending `next()` with it ({@linkcode DatabaseError} for the
   *   server's): a read cut short never ends as if complete;
   * - leaving the loop early (`break`, a throw) closes the cursor and ends the
   *   transaction before the loop's exit completes;
   * - one connection of the pool is held for the whole read, and the
   *   statement counts against `statement_timeout` from its first batch to
   *   its last, the consumer's time included.
   */
  cursor<T = Record<string, unknown>>(
    text: string,
    params: readonly unknown[],
    batchSize: number,
  ): AsyncIterable<T[]>;
  /**
   * Prove the database answers within `timeoutMs`, on a connection of its own
   * (readiness must not wait behind a busy pool). Rejects with the reason.
   */
  ping(timeoutMs: number): Promise<void>;
  /**
   * Close every connection, waiting up to `timeoutSeconds` (default 5) for
   * queries in flight; with 0, statements in flight are cancelled on the server.
   */
  close(opts?: { timeoutSeconds?: number }): Promise<void>;
}

/**
 * An error reported by the database server, carrying its fields (as
 * postgres.js's `PostgresError` does) so callers can branch on `code`.
 */
export class DatabaseError extends Error {
  /** SQLSTATE, e.g. `23505`. */
  readonly code: string;
  /** Server detail, if any. */
  readonly detail?: string;
  /** Server hint, if any. */
  readonly hint?: string;
  /** Table, if the server named one. */
  readonly table?: string;
  /** Constraint, if the server named one. */
  readonly constraint?: string;

  /** Build the error. */
  constructor(
    message: string,
    fields: { code: string; detail?: string; hint?: string; table?: string; constraint?: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "DatabaseError";
    this.code = fields.code;
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.table = fields.table;
    this.constraint = fields.constraint;
  }
}

/**
 * A COPY the server refused without the driver saying why (SQLSTATE 25P02:
 * the transaction is aborted). Callers roll back to a savepoint and retry in a
 * way that reports the real cause.
 */
export class CopyRejectedError extends DatabaseError {
  /** Build the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, { code: "25P02" }, options);
    this.name = "CopyRejectedError";
  }
}

/**
 * Quote an SQL identifier (`my"schema` → `"my""schema"`). Config already
 * restricts names to plain identifiers; quoting is the second guard.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes("\u0000")) {
    throw new Error(`invalid SQL identifier ${JSON.stringify(name)}`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

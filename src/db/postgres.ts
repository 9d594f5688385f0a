/**
 * {@linkcode Database} on PostgreSQL through postgres.js.
 *
 * @module
 */
import postgres from "postgres";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { DatabaseConfig } from "../config/schema.ts";
import { type Database, DatabaseError, type Queryable, type Transaction } from "./database.ts";

// deno-lint-ignore ban-types
type Types = {};
type Sql = postgres.Sql<Types>;
type TxSql = postgres.TransactionSql<Types>;

/** Turn a postgres.js server error into a {@linkcode DatabaseError}; other errors pass through. */
export function toDatabaseError(e: unknown): unknown {
  if (e instanceof postgres.PostgresError) {
    return new DatabaseError(e.message, {
      code: e.code,
      detail: e.detail,
      hint: e.hint,
      table: e.table_name,
      constraint: e.constraint_name,
    }, { cause: e });
  }
  return e;
}

async function run(sql: Sql | TxSql, text: string, params: readonly unknown[] = []) {
  try {
    // deno-lint-ignore no-explicit-any
    return await sql.unsafe(text, params as any[]);
  } catch (e) {
    throw toDatabaseError(e);
  }
}

async function rows<T>(sql: Sql | TxSql, text: string, params?: readonly unknown[]): Promise<T[]> {
  return [...await run(sql, text, params)] as T[];
}

async function count(sql: Sql | TxSql, text: string, params?: readonly unknown[]): Promise<number> {
  return (await run(sql, text, params)).count ?? 0;
}

class PgTransaction implements Transaction {
  readonly #tx: TxSql;
  constructor(tx: TxSql) {
    this.#tx = tx;
  }
  query<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
    return rows<T>(this.#tx, text, params);
  }
  execute(text: string, params?: readonly unknown[]): Promise<number> {
    return count(this.#tx, text, params);
  }
  async savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    try {
      return await this.#tx.savepoint((sp) => fn(new PgTransaction(sp))) as T;
    } catch (e) {
      throw toDatabaseError(e);
    }
  }
  async copyIn(text: string, chunks: AsyncIterable<string | Uint8Array>): Promise<void> {
    // postgres.js 3.4.9 never settles a COPY that the server rejects after the
    // last chunk was sent (the writable's final callback waits for a
    // CommandComplete that does not come), so callers COPY only into
    // constraint-free staging tables, where the server has nothing to reject.
    try {
      const writable = await this.#tx.unsafe(text).writable();
      await pipeline(Readable.from(chunks, { objectMode: false }), writable);
    } catch (e) {
      throw toDatabaseError(e);
    }
  }
}

/** Options for {@linkcode connectPostgres}. */
export interface ConnectOptions {
  /** Connection settings. */
  config: DatabaseConfig;
  /** `application_name` reported to the server. */
  applicationName?: string;
}

/** Open a connection pool. Nothing is sent to the server until the first query. */
export function connectPostgres(opts: ConnectOptions): Database & Queryable {
  const c = opts.config;
  const common = {
    max: c.maxConnections,
    connect_timeout: c.connectTimeoutSeconds,
    idle_timeout: 60,
    onnotice: () => {},
    connection: { application_name: opts.applicationName ?? "tec-pipeline" },
    // Dates stay `YYYY-MM-DD` strings: a JS Date would drag a time zone in.
    types: {
      date: {
        to: 1082,
        from: [1082],
        serialize: (x: unknown) => String(x),
        parse: (x: string) => x,
      },
    },
  };
  const sql = (c.url ? postgres(c.url.reveal(), common) : postgres({
    ...common,
    host: c.host,
    port: c.port,
    database: c.name,
    username: c.user,
    password: c.password?.reveal(),
  })) as unknown as Sql;
  return {
    query<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
      return rows<T>(sql, text, params);
    },
    execute(text: string, params?: readonly unknown[]): Promise<number> {
      return count(sql, text, params);
    },
    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      try {
        return await sql.begin((tx) => fn(new PgTransaction(tx))) as T;
      } catch (e) {
        throw toDatabaseError(e);
      }
    },
    close(o?: { timeoutSeconds?: number }): Promise<void> {
      return sql.end({ timeout: o?.timeoutSeconds ?? 5 });
    },
  };
}

/**
 * {@linkcode Database} on PostgreSQL through postgres.js.
 *
 * @module
 */
import postgres from "postgres";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { DatabaseConfig } from "../config/schema.ts";
import {
  CopyRejectedError,
  type Database,
  DatabaseError,
  type Queryable,
  type Transaction,
} from "./database.ts";

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
    try {
      const writable = await this.#tx.unsafe(text).writable();
      // postgres.js 3.4.9 settles nothing when the server rejects a COPY after
      // the last chunk went out (a unique violation found at the end, say): the
      // writable's final callback waits for a CommandComplete that never comes.
      // So note when the final callback starts, and then ask the server, with
      // a query queued behind the COPY, whether the transaction survived.
      const finalStarted = Promise.withResolvers<void>();
      const w = writable as unknown as { _final: (cb: (e?: Error) => void) => void };
      const final = w._final;
      w._final = function (this: unknown, cb) {
        final.call(this, cb);
        finalStarted.resolve();
      };
      const piped = pipeline(Readable.from(chunks, { objectMode: false }), writable);
      piped.catch(() => {});
      const first = await Promise.race([piped.then(() => "done"), finalStarted.promise]);
      if (first === "done") return;
      const probe = this.#tx.unsafe("SELECT 1").then(() => "done", (e: unknown) => e);
      const settled = await Promise.race([piped.then(() => "done"), probe]);
      if (settled !== "done") {
        throw new CopyRejectedError(
          "the server rejected the COPY after its last row (the driver does not report why)",
          { cause: settled },
        );
      }
      await piped;
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

/**
 * The embedded engine: PostgreSQL in-process (PGlite, PostgreSQL 18 compiled
 * to WebAssembly), stored in a directory, behind the same {@linkcode Database}
 * interface as the server engine, with the same value contract (see
 * `database.ts`).
 *
 * What differs, and how it is met:
 * - **one session**: PGlite runs one statement at a time; a transaction holds
 *   it until it ends, and statements outside wait for it. Readiness
 *   ({@linkcode Database.ping}) therefore answers from the engine's state, not
 *   by a query that would queue behind a load;
 * - **one process**: the store is locked while open (`embedded_lock.ts`);
 *   within a process every open of one directory shares one engine, counted,
 *   so a test and the program it runs in-process can use the same store;
 * - **COPY** only through PGlite's own API (`COPY ... FROM '/dev/blob'` with a
 *   Blob): {@linkcode Transaction.copyIn} gathers the text-format rows into
 *   Blobs of {@linkcode COPY_BLOB_BYTES}, cut at row ends, one COPY each in the
 *   same transaction, so memory stays one Blob whatever the file;
 * - **no server timers**: `statement_timeout` and `lock_timeout` do not fire
 *   (nobody else holds locks; a statement cannot be cancelled), and a
 *   statement runs on the JavaScript thread: a long one delays everything
 *   else in the process, the health endpoint included;
 * - a parameterless text may hold several statements (migrations, the stage's
 *   preparation): it runs by the simple protocol, and its last result counts.
 *
 * @module
 */
import { resolve } from "node:path";
import type { PGlite, Results, Transaction as PgliteTx } from "@electric-sql/pglite";
import {
  type Database,
  DatabaseError,
  type Queryable,
  quoteIdent,
  type Transaction,
} from "./database.ts";
import { lockStore, type StoreLock } from "./embedded_lock.ts";

/** Rows per Blob of one COPY (a few MB: bounded memory, few statements). */
export const COPY_BLOB_BYTES = 4 * 1024 * 1024;

/**
 * Result parsers that keep the server engine's value contract: `bigint`
 * (int8) and `numeric` as exact decimal strings, `date` as `YYYY-MM-DD`.
 */
const PARSERS = {
  20: (x: string) => x,
  1700: (x: string) => x,
  1082: (x: string) => x,
};

/** Anything that runs PGlite statements: the engine, or one of its transactions. */
type Runner = Pick<PgliteTx, "query" | "exec">;

/** A server error as the program's {@linkcode DatabaseError}; anything else as it is. */
function toDatabaseError(e: unknown): unknown {
  const x = e as { code?: unknown; message?: string } & Record<string, unknown>;
  if (typeof x?.code !== "string" || !/^[0-9A-Z]{5}$/.test(x.code)) return e;
  const field = (k: string) => (typeof x[k] === "string" ? x[k] as string : undefined);
  return new DatabaseError(x.message ?? "database error", {
    code: x.code,
    detail: field("detail"),
    hint: field("hint"),
    table: field("table"),
    constraint: field("constraint"),
  }, { cause: e });
}

async function run(r: Runner, text: string, params: readonly unknown[] = []): Promise<Results> {
  try {
    if (params.length > 0) return await r.query(text, params as unknown[]);
    const all = await r.exec(text);
    return all[all.length - 1] ?? { rows: [], fields: [], affectedRows: 0 };
  } catch (e) {
    throw toDatabaseError(e);
  }
}

function queryable(r: Runner): Queryable {
  return {
    query: async <T>(text: string, params?: readonly unknown[]) =>
      (await run(r, text, params)).rows as T[],
    execute: async (text: string, params?: readonly unknown[]) =>
      (await run(r, text, params)).affectedRows ?? 0,
  };
}

/** `COPY t (...) FROM STDIN [options]` as PGlite takes it: from `/dev/blob`. */
function blobCopy(text: string): string {
  const out = text.replace(/\bFROM\s+STDIN\b/i, "FROM '/dev/blob'");
  if (out === text) throw new Error(`copyIn: expected COPY ... FROM STDIN, got: ${text}`);
  return out;
}

/** Chunks as bytes, in Blobs of about `size`, each ending at a row end (a newline byte). */
async function* blobsOf(
  chunks: AsyncIterable<string | Uint8Array>,
  size: number,
): AsyncGenerator<Blob> {
  const enc = new TextEncoder();
  let parts: Uint8Array[] = [];
  let held = 0;
  for await (const c of chunks) {
    const bytes = typeof c === "string" ? enc.encode(c) : c;
    parts.push(bytes);
    held += bytes.byteLength;
    if (held < size) continue;
    // Text-format COPY escapes newlines in values: a raw one always ends a row.
    const cut = bytes.lastIndexOf(10);
    if (cut < 0) continue;
    parts[parts.length - 1] = bytes.subarray(0, cut + 1);
    yield new Blob(parts as BlobPart[]);
    const rest = bytes.subarray(cut + 1);
    parts = rest.byteLength > 0 ? [rest] : [];
    held = rest.byteLength;
  }
  if (held > 0) yield new Blob(parts as BlobPart[]);
}

class EmbeddedTransaction implements Transaction {
  readonly #tx: PgliteTx;
  readonly #q: Queryable;
  #savepoints = 0;

  constructor(tx: PgliteTx) {
    this.#tx = tx;
    this.#q = queryable(tx);
  }

  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]> {
    return this.#q.query<T>(text, params);
  }

  execute(text: string, params?: readonly unknown[]): Promise<number> {
    return this.#q.execute(text, params);
  }

  async copyIn(text: string, chunks: AsyncIterable<string | Uint8Array>): Promise<void> {
    const sql = blobCopy(text);
    // A CSV value may hold a raw newline, so a CSV COPY goes as one Blob.
    const size = /\bFORMAT\s+csv\b/i.test(text) ? Infinity : COPY_BLOB_BYTES;
    for await (const blob of blobsOf(chunks, size)) {
      try {
        await this.#tx.query(sql, [], { blob });
      } catch (e) {
        throw toDatabaseError(e);
      }
    }
  }

  async savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const name = `tec_sp_${++this.#savepoints}`;
    await run(this.#tx, `SAVEPOINT ${name}`);
    try {
      const r = await fn(this);
      await run(this.#tx, `RELEASE SAVEPOINT ${name}`);
      return r;
    } catch (e) {
      await run(this.#tx, `ROLLBACK TO SAVEPOINT ${name}`);
      throw e;
    }
  }
}

/**
 * The engine's WebAssembly and data files are missing: the one-file bundle
 * (`deno task bundle`) cannot carry them, unlike the compiled binary.
 */
export class EngineFilesMissingError extends Error {
  /** Build the error from the engine's own (`Requires read access to ".../pglite.data"`, ENOENT). */
  constructor(options?: ErrorOptions) {
    super(
      "the embedded engine's files (pglite.wasm, pglite.data) are not beside this program: " +
        "the one-file bundle cannot carry them. Run the compiled binary (deno task compile) or " +
        "deno task start, or use a PostgreSQL server (DATABASE_URL or DB_HOST)",
      options,
    );
    this.name = "EngineFilesMissingError";
  }
}

function engineFilesError(e: unknown): unknown {
  const m = (e as Error)?.message ?? "";
  return /(pglite|initdb)\.(wasm|data)/.test(m) ? new EngineFilesMissingError({ cause: e }) : e;
}

/** One open engine and its lock, shared by every open of its directory in this process. */
interface Shared {
  pg: PGlite;
  lock: StoreLock;
  refs: number;
}

const OPEN = new Map<string, Promise<Shared>>();

async function start(dir: string, schema: string): Promise<Shared> {
  const lock = await lockStore(dir);
  try {
    await Deno.mkdir(dir, { recursive: true });
    // Loaded only when the embedded engine is chosen: a server never pays for it.
    const { PGlite } = await import("@electric-sql/pglite");
    const pg = await PGlite.create({ dataDir: dir, parsers: PARSERS }).catch((e) => {
      throw engineFilesError(e);
    });
    await pg.exec(`SET search_path TO ${quoteIdent(schema)}, public`);
    return { pg, lock, refs: 0 };
  } catch (e) {
    lock.release();
    throw e;
  }
}

/** Options for {@linkcode openEmbedded}. */
export interface EmbeddedOptions {
  /** Directory of the store (created, and initialised, on first use). */
  dir: string;
  /**
   * The program's schema, first on the session's `search_path` (the program
   * names it everywhere; this is for `tec-pipeline sql`). @default {"staging"}
   */
  schema?: string;
}

/**
 * Open the store in `dir` (made on first use: about 2-3 s; reopening about
 * 0.5 s). The returned handle's `close` releases this open; the last one
 * closes the engine and gives up the lock.
 *
 * @throws {StoreLockedError} when another process has the store open
 */
export async function openEmbedded(o: EmbeddedOptions): Promise<Database> {
  const dir = resolve(o.dir);
  let opening = OPEN.get(dir);
  if (!opening) {
    opening = start(dir, o.schema ?? "staging");
    OPEN.set(dir, opening);
    opening.catch(() => OPEN.delete(dir));
  }
  const shared = await opening;
  shared.refs++;
  return handle(dir, shared);
}

/** The engine behind each embedded handle (for the socket server and `db copy-to`). */
const ENGINES = new WeakMap<Database, PGlite>();

/** The PGlite engine of an embedded handle; `undefined` for any other database. */
export function embeddedEngine(db: Database): PGlite | undefined {
  return ENGINES.get(db);
}

function handle(dir: string, shared: Shared): Database {
  const { pg } = shared;
  const q = queryable(pg);
  let closed = false;
  const db: Database = {
    query: (text, params) => q.query(text, params),
    execute: (text, params) => q.execute(text, params),
    transaction: <T>(fn: (tx: Transaction) => Promise<T>) =>
      pg.transaction((tx) => fn(new EmbeddedTransaction(tx))).catch((e) => {
        throw toDatabaseError(e);
      }) as Promise<T>,
    cursor: <T>(text: string, params: readonly unknown[], batchSize: number) =>
      cursorOf<T>(pg, text, params, batchSize),
    ping: () =>
      pg.closed
        ? Promise.reject(new Error(`the embedded database ${dir} is closed`))
        : Promise.resolve(),
    async close() {
      if (closed) return;
      closed = true;
      if (--shared.refs > 0) return;
      OPEN.delete(dir);
      try {
        await pg.close();
      } finally {
        shared.lock.release();
      }
    },
  };
  ENGINES.set(db, pg);
  return db;
}

/** Table pages per COPY of {@linkcode copyOut} (8 MB of heap: bounded memory). */
const COPY_OUT_PAGES = 1024;

/**
 * The rows of `table` (schema-qualified, quoted) in COPY text format, a
 * range of its pages at a time (`ctid` ranges), in one read-only
 * transaction: a consistent snapshot, memory one range whatever the table.
 *
 * @throws {Error} when `db` is not an embedded handle
 */
export async function* copyOut(
  db: Database,
  table: string,
  columns: readonly string[],
): AsyncGenerator<Uint8Array> {
  const pg = embeddedEngine(db);
  if (!pg) throw new Error("copyOut reads an embedded store only");
  const feed = new Handoff<Uint8Array>();
  const cols = columns.join(", ");
  const reading = pg.transaction(async (tx) => {
    await tx.exec("SET TRANSACTION READ ONLY");
    const [{ pages }] = (await run(
      tx,
      `SELECT (pg_relation_size($1::regclass) / current_setting('block_size')::int)::int AS pages`,
      [table],
    )).rows as { pages: number }[];
    for (let p = 0; p < pages; p += COPY_OUT_PAGES) {
      const r = await tx.query(
        `COPY (SELECT ${cols} FROM ${table} WHERE ctid >= '(${p},0)'::tid
           AND ctid < '(${p + COPY_OUT_PAGES},0)'::tid) TO '/dev/blob'`,
      );
      const bytes = new Uint8Array(await (r.blob ?? new Blob()).arrayBuffer());
      if (bytes.byteLength > 0 && !(await feed.put(bytes))) return;
    }
  }).then(() => feed.end(), (e) => feed.fail(toDatabaseError(e)));
  try {
    for (;;) {
      const chunk = await feed.take();
      if (chunk === undefined) break;
      yield chunk;
    }
  } finally {
    feed.stop();
    await reading;
  }
}

/**
 * A server-side cursor in a read-only transaction: `FETCH batchSize` at a
 * time, the next asked only when the consumer wants it. The transaction holds
 * the engine's one session for the whole read.
 */
/** What `DECLARE ... CURSOR FOR` takes: a query. */
const QUERY_START = /^\s*(\(|select\b|with\b|values\b|table\b)/i;

/**
 * A cursor reads a query. The server engine runs any statement in its
 * read-only transaction, where one that writes fails as read-only (25006);
 * `DECLARE` would call the same statement a syntax error, so it is refused
 * here the way the server refuses it.
 */
function refuseNonQuery(text: string): void {
  if (QUERY_START.test(text.replace(/^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/))*/, ""))) return;
  const word = text.trim().split(/\s+/, 1)[0]?.toUpperCase() ?? "";
  throw new DatabaseError(
    `cannot execute ${word} in a read-only transaction: a cursor reads one query ` +
      "(SELECT, WITH, VALUES or TABLE)",
    { code: "25006" },
  );
}

function cursorOf<T>(
  pg: PGlite,
  text: string,
  params: readonly unknown[],
  batchSize: number,
): AsyncIterable<T[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`cursor: batchSize must be a positive integer, got ${batchSize}`);
  }
  return {
    async *[Symbol.asyncIterator]() {
      const feed = new Handoff<T[]>();
      const reading = pg.transaction(async (tx) => {
        await tx.exec("SET TRANSACTION READ ONLY");
        refuseNonQuery(text);
        await run(tx, `DECLARE tec_cursor NO SCROLL CURSOR FOR ${text}`, params);
        for (;;) {
          const rows = (await run(tx, `FETCH ${batchSize} FROM tec_cursor`)).rows as T[];
          if (rows.length === 0 || !(await feed.put(rows))) return;
        }
      }).then(() => feed.end(), (e) => feed.fail(toDatabaseError(e)));
      try {
        for (;;) {
          const batch = await feed.take();
          if (batch === undefined) break;
          yield batch;
        }
      } finally {
        feed.stop();
        await reading;
      }
    },
  };
}

/** One value at a time from a producer to a consumer, each waiting for the other. */
class Handoff<T> {
  #value = Promise.withResolvers<T | undefined>();
  #taken = Promise.withResolvers<boolean>();
  #stopped = false;

  /** Hand `v` over; resolves `false` once the consumer has stopped. */
  async put(v: T): Promise<boolean> {
    if (this.#stopped) return false;
    this.#value.resolve(v);
    return await this.#taken.promise;
  }

  /** The next value, `undefined` at the end; rejects with the producer's error. */
  async take(): Promise<T | undefined> {
    const v = await this.#value.promise;
    this.#value = Promise.withResolvers();
    const taken = this.#taken;
    this.#taken = Promise.withResolvers();
    taken.resolve(true);
    return v;
  }

  end(): void {
    this.#value.resolve(undefined);
  }

  fail(e: unknown): void {
    // Handled here too: a consumer that has stopped never takes it.
    this.#value.promise.catch(() => {});
    this.#value.reject(e);
  }

  stop(): void {
    this.#stopped = true;
    this.#taken.resolve(false);
  }
}

/**
 * {@linkcode Database} on PostgreSQL through postgres.js (vendored with one
 * fix, see `vendor/postgres/README.md`).
 *
 * The driver is contained here:
 * - the program makes the TCP connections itself: `TCP_NODELAY` (without it
 *   the COPY data and the small CopyDone that follows wait for the server's
 *   delayed ACK: ~85 ms per file), a connect timeout of its own, and a look at
 *   the first bytes the server sends, so a service on the port that is not
 *   PostgreSQL fails the connection with a line saying what answered instead
 *   of a reconnect storm;
 * - every statement in flight is tracked, so closing with a zero timeout
 *   cancels them on the server rather than waiting for them;
 * - `lock_timeout` and `statement_timeout` are set on every connection;
 * - a COPY stream's late error always has a listener;
 * - a cursor's error is never lost between two batches.
 *
 * @module
 */
import postgres from "postgres";
import net from "node:net";
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
/** A postgres.js query: a promise whose `state`, once sent, names its backend (not typed upstream). */
type Pending = PromiseLike<unknown>;
type BackendKey = { pid: number; secret: number };

/** A service answered on the database port, but not as PostgreSQL. */
export class NotPostgresError extends Error {
  /** Build it from the address and the first bytes received. */
  constructor(readonly address: string, firstBytes: Uint8Array) {
    super(
      `${address} answered, but not as PostgreSQL: it said ${
        JSON.stringify(printable(firstBytes))
      }`,
    );
    this.name = "NotPostgresError";
  }
}

/** The first line of `bytes`, printable characters only, at most 60. */
function printable(bytes: Uint8Array): string {
  const text = new TextDecoder("latin1").decode(bytes.subarray(0, 120));
  return text.split(/\r?\n/)[0].replace(/[^\x20-\x7e]/g, "?").slice(0, 60);
}

/**
 * Bytes a PostgreSQL server may send first: to a StartupMessage, `R`
 * (authentication), `E` (an error: no such database, too many connections),
 * `N` (a notice) or `v` (protocol negotiation); to an SSLRequest, `S` or `N`.
 */
const FIRST_BYTES = new Set([0x52, 0x45, 0x4e, 0x76, 0x53]);

/** The settings behind the server's timeouts, to name them when one fires. */
export interface TimeoutSettings {
  /** `database.lock_timeout_seconds`. */
  lockTimeoutSeconds: number;
  /** `database.statement_timeout_seconds`. */
  statementTimeoutSeconds: number;
}

function explain(e: postgres.PostgresError, t?: TimeoutSettings): string {
  if (!t) return e.message;
  if (e.code === "55P03") {
    return `${e.message}: waited longer than database.lock_timeout_seconds ` +
      `(${t.lockTimeoutSeconds} s) for a lock another session holds`;
  }
  if (e.code === "57014" && /statement timeout/.test(e.message)) {
    return `${e.message}: ran longer than database.statement_timeout_seconds ` +
      `(${t.statementTimeoutSeconds} s)`;
  }
  return e.message;
}

/** Turn a postgres.js server error into a {@linkcode DatabaseError}; other errors pass through. */
export function toDatabaseError(e: unknown, timeouts?: TimeoutSettings): unknown {
  if (e instanceof postgres.PostgresError) {
    return new DatabaseError(explain(e, timeouts), {
      code: e.code,
      detail: e.detail,
      hint: e.hint,
      table: e.table_name,
      constraint: e.constraint_name,
    }, { cause: e });
  }
  return e;
}

/**
 * Ask the server to cancel what backend `pid` is doing: the protocol's
 * CancelRequest, on a connection of its own. postgres.js's own `cancel()`
 * gives up on a COPY once its stream is handed over (the query no longer
 * counts as active), though the server may still be busy with it.
 */
function sendCancel(address: { host: string; port: number }, s: BackendKey): Promise<void> {
  const msg = new DataView(new ArrayBuffer(16));
  msg.setInt32(0, 16);
  msg.setInt32(4, 80877102);
  msg.setInt32(8, s.pid);
  msg.setUint32(12, s.secret);
  // Resolves once the request is delivered (the server closes the socket) or
  // given up on: a process that exits right after a hard stop must not exit
  // before its cancel went out.
  return new Promise((resolve) => {
    const socket = net.connect(
      address.port,
      address.host,
      () => socket.end(new Uint8Array(msg.buffer)),
    );
    socket.on("error", () => {});
    socket.on("close", () => resolve());
    socket.setTimeout(CANCEL_TIMEOUT_MS, () => socket.destroy());
  });
}

/** How long a hard stop waits for its cancel requests to reach the server. */
const CANCEL_TIMEOUT_MS = 2000;

/** Statements in flight, so that a hard stop can cancel them on the server. */
class Inflight {
  readonly #all = new Set<Pending>();
  track<T extends Pending>(q: T): T {
    this.#all.add(q);
    // Both paths, and nothing rethrown: this is bookkeeping beside the caller's own await.
    const done = () => void this.#all.delete(q);
    q.then(done, done);
    return q;
  }
  cancelAll(address: { host: string; port: number }): Promise<void> {
    const backends = new Map<number, BackendKey>();
    for (const q of this.#all) {
      const state = (q as { state?: BackendKey | null }).state;
      if (state) backends.set(state.pid, state);
    }
    return Promise.all([...backends.values()].map((s) => sendCancel(address, s))).then(() => {});
  }
}

function runner(inflight: Inflight, timeouts?: TimeoutSettings) {
  const run = async (sql: Sql | TxSql, text: string, params: readonly unknown[] = []) => {
    try {
      return await inflight.track(
        // deno-lint-ignore no-explicit-any
        sql.unsafe(text, params as any[], { prepare: params.length > 0 }),
      );
    } catch (e) {
      throw toDatabaseError(e, timeouts);
    }
  };
  return {
    rows: async <T>(sql: Sql | TxSql, text: string, params?: readonly unknown[]) =>
      [...await run(sql, text, params)] as T[],
    count: async (sql: Sql | TxSql, text: string, params?: readonly unknown[]) =>
      (await run(sql, text, params)).count ?? 0,
  };
}

/**
 * Write `chunks` into the COPY stream, honouring back-pressure, and end it;
 * resolves once the server has confirmed the COPY (the stream's `finish`).
 * A plain loop: `pipeline(Readable.from(...))` costs a real file (287 rows)
 * about a millisecond of stream machinery.
 */
async function feed(
  writable: NodeJS.WritableStream & { once(e: string, f: (x?: unknown) => void): unknown },
  chunks: AsyncIterable<string | Uint8Array>,
): Promise<void> {
  const failed = new Promise<never>((_, reject) => writable.once("error", reject));
  failed.catch(() => {});
  try {
    for await (const chunk of chunks) {
      if (!writable.write(chunk)) {
        await Promise.race([new Promise((r) => writable.once("drain", r)), failed]);
      }
    }
  } catch (e) {
    // The rows could not be read (a bad header, say): abort the COPY on the
    // server (the driver sends CopyFail) and report the reason.
    (writable as unknown as { destroy(e: unknown): void }).destroy(e);
    throw e;
  }
  const finished = new Promise<void>((resolve) => writable.once("finish", () => resolve()));
  writable.end();
  await Promise.race([finished, failed]);
}

/**
 * postgres.js 3.4.9 settles nothing when the server rejects a COPY after the
 * last chunk went out (a unique violation found at the end, say): the
 * writable's final callback waits for a CommandComplete that never comes
 * (porsager/postgres#1173). So note when the final callback starts, and then
 * ask the server, with a query queued behind the COPY, whether the
 * transaction survived.
 */
async function copyInto(
  tx: TxSql,
  inflight: Inflight,
  text: string,
  chunks: AsyncIterable<string | Uint8Array>,
): Promise<void> {
  const writable = await inflight.track(tx.unsafe(text)).writable();
  // The driver destroys the stream with the connection's error, possibly after
  // the pipeline below has settled: an error without a listener ends the process.
  writable.on("error", () => {});
  const finalStarted = Promise.withResolvers<void>();
  const w = writable as unknown as { _final: (cb: (e?: Error) => void) => void };
  const final = w._final;
  w._final = function (this: unknown, cb) {
    final.call(this, cb);
    finalStarted.resolve();
  };
  const piped = feed(writable, chunks);
  piped.catch(() => {});
  const first = await Promise.race([piped.then(() => "done"), finalStarted.promise]);
  if (first === "done") return;
  const probe = inflight.track(tx.unsafe("SELECT 1")).then(() => "done", (e: unknown) => e);
  const settled = await Promise.race([piped.then(() => "done"), probe]);
  if (settled !== "done") {
    throw new CopyRejectedError(
      `the server rejected the COPY after its last row: ${(settled as Error)?.message ?? settled}`,
      { cause: settled },
    );
  }
  await piped;
}

/**
 * Hands a cursor's batches from the driver to an async iterator. The driver
 * waits for the promise {@linkcode Handoff.put} returns before it asks the
 * server for the next batch, so a batch is fetched only once the consumer has
 * taken the one before it: at most one batch is read ahead.
 */
class Handoff<T> {
  /** The driver's token for "close the cursor". */
  readonly #close: unknown;
  #batch: T[] | undefined;
  /** The driver, waiting to fetch the next batch. */
  #resume: ((next?: unknown) => void) | undefined;
  /** The consumer, waiting for a batch or the end. */
  #wake: (() => void) | undefined;
  #end: { error?: unknown } | undefined;
  #left = false;

  constructor(close: unknown) {
    this.#close = close;
  }

  /** The driver's batch; resolves when it may fetch the next (`CLOSE` once the consumer left). */
  put(rows: T[]): Promise<unknown> {
    if (this.#left) return Promise.resolve(this.#close);
    this.#batch = rows;
    this.#wake?.();
    return new Promise((resolve) => (this.#resume = resolve));
  }

  /** The read is over: complete, or failed with `error`. */
  finish(end: { error?: unknown }): void {
    this.#end = end;
    this.#wake?.();
  }

  async *batches(): AsyncGenerator<T[]> {
    try {
      for (;;) {
        const batch = this.#batch;
        if (batch) {
          this.#batch = undefined;
          this.#resume?.();
          this.#resume = undefined;
          yield batch;
          continue;
        }
        if (this.#end) {
          if ("error" in this.#end) throw this.#end.error;
          return;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      this.#left = true;
      this.#resume?.(this.#close);
    }
  }
}

/**
 * {@linkcode Database.cursor} on postgres.js: `cursor(n, fn)` inside
 * `begin read only`. The callback form, because the driver's own iterator
 * loses an error that arrives while the consumer holds a batch (the
 * connection dropped, say) and then ends as if the result were complete.
 */
async function* readCursor<T>(
  sql: Sql,
  inflight: Inflight,
  timeouts: TimeoutSettings,
  q: { text: string; params: readonly unknown[]; batchSize: number },
): AsyncGenerator<T[]> {
  const handoff = new Handoff<T>(sql.CLOSE);
  const read = sql.begin("read only", (tx) =>
    inflight.track(
      // deno-lint-ignore no-explicit-any
      tx.unsafe(q.text, q.params as any[], { prepare: q.params.length > 0 })
        .cursor(q.batchSize, (rows) => handoff.put(rows as unknown as T[])),
    ));
  const settled = read.then(
    () => handoff.finish({}),
    (e: unknown) => handoff.finish({ error: toDatabaseError(e, timeouts) }),
  );
  try {
    yield* handoff.batches();
  } finally {
    // Left early or not: the cursor is closed and the transaction over before the caller goes on.
    await settled;
  }
}

class PgTransaction implements Transaction {
  readonly #tx: TxSql;
  readonly #inflight: Inflight;
  readonly #run: ReturnType<typeof runner>;
  readonly #timeouts: TimeoutSettings;
  constructor(tx: TxSql, inflight: Inflight, timeouts: TimeoutSettings) {
    this.#tx = tx;
    this.#inflight = inflight;
    this.#timeouts = timeouts;
    this.#run = runner(inflight, timeouts);
  }
  query<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
    return this.#run.rows<T>(this.#tx, text, params);
  }
  execute(text: string, params?: readonly unknown[]): Promise<number> {
    return this.#run.count(this.#tx, text, params);
  }
  async savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    try {
      return await this.#tx.savepoint((sp) =>
        fn(new PgTransaction(sp, this.#inflight, this.#timeouts))
      ) as T;
    } catch (e) {
      throw toDatabaseError(e, this.#timeouts);
    }
  }
  async copyIn(text: string, chunks: AsyncIterable<string | Uint8Array>): Promise<void> {
    try {
      await copyInto(this.#tx, this.#inflight, text, chunks);
    } catch (e) {
      throw toDatabaseError(e, this.#timeouts);
    }
  }
}

/** Connect a socket ourselves: a bound on the connect, TCP_NODELAY, and a look at the first bytes. */
function socketFactory(timeoutMs: number) {
  return (o: { host: string[]; port: number[]; path?: string }): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const address = o.path ? o.path : `${o.host[0]}:${o.port[0]}`;
      const socket = o.path ? net.connect(o.path) : net.connect(o.port[0], o.host[0]);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to ${address} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      socket.once("error", (e) => (clearTimeout(timer), reject(e)));
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        socket.setNoDelay(true);
        socket.prependOnceListener("data", (first: Uint8Array) => {
          if (!FIRST_BYTES.has(first[0])) socket.destroy(new NotPostgresError(address, first));
        });
        resolve(socket);
      });
    });
}

/** Where the server listens, from the settings. */
function serverAddress(c: DatabaseConfig): { host: string; port: number } {
  if (!c.url) return { host: c.host, port: c.port };
  const u = new URL(c.url.reveal());
  return { host: decodeURIComponent(u.hostname) || "127.0.0.1", port: Number(u.port || 5432) };
}

/** Options for {@linkcode connectPostgres}. */
export interface ConnectOptions {
  /** Connection settings. */
  config: DatabaseConfig;
  /** `application_name` reported to the server. @default {"tec-pipeline"} */
  applicationName?: string;
}

function poolOptions(c: DatabaseConfig, applicationName: string, max: number) {
  return {
    max,
    connect_timeout: c.connectTimeoutSeconds,
    idle_timeout: 60,
    onnotice: () => {},
    socket: socketFactory(c.connectTimeoutSeconds * 1000),
    connection: {
      application_name: applicationName,
      // Milliseconds, as the server reads a bare number; 0 is "no limit".
      lock_timeout: c.lockTimeoutSeconds * 1000,
      statement_timeout: c.statementTimeoutSeconds * 1000,
      // The program names its schema everywhere; this is for `tec-pipeline sql`.
      search_path: `${c.schema},public`,
    },
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
}

function pool(c: DatabaseConfig, applicationName: string, max: number): Sql {
  const common = poolOptions(c, applicationName, max);
  return (c.url ? postgres(c.url.reveal(), common) : postgres({
    ...common,
    host: c.host,
    port: c.port,
    database: c.name,
    username: c.user,
    password: c.password?.reveal(),
  })) as unknown as Sql;
}

/** Open a connection pool. Nothing is sent to the server until the first query. */
export function connectPostgres(opts: ConnectOptions): Database & Queryable {
  const c = opts.config;
  const name = opts.applicationName ?? "tec-pipeline";
  const sql = pool(c, name, c.maxConnections);
  // Readiness answers from a connection of its own: never behind a busy pool.
  let probe: Sql | undefined;
  const inflight = new Inflight();
  const run = runner(inflight, c);
  return {
    query: <T>(text: string, params?: readonly unknown[]) => run.rows<T>(sql, text, params),
    execute: (text: string, params?: readonly unknown[]) => run.count(sql, text, params),
    async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
      try {
        return await sql.begin((tx) => fn(new PgTransaction(tx, inflight, c))) as T;
      } catch (e) {
        throw toDatabaseError(e, c);
      }
    },
    cursor<T>(text: string, params: readonly unknown[], batchSize: number): AsyncIterable<T[]> {
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new RangeError(`cursor: batchSize must be a positive integer, got ${batchSize}`);
      }
      return {
        [Symbol.asyncIterator]: () =>
          readCursor<T>(sql, inflight, c, { text, params, batchSize })[Symbol.asyncIterator](),
      };
    },
    async ping(timeoutMs: number): Promise<void> {
      probe ??= pool({ ...c, connectTimeoutSeconds: Math.max(1, timeoutMs / 1000) }, name, 1);
      const timeout = Promise.withResolvers<never>();
      const timer = setTimeout(
        () => timeout.reject(new Error(`no answer within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      try {
        await Promise.race([probe.unsafe("SELECT 1"), timeout.promise]);
      } catch (e) {
        // A pool whose connections failed reconnects after a growing delay
        // (up to 20 s): the next probe starts afresh instead.
        probe.end({ timeout: 0 }).catch(() => {});
        probe = undefined;
        throw toDatabaseError(e);
      } finally {
        clearTimeout(timer);
      }
    },
    async close(o?: { timeoutSeconds?: number }): Promise<void> {
      const timeout = o?.timeoutSeconds ?? 5;
      // A hard stop: the server ends what it is doing for us, now.
      const cancelled = timeout === 0 ? inflight.cancelAll(serverAddress(c)) : undefined;
      await Promise.all([sql.end({ timeout }), probe?.end({ timeout: 0 }), cancelled]);
    },
  };
}

/**
 * The load ledger: one row per file the program tried to load.
 *
 * @module
 */
import { type Queryable, quoteIdent } from "../db/database.ts";

/** Identity of a file load. */
export interface LedgerKey {
  /** Source name. */
  source: string;
  /** Asset code. */
  asset: string;
  /** Gas day. */
  gasDay: string;
  /** Cycle label. */
  cycle: string;
  /** URL fetched (or `file:` path replayed). */
  url: string;
  /** sha256 of the bytes. */
  sha256: string;
  /** Size of the bytes. */
  bytes: number;
  /** Whether `--force` asked for the load. */
  forced: boolean;
}

/** Counts of one load. */
export interface LoadCounts {
  /** Data rows in the file (header excluded). */
  rowsRead: number;
  /** Rows new to the table. */
  inserted: number;
  /** Rows whose values changed. */
  updated: number;
  /** Rows already present with the same values. */
  unchanged: number;
  /** Rows sent to quarantine. */
  quarantined: number;
}

/** A ledger row as read back. */
export interface LedgerRow {
  /** Ledger id. */
  load_id: number;
  /** sha256. */
  sha256: string;
}

function table(schema: string): string {
  return `${quoteIdent(schema)}.load_ledger`;
}

/** The latest successful load of (asset, gas day, cycle), if any. */
export async function latestLoaded(
  db: Queryable,
  schema: string,
  k: { asset: string; gasDay: string; cycle: string },
): Promise<LedgerRow | undefined> {
  const rows = await db.query<LedgerRow>(
    `SELECT load_id::int AS load_id, sha256 FROM ${table(schema)}
     WHERE asset = $1 AND gas_day = $2 AND cycle = $3 AND status = 'loaded'
     ORDER BY load_id DESC LIMIT 1`,
    [k.asset, k.gasDay, k.cycle],
  );
  return rows[0];
}

/** A failed load as read back. */
export interface FailedRow {
  /** Ledger id of the failure record. */
  load_id: number;
  /** Why it failed. */
  error: string;
}

/**
 * The terminal failure of (asset, gas day, cycle) with these bytes, if one was
 * recorded after the pair's latest successful load: those bytes will fail the
 * same way again. A failure older than that load is ignored, so bytes that come
 * back after a good file get one fresh try.
 */
export async function terminalFailure(
  db: Queryable,
  schema: string,
  k: { asset: string; gasDay: string; cycle: string; sha256: string },
): Promise<FailedRow | undefined> {
  const rows = await db.query<FailedRow>(
    `SELECT f.load_id::int AS load_id, coalesce(f.error, 'failed') AS error FROM ${table(schema)} f
     WHERE f.asset = $1 AND f.gas_day = $2 AND f.cycle = $3 AND f.sha256 = $4 AND f.terminal
       AND f.load_id > coalesce((SELECT max(l.load_id) FROM ${table(schema)} l
         WHERE l.asset = $1 AND l.gas_day = $2 AND l.cycle = $3 AND l.status = 'loaded'), 0)
     ORDER BY f.load_id DESC LIMIT 1`,
    [k.asset, k.gasDay, k.cycle, k.sha256],
  );
  return rows[0];
}

/** Open a ledger row in state `loading`; returns its id. */
export async function openLoad(db: Queryable, schema: string, k: LedgerKey): Promise<number> {
  const rows = await db.query<{ load_id: number }>(
    `INSERT INTO ${
      table(schema)
    } (source, asset, gas_day, cycle, url, sha256, bytes, status, forced)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'loading', $8) RETURNING load_id::int AS load_id`,
    [k.source, k.asset, k.gasDay, k.cycle, k.url, k.sha256, k.bytes, k.forced],
  );
  return rows[0].load_id;
}

/** Close a ledger row as `loaded` with its counts. */
export async function finishLoad(
  db: Queryable,
  schema: string,
  loadId: number,
  c: LoadCounts,
): Promise<void> {
  await db.query(
    `UPDATE ${table(schema)} SET status = 'loaded', rows_read = $2, inserted = $3, updated = $4,
       unchanged = $5, quarantined = $6, finished_at = clock_timestamp()
     WHERE load_id = $1`,
    [loadId, c.rowsRead, c.inserted, c.updated, c.unchanged, c.quarantined],
  );
}

/** How a load failed, for {@linkcode recordFailure}. */
export interface Failure {
  /** Why. */
  error: string;
  /** When the load began. */
  startedAt: Date;
  /** The same bytes will fail the same way (see {@linkcode terminalFailure}). */
  terminal: boolean;
}

/**
 * Record a failed load (outside the rolled-back transaction) so it is visible
 * and, unless terminal, retried; returns its id.
 */
export async function recordFailure(
  db: Queryable,
  schema: string,
  k: LedgerKey,
  f: Failure,
): Promise<number> {
  const rows = await db.query<{ load_id: number }>(
    `INSERT INTO ${table(schema)} (source, asset, gas_day, cycle, url, sha256, bytes, status,
       error, forced, started_at, finished_at, terminal)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'failed', $8, $9, $10, clock_timestamp(), $11)
     RETURNING load_id::int AS load_id`,
    [
      k.source,
      k.asset,
      k.gasDay,
      k.cycle,
      k.url,
      k.sha256,
      k.bytes,
      f.error,
      k.forced,
      f.startedAt,
      f.terminal,
    ],
  );
  return rows[0].load_id;
}

/** Key of a pair in {@linkcode loadedPairs}: `source|YYYY-MM-DD|cycle label`. */
export function loadedPairKey(source: string, gasDay: string, cycle: string): string {
  return `${source}|${gasDay}|${cycle}`;
}

/** Every pair with a successful load whose gas day is in `[from, to]`, as {@linkcode loadedPairKey}s. */
export async function loadedPairs(
  db: Queryable,
  schema: string,
  range: { from: string; to: string },
): Promise<Set<string>> {
  const rows = await db.query<{ source: string; gas_day: string; cycle: string }>(
    `SELECT DISTINCT source, to_char(gas_day, 'YYYY-MM-DD') AS gas_day, cycle FROM ${table(schema)}
     WHERE status = 'loaded' AND gas_day BETWEEN $1 AND $2`,
    [range.from, range.to],
  );
  return new Set(rows.map((r) => loadedPairKey(r.source, r.gas_day, r.cycle)));
}

/** The latest successful load per (asset, cycle), newest gas day first (for `/status`). */
export function latestLoads(db: Queryable, schema: string): Promise<Record<string, unknown>[]> {
  return db.query(
    `SELECT DISTINCT ON (asset, cycle) asset, cycle, to_char(gas_day, 'YYYY-MM-DD') AS gas_day,
       load_id::int AS load_id, left(sha256, 12) AS sha256, rows_read, inserted, updated,
       unchanged, quarantined, finished_at
     FROM ${table(schema)} WHERE status = 'loaded'
     ORDER BY asset, cycle, gas_day DESC, load_id DESC`,
  );
}

/** The most recent failed load, if any (for `/status`). */
export async function lastFailure(
  db: Queryable,
  schema: string,
): Promise<Record<string, unknown> | undefined> {
  const [r] = await db.query(
    `SELECT asset, cycle, to_char(gas_day, 'YYYY-MM-DD') AS gas_day, load_id::int AS load_id,
       error, finished_at
     FROM ${table(schema)} WHERE status = 'failed' ORDER BY load_id DESC LIMIT 1`,
  );
  return r;
}

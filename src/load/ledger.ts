/**
 * The load ledger: one row per file the program tried to load.
 *
 * @module
 */
import { type Queryable, quoteIdent } from "../db/database.ts";
import type { PairKey } from "../domain/pair.ts";

/** Identity of a file load: its pair, and the bytes. */
export interface LedgerKey extends PairKey {
  /** URL fetched (or `file:` path replayed). */
  url: string;
  /** sha256 of the bytes. */
  sha256: string;
  /** Size of the bytes. */
  bytes: number;
  /** Whether `--force` asked for the load. */
  forced: boolean;
  /**
   * The fingerprint of the layout the bytes were read with (`layoutFingerprint`,
   * the source's header aliases included); absent for a failure journalled
   * before it was kept, which then is no verdict on its bytes.
   */
  layoutSha?: string;
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
  /** Rows of the previous version the file no longer has, deleted (and retired). */
  deleted: number;
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

/** `source = $1 AND report = $2 AND gas_day = $3 AND cycle = $4`, on `alias`. */
function pairWhere(alias: string): string {
  return `${alias}.source = $1 AND ${alias}.report = $2 AND ${alias}.gas_day = $3 ` +
    `AND ${alias}.cycle = $4`;
}

function pairParams(k: PairKey): unknown[] {
  return [k.source, k.report, k.gasDay, k.cycle];
}

/** The latest successful load of the pair, if any. */
export async function latestLoaded(
  db: Queryable,
  schema: string,
  k: PairKey,
): Promise<LedgerRow | undefined> {
  const rows = await db.query<LedgerRow>(
    `SELECT l.load_id::int AS load_id, l.sha256 FROM ${table(schema)} l
     WHERE ${pairWhere("l")} AND l.status = 'loaded'
     ORDER BY l.load_id DESC LIMIT 1`,
    pairParams(k),
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
 * What the ledger says of a pair before a load: its latest file, a terminal
 * failure of these bytes, another pair with these very bytes, and the id the
 * load will have.
 */
export interface PriorState {
  /** Ledger id of the pair's latest successful load. */
  latestId?: number;
  /** sha256 of that load. */
  latestSha?: string;
  /** When that version was first seen. */
  latestSeenAt?: Date;
  /**
   * The terminal failure of the pair with these bytes, recorded after the
   * pair's latest successful load and read with the same layout: those bytes
   * will fail the same way again. A failure older than that load is ignored,
   * so bytes that come back after a good file get one fresh try; so is one
   * taken under another layout (a release, or `header_aliases`, that reads
   * the file differently: {@linkcode LedgerKey.layoutSha}).
   */
  terminalId?: number;
  /** Its reason. */
  terminalError?: string;
  /**
   * The earliest loaded version of another (gas day, cycle) of the source
   * and report whose file had these bytes (through the ledger's sha256
   * index). The file carries no gas day or cycle, so two requests that differ
   * in them and get identical bytes are the sign of a site that ignored the
   * parameters (and answered its latest posting): the new version may be
   * stamped with a day it is not.
   */
  sameBytes?: SameBytes;
  /** The ledger id for the load (see {@linkcode nextLoadId}). */
  nextId: number;
}

/**
 * {@linkcode latestLoaded}, the terminal failure of these bytes, another
 * pair's version with the same bytes and {@linkcode nextLoadId} in one statement:
 * a real file is 287 rows, so a load's cost is mostly its round trips and
 * statements.
 */
export async function priorState(
  db: Queryable,
  schema: string,
  k: PairKey & { sha256: string; layoutSha: string; failuresFrom?: number },
): Promise<PriorState> {
  const [r] = await db.query<{
    latest_id: number | null;
    latest_sha: string | null;
    latest_seen: Date | null;
    terminal_id: number | null;
    terminal_error: string | null;
    same_id: number | null;
    same_gas_day: string | null;
    same_cycle: string | null;
    next_id: number;
  }>(
    `WITH latest AS (
       SELECT l.load_id, l.sha256, coalesce(l.first_seen_at, l.started_at) AS seen
       FROM ${table(schema)} l
       WHERE ${pairWhere("l")} AND l.status = 'loaded' ORDER BY l.load_id DESC LIMIT 1)
     SELECT (SELECT load_id::int FROM latest) AS latest_id,
            (SELECT sha256 FROM latest) AS latest_sha, (SELECT seen FROM latest) AS latest_seen,
            t.load_id::int AS terminal_id, t.error AS terminal_error,
            o.load_id::int AS same_id, o.gas_day::text AS same_gas_day, o.cycle AS same_cycle,
            ${nextIdSql("$8")} AS next_id
     FROM (SELECT 1) AS one LEFT JOIN LATERAL (
       SELECT f.load_id, coalesce(f.error, 'failed') AS error FROM ${table(schema)} f
       WHERE ${pairWhere("f")} AND f.sha256 = $5 AND f.terminal AND f.layout_sha = $7
         AND f.load_id > coalesce((SELECT load_id FROM latest), 0) AND f.load_id >= $6
       ORDER BY f.load_id DESC LIMIT 1) AS t ON true
     LEFT JOIN LATERAL (
       SELECT o.load_id, o.gas_day, o.cycle FROM ${table(schema)} o
       WHERE o.sha256 = $5 AND o.source = $1 AND o.report = $2 AND o.status = 'loaded'
         AND (o.gas_day <> $3::date OR o.cycle <> $4)
       ORDER BY o.load_id LIMIT 1) AS o ON true`,
    [...pairParams(k), k.sha256, k.failuresFrom ?? 0, k.layoutSha, table(schema)],
  );
  return {
    latestId: r.latest_id ?? undefined,
    latestSha: r.latest_sha ?? undefined,
    latestSeenAt: r.latest_seen ?? undefined,
    terminalId: r.terminal_id ?? undefined,
    terminalError: r.terminal_error ?? undefined,
    ...(r.same_id !== null &&
      { sameBytes: { loadId: r.same_id, gasDay: r.same_gas_day!, cycle: r.same_cycle! } }),
    nextId: r.next_id,
  };
}

/** The next ledger id, the ledger's name being parameter `param`. */
function nextIdSql(param: string): string {
  return `nextval(pg_get_serial_sequence(${param}, 'load_id'))::int`;
}

/** A ledger id for a load about to be written (ids may skip: a rolled-back load spends one). */
export async function nextLoadId(db: Queryable, schema: string): Promise<number> {
  const [r] = await db.query<{ id: number }>(
    `SELECT ${nextIdSql("$1")} AS id`,
    [table(schema)],
  );
  return r.id;
}

/** Where the quarantined rows of a load are: kept aside in memory, or in this staging table. */
export type Quarantined = { rejected: readonly { line: number; raw: string; reason: string }[] } | {
  stage: string;
};

/** The version a successful load writes (see {@linkcode insertLoaded}). */
export interface Version {
  /** Its ledger id (from {@linkcode nextLoadId}). */
  loadId: number;
  /** When its bytes were first fetched: the version's first and last sighting. */
  seenAt: Date;
  /** The pair's previous version, superseded as of `seenAt`. */
  supersedes?: number;
  /**
   * A version of another (gas day, cycle) of the same source and report with
   * the very same bytes (see {@linkcode PriorState.sameBytes}).
   */
  sameBytesAs?: number;
  /** The validators the site sent with the file. */
  validators?: Validators;
}

/** What a site said identifies a file (its response headers), for a conditional request. */
export interface Validators {
  /** `ETag`. */
  etag?: string;
  /** `Last-Modified`. */
  lastModified?: string;
}

/**
 * The pair's current version and the validators its file came with, if the
 * site gave any: what a conditional fetch sends back.
 */
export async function currentValidators(
  db: Queryable,
  schema: string,
  k: PairKey,
): Promise<(Validators & { loadId: number }) | undefined> {
  const [r] = await db.query<
    { load_id: number; etag: string | null; last_modified: string | null }
  >(
    `SELECT l.load_id::int AS load_id, l.etag, l.last_modified FROM ${table(schema)} l
     WHERE ${pairWhere("l")} AND l.status = 'loaded' ORDER BY l.load_id DESC LIMIT 1`,
    pairParams(k),
  );
  if (!r || (r.etag === null && r.last_modified === null)) return undefined;
  return {
    loadId: r.load_id,
    ...(r.etag !== null && { etag: r.etag }),
    ...(r.last_modified !== null && { lastModified: r.last_modified }),
  };
}

/** A loaded version of another pair of the source whose bytes a new file repeats. */
export interface SameBytes {
  /** Its ledger id. */
  loadId: number;
  /** Its gas day. */
  gasDay: string;
  /** Its cycle label. */
  cycle: string;
}

/**
 * Write a successful load's ledger row and its quarantined rows in one
 * statement, and close the version it supersedes.
 */
export async function insertLoaded(
  db: Queryable,
  schema: string,
  k: LedgerKey,
  v: Version,
  c: LoadCounts,
  q: Quarantined,
): Promise<void> {
  const params: unknown[] = [
    ...[v.loadId, k.source, k.report, k.asset, k.gasDay, k.cycle, k.url, k.sha256, k.bytes],
    ...[k.forced, c.rowsRead, c.inserted, c.updated, c.unchanged, c.quarantined, c.deleted],
    v.seenAt,
    v.sameBytesAs ?? null,
    v.validators?.etag ?? null,
    v.validators?.lastModified ?? null,
  ];
  const param = (value: unknown) => `$${params.push(value)}`;
  // A pair's first version supersedes nothing: no statement for it (per-file cost).
  const superseded = v.supersedes === undefined ? "" : `superseded AS (
       UPDATE ${table(schema)} SET superseded_at = $17::timestamptz
       WHERE load_id = ${param(v.supersedes)}::bigint AND superseded_at IS NULL),`;
  const rows = "stage" in q
    ? `FROM l, ${q.stage} s WHERE s.reason IS NOT NULL`
    : `FROM l, unnest(${param(q.rejected.map((r) => r.line))}::int[], ${
      param(q.rejected.map((r) => r.raw))
    }::text[], ${param(q.rejected.map((r) => r.reason))}::text[]) AS s(line_no, raw_line, reason)`;
  await db.query(
    `WITH ${superseded}
     l AS (
       INSERT INTO ${table(schema)}
         (load_id, source, report, asset, gas_day, cycle, url, sha256, bytes, status, forced,
          rows_read, inserted, updated, unchanged, quarantined, deleted, first_seen_at,
          last_seen_at, finished_at, same_bytes_as, etag, last_modified)
       OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'loaded', $10, $11,
               $12, $13, $14, $15, $16, $17::timestamptz, $17::timestamptz, clock_timestamp(),
               $18::bigint, $19, $20)
       RETURNING load_id)
     INSERT INTO ${quoteIdent(schema)}.quarantine
       (load_id, source, report, asset, gas_day, cycle, sha256, line_no, raw_line, reason)
     SELECT l.load_id, $2, $3, $4, $5::date, $6, $8, s.line_no, s.raw_line, s.reason ${rows}`,
    params,
  );
}

/**
 * A re-check fetched the pair's current bytes again: move the version's last
 * sighting, write nothing else.
 */
export async function touchVersion(
  db: Queryable,
  schema: string,
  loadId: number,
  seenAt: Date,
  validators?: Validators,
): Promise<void> {
  // Validators given for the same bytes replace the old; one not given keeps its value.
  await db.query(
    `UPDATE ${table(schema)} SET last_seen_at = greatest(last_seen_at, $2::timestamptz),
       etag = coalesce($3, etag), last_modified = coalesce($4, last_modified)
     WHERE load_id = $1`,
    [loadId, seenAt, validators?.etag ?? null, validators?.lastModified ?? null],
  );
}

/** How a load failed, for {@linkcode recordFailure}. */
export interface Failure {
  /** Why. */
  error: string;
  /** When the load began. */
  startedAt: Date;
  /** The same bytes will fail the same way, read with the same layout (see {@linkcode PriorState.terminalId}). */
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
    `INSERT INTO ${table(schema)} (source, report, asset, gas_day, cycle, url, sha256, bytes,
       status, error, forced, started_at, finished_at, terminal, layout_sha)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'failed', $9, $10, $11, clock_timestamp(), $12, $13)
     RETURNING load_id::int AS load_id`,
    [
      k.source,
      k.report,
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
      k.layoutSha ?? null,
    ],
  );
  return rows[0].load_id;
}

/** Per source, the loaded versions flagged by {@linkcode PriorState.sameBytes}, for `/status`. */
export function parametersIgnored(
  db: Queryable,
  schema: string,
): Promise<Record<string, unknown>[]> {
  return db.query(
    `SELECT s.source, s.versions, l.load_id::int AS last_load_id, l.gas_day::text AS gas_day,
            l.cycle, o.gas_day::text AS same_as_gas_day, o.cycle AS same_as_cycle,
            l.first_seen_at AS seen_at
     FROM (SELECT source, count(*)::int AS versions, max(load_id) AS last
           FROM ${table(schema)} WHERE same_bytes_as IS NOT NULL AND status = 'loaded'
           GROUP BY source) s
     JOIN ${table(schema)} l ON l.load_id = s.last
     LEFT JOIN ${table(schema)} o ON o.load_id = l.same_bytes_as
     ORDER BY s.source`,
  );
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

/**
 * The latest successful load per (source, cycle), with its asset (for
 * `/status`): two sources of one asset each have theirs. By asset, source, cycle.
 */
export function latestLoads(db: Queryable, schema: string): Promise<Record<string, unknown>[]> {
  return db.query(
    `SELECT DISTINCT ON (asset, source, cycle) source, asset, cycle,
       to_char(gas_day, 'YYYY-MM-DD') AS gas_day,
       load_id::int AS load_id, left(sha256, 12) AS sha256, rows_read, inserted, updated,
       unchanged, quarantined, deleted, first_seen_at, last_seen_at, finished_at
     FROM ${table(schema)} WHERE status = 'loaded'
     ORDER BY asset, source, cycle, gas_day DESC, load_id DESC`,
  );
}

/** The most recent failed load, if any, with its source (for `/status`). */
export async function lastFailure(
  db: Queryable,
  schema: string,
): Promise<Record<string, unknown> | undefined> {
  const [r] = await db.query(
    `SELECT source, asset, cycle, to_char(gas_day, 'YYYY-MM-DD') AS gas_day,
       load_id::int AS load_id, error, finished_at
     FROM ${table(schema)} WHERE status = 'failed' ORDER BY load_id DESC LIMIT 1`,
  );
  return r;
}

/**
 * The pair's versions whose bytes are not among `sha256s` (a rebuild's
 * archived requests of the pair): a rebuild would lose them.
 */
export function unarchivedVersions(
  db: Queryable,
  schema: string,
  k: PairKey,
  sha256s: readonly string[],
): Promise<{ load_id: number; sha256: string; url: string }[]> {
  return db.query(
    `SELECT l.load_id::int AS load_id, l.sha256, l.url FROM ${table(schema)} l
     WHERE ${pairWhere("l")} AND l.status = 'loaded' AND l.sha256 <> ALL($5::text[])
     ORDER BY l.load_id`,
    [...pairParams(k), sha256s],
  );
}

/**
 * Mark the pair's versions `replaced`: a rebuild derives them again from the
 * same bytes. They stay in the ledger, for the audit trail; returns how many.
 */
export function replaceVersions(db: Queryable, schema: string, k: PairKey): Promise<number> {
  return db.execute(
    `UPDATE ${table(schema)} l SET status = 'replaced' WHERE ${
      pairWhere("l")
    } AND l.status = 'loaded'`,
    pairParams(k),
  );
}

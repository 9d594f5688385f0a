/**
 * Every SQL statement of the dashboard, and nothing else: the pages ask for
 * data through these functions, each page's reads in one read-only
 * transaction ({@linkcode readOnly}: one snapshot per page, and a statement
 * that would write fails). Values follow the database interface's contract
 * (`bigint` as decimal strings, `date` as `YYYY-MM-DD`).
 *
 * The capacity rows are read through {@linkcode CAPACITY}: the cross-family
 * `capacity` view (migration 009), so every report family shows.
 *
 * @module
 */
import { type Database, type Queryable, quoteIdent } from "../db/database.ts";
import type { IsoDate } from "../domain/gas_day.ts";

/** Quantities as the database returns `bigint`: decimal strings, or `null` when not posted. */
export type Quantity = string | null;

/**
 * The capacity relation in `schema`: the `capacity` view over every report
 * family (asset, gas_day, cycle, source, loc, name, zone, flow, dc, opc, tsq,
 * oac, utilisation = TSQ / OPC to 4 places).
 */
export function CAPACITY(schema: string): string {
  return `${quoteIdent(schema)}.capacity`;
}

/**
 * Run `fn` in one read-only transaction. On the embedded engine (one
 * session) transactions already take turns, so page queries run one at a time.
 */
export function readOnly<T>(db: Database, fn: (q: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query("SET TRANSACTION READ ONLY");
    return await fn(tx);
  });
}

// ---------------------------------------------------------------- overview

/** One (gas day, cycle) of a source as the ledger and the poll state know it. */
export interface GridCell {
  /** Gas day. */
  gas_day: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** Versions loaded (1 = loaded, more = revised). */
  versions: number;
  /** Failed loads. */
  failed: number;
  /** Poll state (`pending`, `not_posted`, `loaded`, `failed`), when the daemon asked. */
  poll_status: string | null;
  /** The last poll failure (one line). */
  poll_error: string | null;
  /** When the pair's first version was first seen (ISO). */
  first_seen_at: string | null;
  /** The cycle's expected posting time (ISO), from the cycles table. */
  expected_at: string;
  /** Minutes from the expected posting to the first sighting; `null` when never loaded. */
  lag_minutes: number | null;
}

/** The latest (gas day, cycle) a source loaded, with when. */
export interface LatestLoad {
  /** Gas day. */
  gas_day: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** When its first version was first seen (ISO). */
  first_seen_at: string;
  /** When its current version was last seen (ISO). */
  last_seen_at: string;
  /** Rows read from the current version. */
  rows_read: number;
  /** The cycle's expected posting time (ISO). */
  expected_at: string;
  /** Minutes from the expected posting to the first sighting. */
  lag_minutes: number;
}

/** A failed load. */
export interface FailedLoad {
  /** Gas day. */
  gas_day: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** Why (one line). */
  error: string | null;
  /** When (ISO). */
  finished_at: string | null;
  /** Whether the same bytes will fail again. */
  terminal: boolean;
}

/** A quarantined row. */
export interface QuarantinedRow {
  /** Gas day. */
  gas_day: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** Line of the file (1 = header). */
  line_no: number;
  /** Why it was refused. */
  reason: string;
  /** The record as published. */
  raw_line: string;
}

/** What the overview shows of one source. */
export interface SourceOverview {
  /** The source's latest load, if any. */
  latest?: LatestLoad;
  /** Cells of the window, sparse (only what the ledger or poll state has). */
  cells: GridCell[];
  /** The latest failures, newest first. */
  failures: FailedLoad[];
  /** The latest quarantined rows, newest first. */
  quarantined: QuarantinedRow[];
  /** Quarantined rows in the window, all of them. */
  quarantinedTotal: number;
}

const ISO = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

/**
 * The expected posting instant of a pair (`day`, cycles row `y`) in the zone
 * `$zone` (a parameter): the cycles table holds the NAESB times, equal to the
 * calendar's by test.
 */
const EXPECTED = (day: string, y: string, zone: string) =>
  `(((${day} + ${y}.day_offset) + make_time(${y}.hour, ${y}.minute, 0)) AT TIME ZONE ${zone})`;

/** Minutes from `expected` to `seen`, rounded. */
const LAG = (seen: string, expected: string) =>
  `round(extract(epoch FROM (${seen} - ${expected})) / 60)::int`;

/** The latest loaded (gas day, cycle) of `source`, by gas day then posting order. */
export async function latestLoad(
  q: Queryable,
  schema: string,
  source: string,
  zone: string,
): Promise<LatestLoad | undefined> {
  const s = quoteIdent(schema);
  const expected = EXPECTED("t.gas_day", "t", "$2::text");
  const rows = await q.query<LatestLoad>(
    `WITH latest AS (
       SELECT l.gas_day, l.cycle, l.rows_read, y.day_offset, y.hour, y.minute,
         coalesce(l.last_seen_at, l.finished_at, l.started_at) AS last_seen
       FROM ${s}.load_ledger l JOIN ${s}.cycles y ON y.name = l.cycle
       WHERE l.source = $1 AND l.status = 'loaded'
       ORDER BY l.gas_day DESC, y.ord DESC, l.load_id DESC LIMIT 1)
     SELECT t.gas_day::text AS gas_day, t.cycle, t.rows_read, ${ISO("f.seen")} AS first_seen_at,
       ${ISO("t.last_seen")} AS last_seen_at, ${ISO(expected)} AS expected_at,
       ${LAG("f.seen", expected)} AS lag_minutes
     FROM latest t, LATERAL (
       SELECT min(coalesce(l.first_seen_at, l.started_at)) AS seen FROM ${s}.load_ledger l
       WHERE l.source = $1 AND l.gas_day = t.gas_day AND l.cycle = t.cycle
         AND l.status IN ('loaded', 'replaced')) f`,
    [source, zone],
  );
  return rows[0];
}

/** The last gas day the ledger or the poll state of `source` has, if any. */
export async function lastKnownDay(
  q: Queryable,
  schema: string,
  source: string,
): Promise<IsoDate | undefined> {
  const s = quoteIdent(schema);
  const [r] = await q.query<{ day: string | null }>(
    `SELECT greatest((SELECT max(gas_day) FROM ${s}.load_ledger WHERE source = $1),
                     (SELECT max(gas_day) FROM ${s}.poll_state WHERE source = $1))::text AS day`,
    [source],
  );
  return r?.day ?? undefined;
}

/** The overview of `source` over gas days `from`..`to`. */
export async function sourceOverview(
  q: Queryable,
  schema: string,
  o: { source: string; from: IsoDate; to: IsoDate; limit: number; zone: string },
): Promise<SourceOverview> {
  const s = quoteIdent(schema);
  const p = [o.source, o.from, o.to];
  const expected = EXPECTED("x.gas_day", "y", "$4::text");
  const cells = await q.query<GridCell>(
    `SELECT x.gas_day::text AS gas_day, x.cycle, x.versions, x.failed, x.poll_status,
       x.poll_error, ${ISO("x.first_seen_at")} AS first_seen_at, ${ISO(expected)} AS expected_at,
       ${LAG("x.first_seen_at", expected)} AS lag_minutes
     FROM (
       SELECT coalesce(l.gas_day, p.gas_day) AS gas_day, coalesce(l.cycle, p.cycle) AS cycle,
         coalesce(l.versions, 0)::int AS versions, coalesce(l.failed, 0)::int AS failed,
         p.status AS poll_status, p.last_error AS poll_error, l.first_seen_at
       FROM (SELECT gas_day, cycle, count(*) FILTER (WHERE status = 'loaded') AS versions,
               count(*) FILTER (WHERE status = 'failed') AS failed,
               min(coalesce(first_seen_at, started_at))
                 FILTER (WHERE status IN ('loaded', 'replaced')) AS first_seen_at
             FROM ${s}.load_ledger WHERE source = $1 AND gas_day BETWEEN $2::date AND $3::date
             GROUP BY gas_day, cycle) l
       FULL JOIN (SELECT gas_day, cycle, status, last_error FROM ${s}.poll_state
                  WHERE source = $1 AND gas_day BETWEEN $2::date AND $3::date) p
         ON p.gas_day = l.gas_day AND p.cycle = l.cycle
     ) x JOIN ${s}.cycles y ON y.name = x.cycle`,
    [...p, o.zone],
  );
  const failures = await q.query<FailedLoad>(
    `SELECT gas_day::text AS gas_day, cycle, error, ${ISO("finished_at")} AS finished_at, terminal
     FROM ${s}.load_ledger
     WHERE source = $1 AND status = 'failed' AND gas_day BETWEEN $2::date AND $3::date
     ORDER BY load_id DESC LIMIT $4::int`,
    [...p, o.limit],
  );
  const quarantined = await q.query<QuarantinedRow>(
    `SELECT gas_day::text AS gas_day, cycle, line_no, reason, raw_line FROM ${s}.quarantine
     WHERE source = $1 AND gas_day BETWEEN $2::date AND $3::date
     ORDER BY id DESC LIMIT $4::int`,
    [...p, o.limit],
  );
  const [{ n }] = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${s}.quarantine
     WHERE source = $1 AND gas_day BETWEEN $2::date AND $3::date`,
    p,
  );
  return { cells, failures, quarantined, quarantinedTotal: n };
}

// ---------------------------------------------------------------- one pair

/** One location of a pair, as the capacity relation has it. */
export interface LocationRow {
  /** Source whose file it came from. */
  source: string;
  /** Location. */
  loc: string;
  /** Location name, verbatim. */
  name: string | null;
  /** Zone. */
  zone: string | null;
  /** Flow direction (D, R, ...). */
  flow: string;
  /** Design capacity. */
  dc: Quantity;
  /** Operating capacity. */
  opc: Quantity;
  /** Total scheduled quantity. */
  tsq: Quantity;
  /** Operationally available capacity. */
  oac: Quantity;
  /** TSQ / OPC, as a decimal string. */
  utilisation: string | null;
}

/** Totals of one zone. */
export interface ZoneTotal {
  /** Zone (`null`: no zone given). */
  zone: string | null;
  /** Locations. */
  locations: number;
  /** Sums, decimal strings. */
  dc: Quantity;
  /** Sum of OPC. */
  opc: Quantity;
  /** Sum of TSQ. */
  tsq: Quantity;
  /** Sum of OAC. */
  oac: Quantity;
}

/** A location's change from its previous cycle of the gas day. */
export interface ChangeRow {
  /** Location. */
  loc: string;
  /** Name. */
  name: string | null;
  /** Flow direction. */
  flow: string;
  /** The previous cycle that had it. */
  prev_cycle: string;
  /** OPC change. */
  opc_change: Quantity;
  /** TSQ change. */
  tsq_change: Quantity;
  /** OAC change. */
  oac_change: Quantity;
  /** OAC of the previous cycle, and now. */
  prev_oac: Quantity;
  /** OAC now. */
  oac: Quantity;
}

/** Columns a pair's table can be sorted by, each an expression of a column namer. */
const SORT_COLUMNS = {
  loc: (c: Col) => `${c("loc")} COLLATE "C"`,
  name: (c: Col) => `${c("name")} COLLATE "C"`,
  zone: (c: Col) => `${c("zone")} COLLATE "C"`,
  flow: (c: Col) => `${c("flow")} COLLATE "C"`,
  dc: (c: Col) => c("dc"),
  opc: (c: Col) => c("opc"),
  tsq: (c: Col) => c("tsq"),
  oac: (c: Col) => c("oac"),
  utilisation: (c: Col) => `${c("tsq")}::numeric / nullif(${c("opc")}, 0)`,
  share: (c: Col) => `${c("oac")}::numeric / nullif(${c("opc")}, 0)`,
} as const;

/** A column of the capacity relation as SQL (`t.name`, or the table's `x.loc_name`). */
type Col = (logical: string) => string;

/** The names a pair's table can be sorted by. */
export const SORTS = Object.freeze(Object.keys(SORT_COLUMNS)) as readonly SortColumn[];

/** A sort column. */
export type SortColumn = keyof typeof SORT_COLUMNS;

/** What a pair page selects. */
export interface PairSelection {
  /** Asset. */
  asset: string;
  /** Gas day. */
  gasDay: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** Only this source (every source when absent). */
  source?: string;
  /** Only this zone. */
  zone?: string;
  /** Only names containing this (case-insensitive). */
  name?: string;
  /** Sort column. */
  sort: SortColumn;
  /** Descending. */
  desc: boolean;
}

const viewCol: Col = (n) => `t.${n}`;

/** The WHERE clause and parameters of a pair selection (`c` names the columns). */
function pairFilter(sel: PairSelection, c: Col = viewCol): { where: string; params: unknown[] } {
  const params: unknown[] = [sel.asset, sel.gasDay, sel.cycle];
  const where = [`${c("asset")} = $1`, `${c("gas_day")} = $2::date`, `${c("cycle")} = $3`];
  if (sel.source !== undefined) where.push(`${c("source")} = $${params.push(sel.source)}`);
  if (sel.zone !== undefined) where.push(`${c("zone")} = $${params.push(sel.zone)}`);
  if (sel.name !== undefined) {
    where.push(`strpos(lower(${c("name")}), lower($${params.push(sel.name)})) > 0`);
  }
  return { where: where.join(" AND "), params };
}

/** ORDER BY of a pair selection (NULLs last either way; ties by location). */
function pairOrder(sel: PairSelection, c: Col = viewCol): string {
  const dir = sel.desc ? "DESC" : "ASC";
  return `${SORT_COLUMNS[sel.sort](c)} ${dir} NULLS LAST, ${c("loc")} COLLATE "C", ` +
    `${c("flow")} COLLATE "C", ${c("source")}`;
}

/** The locations of a pair, filtered and sorted. */
export function pairRows(q: Queryable, schema: string, sel: PairSelection): Promise<LocationRow[]> {
  const { where, params } = pairFilter(sel);
  return q.query<LocationRow>(
    `SELECT t.source, t.loc, t.name, t.zone, t.flow, t.dc, t.opc, t.tsq, t.oac,
       t.utilisation::text AS utilisation
     FROM ${CAPACITY(schema)} t WHERE ${where} ORDER BY ${pairOrder(sel)}`,
    params,
  );
}

/** Zone totals of the same selection (what is on screen). */
export function zoneTotals(q: Queryable, schema: string, sel: PairSelection): Promise<ZoneTotal[]> {
  const { where, params } = pairFilter(sel);
  return q.query<ZoneTotal>(
    `SELECT t.zone, count(*)::int AS locations, sum(t.dc)::text AS dc, sum(t.opc)::text AS opc,
       sum(t.tsq)::text AS tsq, sum(t.oac)::text AS oac
     FROM ${CAPACITY(schema)} t WHERE ${where}
     GROUP BY t.zone ORDER BY t.zone COLLATE "C" NULLS LAST`,
    params,
  );
}

/** The zones of a pair (every one, whatever the filter): the filter's choices. */
export async function pairZones(
  q: Queryable,
  schema: string,
  sel: Pick<PairSelection, "asset" | "gasDay" | "cycle">,
): Promise<string[]> {
  const rows = await q.query<{ zone: string }>(
    `SELECT DISTINCT t.zone FROM ${CAPACITY(schema)} t
     WHERE t.asset = $1 AND t.gas_day = $2::date AND t.cycle = $3 AND t.zone IS NOT NULL
     ORDER BY 1`,
    [sel.asset, sel.gasDay, sel.cycle],
  );
  return rows.map((r) => r.zone);
}

/** The cycles of a gas day that have rows, in posting order. */
export async function cyclesOfDay(
  q: Queryable,
  schema: string,
  asset: string,
  gasDay: IsoDate,
): Promise<string[]> {
  const s = quoteIdent(schema);
  const rows = await q.query<{ name: string }>(
    `SELECT y.name FROM ${s}.cycles y
     WHERE EXISTS (SELECT 1 FROM ${CAPACITY(schema)} c
                   WHERE c.asset = $1 AND c.gas_day = $2::date AND c.cycle = y.name)
     ORDER BY y.ord`,
    [asset, gasDay],
  );
  return rows.map((r) => r.name);
}

/**
 * The biggest changes of the pair against each location's previous cycle of
 * the gas day (by the largest of the OPC, TSQ and OAC moves), and how many
 * locations changed at all.
 */
export async function biggestChanges(
  q: Queryable,
  schema: string,
  sel: Pick<PairSelection, "asset" | "gasDay" | "cycle" | "source">,
  limit: number,
): Promise<{ changed: number; rows: ChangeRow[] }> {
  const s = quoteIdent(schema);
  const params: unknown[] = [sel.asset, sel.gasDay, sel.cycle, sel.source ?? null, limit];
  const rows = await q.query<ChangeRow & { changed: number }>(
    `SELECT loc, loc_name AS name, flow_ind AS flow, prev_cycle, opc_change::text AS opc_change,
       tsq_change::text AS tsq_change, oac_change::text AS oac_change, prev_oac::text AS prev_oac,
       oac::text AS oac, count(*) OVER ()::int AS changed
     FROM ${s}.capacity_changes
     WHERE asset = $1 AND gas_day = $2::date AND cycle = $3 AND ($4::text IS NULL OR source = $4)
       AND prev_cycle IS NOT NULL
       AND (opc_change <> 0 OR tsq_change <> 0 OR oac_change <> 0
            OR (opc IS NULL) <> (prev_opc IS NULL) OR (tsq IS NULL) <> (prev_tsq IS NULL))
     ORDER BY greatest(abs(opc_change), abs(tsq_change), abs(oac_change)) DESC NULLS LAST,
       loc COLLATE "C", flow_ind
     LIMIT $5::int`,
    params,
  );
  return { changed: rows[0]?.changed ?? 0, rows };
}

// ---------------------------------------------------------------- one location

/** One (gas day, cycle, flow) of a location. */
export interface SeriesPoint {
  /** Gas day. */
  gas_day: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** Source. */
  source: string;
  /** Flow direction. */
  flow: string;
  /** Name. */
  name: string | null;
  /** Zone. */
  zone: string | null;
  /** Quantities. */
  opc: Quantity;
  /** TSQ. */
  tsq: Quantity;
  /** OAC. */
  oac: Quantity;
}

/** A row version of the location that a later file changed or dropped. */
export interface RevisionRow {
  /** Gas day. */
  gas_day: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** Flow. */
  flow: string;
  /** The values it had. */
  opc: Quantity;
  /** TSQ. */
  tsq: Quantity;
  /** OAC. */
  oac: Quantity;
  /** Valid from (ISO). */
  valid_from: string;
  /** Valid until (ISO). */
  valid_to: string;
}

/** The location's rows over `from`..`to`, in gas day and posting order. */
export function locationSeries(
  q: Queryable,
  schema: string,
  o: { asset: string; loc: string; from: IsoDate; to: IsoDate },
): Promise<SeriesPoint[]> {
  const s = quoteIdent(schema);
  return q.query<SeriesPoint>(
    `SELECT t.gas_day::text AS gas_day, t.cycle, t.source, t.flow, t.name, t.zone,
       t.opc, t.tsq, t.oac
     FROM ${CAPACITY(schema)} t JOIN ${s}.cycles y ON y.name = t.cycle
     WHERE t.asset = $1 AND t.gas_day BETWEEN $3::date AND $4::date AND t.loc = $2
     ORDER BY t.gas_day, y.ord, t.flow COLLATE "C", t.source`,
    [o.asset, o.loc, o.from, o.to],
  );
}

/** The latest gas day of `asset` that has rows (read backwards through the key), if any. */
export async function assetLastDay(
  q: Queryable,
  schema: string,
  asset: string,
): Promise<IsoDate | undefined> {
  const [r] = await q.query<{ day: string | null }>(
    `SELECT max(c.gas_day)::text AS day FROM ${CAPACITY(schema)} c WHERE c.asset = $1`,
    [asset],
  );
  return r?.day ?? undefined;
}

/** The location's retired row versions over `from`..`to`, newest first. */
export function locationRevisions(
  q: Queryable,
  schema: string,
  o: { asset: string; loc: string; from: IsoDate; to: IsoDate; limit: number },
): Promise<RevisionRow[]> {
  const s = quoteIdent(schema);
  return q.query<RevisionRow>(
    `SELECT r.gas_day::text AS gas_day, r.cycle, r.flow_ind AS flow, r.opc, r.tsq, r.oac,
       ${ISO("r.valid_from")} AS valid_from, ${ISO("r.valid_to")} AS valid_to
     FROM ${s}.operational_capacity_retired r
     WHERE r.asset = $1 AND r.gas_day BETWEEN $3::date AND $4::date AND r.loc = $2
     ORDER BY r.valid_to DESC, r.gas_day DESC, r.cycle LIMIT $5::int`,
    [o.asset, o.loc, o.from, o.to, o.limit],
  );
}

// ---------------------------------------------------------------- CSV

/** The report table's names of the capacity relation's columns. */
const TABLE_COLUMNS: Readonly<Record<string, string>> = {
  name: "loc_name",
  zone: "loc_zn",
  flow: "flow_ind",
};
const tableCol: Col = (n) => `x.${quoteIdent(TABLE_COLUMNS[n] ?? n)}`;

/**
 * The CSV of a pair page: the export command's query
 * (`capacityReadQuery`) for the pair, narrowed by the page's filter and in
 * the page's order, so the download is what is on screen in the export's
 * columns.
 */
export function pairCsvQuery(
  exportQuery: { text: string; params: unknown[] },
  sel: PairSelection,
): { text: string; params: unknown[] } {
  const { where, params } = pairFilter(sel, tableCol);
  const shift = exportQuery.params.length;
  const shifted = where.replace(/\$(\d+)/g, (_m, n) => `$${Number(n) + shift}`);
  return {
    text: `SELECT x.* FROM (${exportQuery.text}) x WHERE ${shifted}\nORDER BY ${
      pairOrder(sel, tableCol).replace(/\$(\d+)/g, (_m, n) => `$${Number(n) + shift}`)
    }`,
    params: [...exportQuery.params, ...params],
  };
}

/** The CSV of a location page: the export's query for the range, narrowed to the location. */
export function locationCsvQuery(
  exportQuery: { text: string; params: unknown[] },
  loc: string,
): { text: string; params: unknown[] } {
  const n = exportQuery.params.length + 1;
  return {
    text: `SELECT x.* FROM (${exportQuery.text}) x WHERE x.loc = $${n}\n` +
      `ORDER BY x.gas_day, array_position($3::text[], x.cycle), x.flow_ind COLLATE "C", x.source`,
    params: [...exportQuery.params, loc],
  };
}

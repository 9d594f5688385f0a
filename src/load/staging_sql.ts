/**
 * SQL for loading one file into its report's table: the staging table, the
 * duplicate-key and quarantine steps, the retiring of replaced row versions
 * and the upsert. Pure builders, functions of the report, so the column lists
 * all come from its layout and cannot drift apart; a new report family needs
 * none of its own.
 *
 * The pair is always the same four parameters, in this order: asset, gas day,
 * cycle, source (see {@linkcode PAIR_PARAMS}); the target table's frame is
 * described in `src/reports/report.ts`.
 *
 * The stage of a report is a temporary table of the session, made once per
 * connection and emptied at every commit (`ON COMMIT DELETE ROWS`): creating
 * and dropping one per load cost more than the whole COPY of a real file.
 *
 * @module
 */
import { quoteIdent } from "../db/database.ts";
import { dbColumns, keyColumns, type Layout } from "../reports/layout.ts";
import { type Report, retiredTable } from "../reports/report.ts";

/** The pair's columns in every report table, in parameter order ($1..$4). */
export const PAIR_PARAMS: readonly string[] = ["asset", "gas_day", "cycle", "source"];

const SQL_TYPE = (kind: string) => (kind === "quantity" || kind === "integer" ? "bigint" : "text");

function target(schema: string, report: Report): string {
  return `${quoteIdent(schema)}.${quoteIdent(report.table)}`;
}

/** `asset = $1 AND gas_day = $2::date AND cycle = $3 AND source = $4`, on `alias`. */
function pairWhere(alias = ""): string {
  const a = alias ? `${alias}.` : "";
  return `${a}asset = $1 AND ${a}gas_day = $2::date AND ${a}cycle = $3 AND ${a}source = $4`;
}

/** The report's staging table (`pg_temp."tec_stage_<table>"`). */
export function stageTable(report: Report): string {
  return `pg_temp.${quoteIdent(`tec_stage_${report.table}`)}`;
}

/** Columns of the staging table, in COPY order. */
export function stageColumns(layout: Layout): string[] {
  return ["line_no", "raw_line", "reason", ...dbColumns(layout)];
}

/**
 * Make the report's staging table if this session has none yet, and empty
 * it: an earlier load of the same transaction (a rebuild loads a pair's
 * versions in one) leaves its rows until the commit. Two statements, for the
 * simple protocol. `raw_line` is only filled where quarantine may need it.
 */
export function prepareStageSql(report: Report): string {
  const cols = report.layout.columns.map((c) => `${c.column} ${SQL_TYPE(c.kind)}`).join(", ");
  const name = quoteIdent(`tec_stage_${report.table}`);
  return `CREATE TEMP TABLE IF NOT EXISTS ${name} ` +
    `(line_no integer NOT NULL, raw_line text, reason text, ${cols}) ON COMMIT DELETE ROWS; ` +
    `DELETE FROM ${stageTable(report)}`;
}

/** `COPY` into the staging table. */
export function copyStageSql(report: Report): string {
  return `COPY ${stageTable(report)} (${stageColumns(report.layout).join(", ")}) FROM STDIN`;
}

/** Staged rows past which every load analyses the stage again (a big merge needs fresh statistics). */
export const ANALYZE_FROM_ROWS = 10_000;

/**
 * `ANALYZE` of the stage: temp tables are never auto-analysed, and without
 * statistics the planner takes the stage for one row and joins it in loops
 * (a 287-row revision's merge went from 0.6 to 11 ms). Statistics outlive
 * the commit's emptying, so below {@linkcode ANALYZE_FROM_ROWS} the stage is
 * analysed only the first time a session fills it.
 */
export function analyzeStageSql(report: Report, rows: number): string {
  const stage = stageTable(report);
  if (rows >= ANALYZE_FROM_ROWS) return `ANALYZE ${stage}`;
  const literal = `'${stage.replaceAll("'", "''")}'`;
  return `DO $$ BEGIN
    IF (SELECT reltuples FROM pg_class WHERE oid = ${literal}::regclass) < 0 THEN
      ANALYZE ${stage};
    END IF;
  END $$`;
}

/**
 * Mark every row whose file key occurs more than once: both copies go to
 * quarantine, so neither silently overwrites the other.
 */
export function markDuplicatesSql(report: Report): string {
  const stage = stageTable(report);
  const keys = keyColumns(report.layout);
  const key = keys.join(", ");
  const on = keys.map((k) => `s.${k} = d.${k}`).join(" AND ");
  const describe = keys.map((k) => `'${k}=' || quote_literal(s.${k})`).join(" || ', ' || ");
  return `UPDATE ${stage} s
    SET reason = 'duplicate natural key (' || ${describe} || ') on lines ' || (
      SELECT string_agg(x.line_no::text, ', ' ORDER BY x.line_no) FROM ${stage} x
      WHERE x.reason IS NULL AND ${keys.map((k) => `x.${k} = s.${k}`).join(" AND ")}
    )
    FROM (SELECT ${key} FROM ${stage} WHERE reason IS NULL GROUP BY ${key} HAVING count(*) > 1) d
    WHERE s.reason IS NULL AND ${on}`;
}

/**
 * What the stage holds, in one row: `quarantined` (bad lines), `duplicates`
 * (keys on more than one good line: a merge fails on most by itself, but not
 * when one copy equals the stored row, which it matches without acting, and
 * the other copy wins) and `inserted` (good keys the pair does not hold yet,
 * read before the merge adds them). Parameters: the pair.
 */
export function stageCountsSql(schema: string, report: Report): string {
  const stage = stageTable(report);
  const key = keyColumns(report.layout).join(", ");
  return `SELECT
      (SELECT count(*)::int FROM ${stage} WHERE reason IS NOT NULL) AS quarantined,
      (SELECT count(*)::int FROM (SELECT 1 FROM ${stage} WHERE reason IS NULL
         GROUP BY ${key} HAVING count(*) > 1) d) AS duplicates,
      (SELECT count(*)::int FROM (SELECT ${key} FROM ${stage} WHERE reason IS NULL
         EXCEPT SELECT ${key} FROM ${target(schema, report)} WHERE ${pairWhere()}) n) AS inserted`;
}

/** `COPY` straight into the report's table (used when the pair holds no rows yet). */
export function copyDirectSql(schema: string, report: Report): string {
  return `COPY ${target(schema, report)} (${PAIR_PARAMS.join(", ")}, ${
    dbColumns(report.layout).join(", ")
  }, load_id) FROM STDIN`;
}

/** Rows stored for the pair, as `n`. Parameters: the pair. */
export function countPairSql(schema: string, report: Report): string {
  return `SELECT count(*)::int AS n FROM ${target(schema, report)} WHERE ${pairWhere()}`;
}

/**
 * Plain insert of every good staged row: used when the pair holds no rows yet,
 * where there is nothing to match. Parameters: the pair, load_id.
 */
export function insertFreshSql(schema: string, report: Report): string {
  const cols = dbColumns(report.layout).join(", ");
  return `INSERT INTO ${target(schema, report)} (${PAIR_PARAMS.join(", ")}, ${cols}, load_id)
    SELECT $1, $2::date, $3, $4, ${cols}, $5 FROM ${stageTable(report)} WHERE reason IS NULL`;
}

/**
 * Upsert the good staged rows: insert new keys, update rows whose values
 * changed, leave identical rows untouched (so `load_id` keeps naming the file
 * that introduced the values). Parameters: the pair, load_id.
 */
export function mergeSql(schema: string, report: Report): string {
  const layout = report.layout;
  const cols = dbColumns(layout);
  const nonKey = layout.columns.filter((c) => !c.key).map((c) => c.column);
  const keyOn = keyColumns(layout).map((k) => `t.${k} = s.${k}`).join(" AND ");
  const differs = `(${nonKey.map((c) => `t.${c}`).join(", ")}) IS DISTINCT FROM (${
    nonKey.map((c) => `s.${c}`).join(", ")
  })`;
  return `MERGE INTO ${target(schema, report)} AS t
    USING (SELECT * FROM ${stageTable(report)} WHERE reason IS NULL) AS s
    ON ${pairWhere("t")} AND ${keyOn}
    WHEN MATCHED AND ${differs} THEN
      UPDATE SET ${nonKey.map((c) => `${c} = s.${c}`).join(", ")}, load_id = $5, updated_at = now()
    WHEN NOT MATCHED THEN
      INSERT (${PAIR_PARAMS.join(", ")}, ${cols.join(", ")}, load_id)
      VALUES ($1, $2::date, $3, $4, ${cols.map((c) => `s.${c}`).join(", ")}, $5)`;
}

/** `s.<key> = t.<key> AND ...` for the layout's key columns. */
function keyMatch(layout: Layout, alias = "s"): string {
  return keyColumns(layout).map((k) => `${alias}.${k} = t.${k}`).join(" AND ");
}

/**
 * The pair's stored keys whose row the file does not repeat exactly on a
 * good line (dropped, or changed), less those the file has on bad lines
 * only (a bad cell is not a deletion). Set differences, linear whatever the
 * planner's estimates (an anti join planned as a loop scans the stage once
 * per stored row, and the planner often guesses a pair holds one row: the
 * table's statistics lag its loads).
 */
function replacedKeys(schema: string, report: Report): string {
  const stage = stageTable(report);
  const keys = keyColumns(report.layout).join(", ");
  const all = dbColumns(report.layout).join(", ");
  return `(SELECT ${keys} FROM (SELECT ${all} FROM ${target(schema, report)} WHERE ${pairWhere()}
        EXCEPT SELECT ${all} FROM ${stage} WHERE reason IS NULL) x
      EXCEPT (SELECT ${keys} FROM ${stage} WHERE reason IS NOT NULL
        EXCEPT SELECT ${keys} FROM ${stage} WHERE reason IS NULL))`;
}

/**
 * Close the row versions the new file replaces, and delete the dropped ones,
 * before it is merged, in one statement: every row of the pair whose key the
 * file does not repeat exactly on a good line is retired (valid from its
 * version's first sighting to the new version's); those whose key the file
 * no longer has on any line are deleted, and counted as `deleted`. A key the
 * file has on bad lines only keeps its row: a bad cell is not a deletion.
 * (Both parts read the pair as it was before the statement.) Parameters: the
 * pair, load_id (the new version), seen_at (its first sighting).
 */
export function replaceSql(schema: string, report: Report): string {
  const cols = [...PAIR_PARAMS, ...dbColumns(report.layout), "load_id"];
  const keys = keyColumns(report.layout).join(", ");
  return `WITH r AS MATERIALIZED ${replacedKeys(schema, report)},
    retired AS (
      INSERT INTO ${quoteIdent(schema)}.${quoteIdent(retiredTable(report))}
        (${cols.join(", ")}, valid_from, valid_to, load_id_to)
      SELECT ${cols.map((c) => `t.${c}`).join(", ")},
        (SELECT coalesce(l.first_seen_at, l.started_at) FROM ${quoteIdent(schema)}.load_ledger l
         WHERE l.load_id = t.load_id), $6::timestamptz, $5::bigint
      FROM r JOIN ${target(schema, report)} t
        ON ${pairWhere("t")} AND ${keyMatch(report.layout, "r")}),
    gone AS (
      DELETE FROM ${target(schema, report)} t
      USING (SELECT ${keys} FROM r EXCEPT SELECT ${keys} FROM ${stageTable(report)}) g
      WHERE ${pairWhere("t")} AND ${keyMatch(report.layout, "g")} RETURNING 1)
    SELECT count(*)::int AS deleted FROM gone`;
}

/**
 * Around the statements that join the stage with the pair's stored rows:
 * hash joins only. The planner often takes the pair for one row (the table's
 * statistics lag its loads) and would join in a loop that scans the pair once
 * per staged row: harmless for 287 rows, hours for a million (measured).
 * Transaction-local, and set back right after.
 */
export const HASH_JOINS_ONLY: readonly [string, string] = [
  "SET LOCAL enable_nestloop = off",
  "SET LOCAL enable_nestloop TO DEFAULT",
];

/**
 * Delete every row of a pair, current and retired (a rebuild derives them
 * again from the archive): one statement per table. Parameters: the pair.
 */
export function clearPairSql(schema: string, report: Report): string[] {
  const retired = `${quoteIdent(schema)}.${quoteIdent(retiredTable(report))}`;
  return [target(schema, report), retired].map((t) => `DELETE FROM ${t} WHERE ${pairWhere()}`);
}

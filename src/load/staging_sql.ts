/**
 * SQL for loading one file into its report's table: the temporary staging
 * table, the duplicate-key and quarantine steps, and the upsert. Pure
 * builders, functions of the report, so the column lists all come from its
 * layout and cannot drift apart; a new report family needs none of its own.
 *
 * The pair is always the same four parameters, in this order: asset, gas day,
 * cycle, source (see {@linkcode PAIR_PARAMS}); the target table's frame is
 * described in `src/reports/report.ts`.
 *
 * @module
 */
import { quoteIdent } from "../db/database.ts";
import { dbColumns, keyColumns, type Layout } from "../reports/layout.ts";
import { type Report, retiredTable } from "../reports/report.ts";

/** Name of the per-transaction staging table. */
export const STAGE = "pg_temp.tec_stage";

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

/** Columns of the staging table, in COPY order. */
export function stageColumns(layout: Layout): string[] {
  return ["line_no", "raw_line", "reason", ...dbColumns(layout)];
}

/**
 * `CREATE TEMP TABLE` for the staging table (dropped at commit, or with the
 * savepoint that created it), after dropping the one an earlier load of the
 * same transaction left (a rebuild loads a pair's versions in one). Two
 * statements, for the simple protocol. `raw_line` is only filled where
 * quarantine may need it.
 */
export function createStageSql(layout: Layout): string {
  const cols = layout.columns.map((c) => `${c.column} ${SQL_TYPE(c.kind)}`).join(", ");
  return `DROP TABLE IF EXISTS ${STAGE}; ` +
    `CREATE TEMP TABLE tec_stage (line_no integer NOT NULL, raw_line text, reason text, ${cols}) ON COMMIT DROP`;
}

/** `COPY` into the staging table. */
export function copyStageSql(layout: Layout): string {
  return `COPY ${STAGE} (${stageColumns(layout).join(", ")}) FROM STDIN`;
}

/**
 * Mark every row whose file key occurs more than once: both copies go to
 * quarantine, so neither silently overwrites the other.
 */
export function markDuplicatesSql(layout: Layout): string {
  const keys = keyColumns(layout);
  const key = keys.join(", ");
  const on = keys.map((k) => `s.${k} = d.${k}`).join(" AND ");
  const describe = keys.map((k) => `'${k}=' || quote_literal(s.${k})`).join(" || ', ' || ");
  return `UPDATE ${STAGE} s
    SET reason = 'duplicate natural key (' || ${describe} || ') on lines ' || (
      SELECT string_agg(x.line_no::text, ', ' ORDER BY x.line_no) FROM ${STAGE} x
      WHERE x.reason IS NULL AND ${keys.map((k) => `x.${k} = s.${k}`).join(" AND ")}
    )
    FROM (SELECT ${key} FROM ${STAGE} WHERE reason IS NULL GROUP BY ${key} HAVING count(*) > 1) d
    WHERE s.reason IS NULL AND ${on}`;
}

/**
 * Good staged rows whose key another good row has, as `n`. A merge fails on
 * most duplicates by itself, but not when one copy equals the stored row (it
 * matches without acting, and the other copy wins): this finds them all.
 */
export function countDuplicatesSql(layout: Layout): string {
  const key = keyColumns(layout).join(", ");
  return `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${STAGE} WHERE reason IS NULL
    GROUP BY ${key} HAVING count(*) > 1) d`;
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
    SELECT $1, $2::date, $3, $4, ${cols}, $5 FROM ${STAGE} WHERE reason IS NULL`;
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
    USING (SELECT * FROM ${STAGE} WHERE reason IS NULL) AS s
    ON ${pairWhere("t")} AND ${keyOn}
    WHEN MATCHED AND ${differs} THEN
      UPDATE SET ${nonKey.map((c) => `${c} = s.${c}`).join(", ")}, load_id = $5, updated_at = now()
    WHEN NOT MATCHED THEN
      INSERT (${PAIR_PARAMS.join(", ")}, ${cols.join(", ")}, load_id)
      VALUES ($1, $2::date, $3, $4, ${cols.map((c) => `s.${c}`).join(", ")}, $5)`;
}

/** `s.<key> = t.<key> AND ...` for the layout's key columns. */
function keyMatch(layout: Layout): string {
  return keyColumns(layout).map((k) => `s.${k} = t.${k}`).join(" AND ");
}

/** The layout's non-key columns of `a` and `b` differ (NULL-aware). */
function valuesDiffer(layout: Layout, a: string, b: string): string {
  const nonKey = layout.columns.filter((c) => !c.key).map((c) => c.column);
  return `(${nonKey.map((c) => `${a}.${c}`).join(", ")}) IS DISTINCT FROM (${
    nonKey.map((c) => `${b}.${c}`).join(", ")
  })`;
}

/**
 * Close the row versions the new file replaces, before it is merged: the
 * pair's rows whose key the file no longer has (deleted), and those a good
 * row of the file changes. A key the file still has on a bad row keeps its
 * row: a bad cell is not a deletion. Each retired row is valid from its
 * version's first sighting to the new version's. Parameters: the pair,
 * load_id (the new version), seen_at (its first sighting).
 */
export function retireSql(schema: string, report: Report): string {
  const layout = report.layout;
  const cols = [...PAIR_PARAMS, ...dbColumns(layout), "load_id"];
  return `INSERT INTO ${quoteIdent(schema)}.${quoteIdent(retiredTable(report))}
      (${cols.join(", ")}, valid_from, valid_to, load_id_to)
    SELECT ${cols.map((c) => `t.${c}`).join(", ")}, coalesce(l.first_seen_at, l.started_at),
      $6::timestamptz, $5
    FROM ${target(schema, report)} t JOIN ${
    quoteIdent(schema)
  }.load_ledger l ON l.load_id = t.load_id
    WHERE ${pairWhere("t")} AND (
      NOT EXISTS (SELECT 1 FROM ${STAGE} s WHERE ${keyMatch(layout)})
      OR EXISTS (SELECT 1 FROM ${STAGE} s
                 WHERE s.reason IS NULL AND ${keyMatch(layout)} AND ${
    valuesDiffer(layout, "s", "t")
  }))`;
}

/**
 * Delete every row of a pair, current and retired (a rebuild derives them
 * again from the archive): one statement per table. Parameters: the pair.
 */
export function clearPairSql(schema: string, report: Report): string[] {
  const retired = `${quoteIdent(schema)}.${quoteIdent(retiredTable(report))}`;
  return [target(schema, report), retired].map((t) => `DELETE FROM ${t} WHERE ${pairWhere()}`);
}

/**
 * Delete the pair's rows whose key the new file no longer has (good or bad);
 * the command tag's count is the `deleted` count. Parameters: the pair.
 */
export function deleteMissingSql(schema: string, report: Report): string {
  return `DELETE FROM ${target(schema, report)} t
    WHERE ${pairWhere("t")} AND NOT EXISTS (SELECT 1 FROM ${STAGE} s WHERE ${
    keyMatch(report.layout)
  })`;
}

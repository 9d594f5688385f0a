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
import type { Report } from "../reports/report.ts";

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
 * savepoint that created it). `raw_line` is only filled where quarantine may
 * need it.
 */
export function createStageSql(layout: Layout): string {
  const cols = layout.columns.map((c) => `${c.column} ${SQL_TYPE(c.kind)}`).join(", ");
  return `CREATE TEMP TABLE tec_stage (line_no integer NOT NULL, raw_line text, reason text, ${cols}) ON COMMIT DROP`;
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

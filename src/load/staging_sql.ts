/**
 * SQL for loading one file: the temporary staging table, the duplicate-key and
 * quarantine steps, and the upsert into the target table. Pure builders; the
 * column lists all come from the layout so they cannot drift apart.
 *
 * @module
 */
import { CAPACITY_COLUMNS, FILE_KEY_COLUMNS } from "../parse/capacity_layout.ts";
import { quoteIdent } from "../db/database.ts";

/** Name of the per-transaction staging table. */
export const STAGE = "pg_temp.tec_stage";

const COLS = CAPACITY_COLUMNS.map((c) => c.column);
const NON_KEY = CAPACITY_COLUMNS.filter((c) => !c.key).map((c) => c.column);
const SQL_TYPE = (kind: string) => (kind === "quantity" ? "bigint" : "text");

/** Columns of the staging table, in COPY order. */
export const STAGE_COLUMNS: readonly string[] = ["line_no", "raw_line", "reason", ...COLS];

/**
 * `CREATE TEMP TABLE` for the staging table (dropped at commit, or with the
 * savepoint that created it). `raw_line` is only filled where quarantine may
 * need it.
 */
export function createStageSql(): string {
  const cols = CAPACITY_COLUMNS.map((c) => `${c.column} ${SQL_TYPE(c.kind)}`).join(", ");
  return `CREATE TEMP TABLE tec_stage (line_no integer NOT NULL, raw_line text, reason text, ${cols}) ON COMMIT DROP`;
}

/** `COPY` into the staging table. */
export function copyStageSql(): string {
  return `COPY ${STAGE} (${STAGE_COLUMNS.join(", ")}) FROM STDIN`;
}

/**
 * Mark every row whose file key (loc, flow_ind) occurs more than once: both
 * copies go to quarantine, so neither silently overwrites the other.
 */
export function markDuplicatesSql(): string {
  const key = FILE_KEY_COLUMNS.join(", ");
  const on = FILE_KEY_COLUMNS.map((k) => `s.${k} = d.${k}`).join(" AND ");
  const describe = FILE_KEY_COLUMNS.map((k) => `'${k}=' || quote_literal(s.${k})`).join(
    " || ', ' || ",
  );
  return `UPDATE ${STAGE} s
    SET reason = 'duplicate natural key (' || ${describe} || ') on lines ' || (
      SELECT string_agg(x.line_no::text, ', ' ORDER BY x.line_no) FROM ${STAGE} x
      WHERE x.reason IS NULL AND ${FILE_KEY_COLUMNS.map((k) => `x.${k} = s.${k}`).join(" AND ")}
    )
    FROM (SELECT ${key} FROM ${STAGE} WHERE reason IS NULL GROUP BY ${key} HAVING count(*) > 1) d
    WHERE s.reason IS NULL AND ${on}`;
}

/**
 * Copy quarantined rows out; returns their count as `n`.
 * Parameters: load_id, asset, gas_day, cycle, sha256.
 */
export function quarantineSql(schema: string): string {
  return `WITH q AS (
      INSERT INTO ${quoteIdent(schema)}.quarantine
        (load_id, asset, gas_day, cycle, sha256, line_no, raw_line, reason)
      SELECT $1, $2, $3, $4, $5, line_no, raw_line, reason FROM ${STAGE} WHERE reason IS NOT NULL
      RETURNING 1)
    SELECT count(*)::int AS n FROM q`;
}

/** `COPY` straight into the target table (used when the pair holds no rows yet). */
export function copyDirectSql(schema: string, table: string): string {
  return `COPY ${quoteIdent(schema)}.${quoteIdent(table)} (asset, gas_day, cycle, ${
    COLS.join(", ")
  }, load_id) FROM STDIN`;
}

/**
 * Quarantine rows kept aside in memory; returns their count as `n`.
 * Parameters: load_id, asset, gas_day, cycle, sha256, line numbers, raw lines, reasons.
 */
export function quarantineRowsSql(schema: string): string {
  return `WITH q AS (
      INSERT INTO ${quoteIdent(schema)}.quarantine
        (load_id, asset, gas_day, cycle, sha256, line_no, raw_line, reason)
      SELECT $1, $2, $3, $4, $5, u.line_no, u.raw_line, u.reason
      FROM unnest($6::int[], $7::text[], $8::text[]) AS u(line_no, raw_line, reason)
      RETURNING 1)
    SELECT count(*)::int AS n FROM q`;
}

/** Rows stored for one (asset, gas day, cycle), as `n`. Parameters: asset, gas_day, cycle. */
export function countPairSql(schema: string, table: string): string {
  return `SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.${quoteIdent(table)}
    WHERE asset = $1 AND gas_day = $2::date AND cycle = $3`;
}

/**
 * Plain insert of every good staged row: used when the pair holds no rows yet,
 * where there is nothing to match. Parameters: asset, gas_day, cycle, load_id.
 */
export function insertFreshSql(schema: string, table: string): string {
  return `INSERT INTO ${quoteIdent(schema)}.${quoteIdent(table)} (asset, gas_day, cycle, ${
    COLS.join(", ")
  }, load_id)
    SELECT $1, $2::date, $3, ${COLS.join(", ")}, $4 FROM ${STAGE} WHERE reason IS NULL`;
}

/**
 * Upsert the good staged rows: insert new keys, update rows whose values
 * changed, leave identical rows untouched (so `load_id` keeps naming the file
 * that introduced the values). Parameters: asset, gas_day, cycle, load_id.
 */
export function mergeSql(schema: string, table: string): string {
  const target = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  const keyOn = FILE_KEY_COLUMNS.map((k) => `t.${k} = s.${k}`).join(" AND ");
  const differs = `(${NON_KEY.map((c) => `t.${c}`).join(", ")}) IS DISTINCT FROM (${
    NON_KEY.map((c) => `s.${c}`).join(", ")
  })`;
  return `MERGE INTO ${target} AS t
    USING (SELECT * FROM ${STAGE} WHERE reason IS NULL) AS s
    ON t.asset = $1 AND t.gas_day = $2::date AND t.cycle = $3 AND ${keyOn}
    WHEN MATCHED AND ${differs} THEN
      UPDATE SET ${NON_KEY.map((c) => `${c} = s.${c}`).join(", ")}, load_id = $4, updated_at = now()
    WHEN NOT MATCHED THEN
      INSERT (asset, gas_day, cycle, ${COLS.join(", ")}, load_id)
      VALUES ($1, $2::date, $3, ${COLS.map((c) => `s.${c}`).join(", ")}, $4)`;
}

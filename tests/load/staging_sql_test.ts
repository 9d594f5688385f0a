import assert from "node:assert/strict";
import {
  copyDirectSql,
  copyStageSql,
  insertFreshSql,
  markDuplicatesSql,
  mergeSql,
  prepareStageSql,
  stageColumns,
  stageTable,
} from "../../src/load/staging_sql.ts";
import { FAMILY_A } from "../../src/reports/family_a/report.ts";
import type { Report } from "../../src/reports/report.ts";

const LAYOUT = FAMILY_A.layout;
/** The family-A report under another table name (quoting tests). */
const odd: Report = { ...FAMILY_A, table: "Cap Table" };

/** The 15 published columns in published order, then the split TSQ's two optional parts. */
const COLS = [
  "loc",
  "loc_zn",
  "loc_name",
  "loc_purp_desc",
  "loc_qti",
  "flow_ind",
  "dc",
  "opc",
  "tsq",
  "oac",
  "it",
  "auth_overrun_ind",
  "nom_cap_exceed_ind",
  "all_qty_avail",
  "qty_reason",
  "tsq_rec",
  "tsq_del",
];
const COL_LIST = COLS.join(", ");
const NON_KEY = COLS.filter((c) => c !== "loc" && c !== "flow_ind");

/** Collapse white space so layout changes in the SQL text do not matter. */
function flat(sql: string): string {
  return sql.replace(/\s+/g, " ").trim();
}

const STAGE = 'pg_temp."tec_stage_operational_capacity"';

Deno.test("staging table name (one per report) and COPY column order", () => {
  assert.equal(stageTable(FAMILY_A), STAGE);
  assert.equal(stageTable(odd), 'pg_temp."tec_stage_Cap Table"');
  assert.deepEqual(stageColumns(LAYOUT), ["line_no", "raw_line", "reason", ...COLS]);
  assert.equal(
    copyStageSql(FAMILY_A),
    `COPY ${STAGE} (line_no, raw_line, reason, ${COL_LIST}) FROM STDIN`,
  );
});

Deno.test("prepareStageSql: 17 typed columns in layout order, made once a session, emptied", () => {
  const sql = flat(prepareStageSql(FAMILY_A));
  assert.match(
    sql,
    /^CREATE TEMP TABLE IF NOT EXISTS "tec_stage_operational_capacity" \(/,
  );
  // Emptied at every commit; emptied first too, for a second load in one transaction (a rebuild).
  assert.ok(sql.endsWith(` ON COMMIT DELETE ROWS; DELETE FROM ${STAGE}`), sql);
  assert.ok(
    sql.includes(
      "loc text, loc_zn text, loc_name text, loc_purp_desc text, loc_qti text, flow_ind text, " +
        "dc bigint, opc bigint, tsq bigint, oac bigint, it text, auth_overrun_ind text, " +
        "nom_cap_exceed_ind text, all_qty_avail text, qty_reason text, tsq_rec bigint, " +
        "tsq_del bigint)",
    ),
    sql,
  );
  assert.match(sql, /\(line_no integer NOT NULL, raw_line text[^,]*, reason text, loc text/);
});

Deno.test("mergeSql: quoted schema and table, keyed on the pair (source included), loc, flow_ind", () => {
  const sql = flat(mergeSql("staging", FAMILY_A));
  assert.match(sql, /^MERGE INTO "staging"\."operational_capacity" AS t /);
  assert.ok(
    sql.includes(
      "ON t.asset = $1 AND t.gas_day = $2::date AND t.cycle = $3 AND t.source = $4 AND " +
        "t.loc = s.loc AND t.flow_ind = s.flow_ind WHEN MATCHED",
    ),
    sql,
  );
  assert.ok(sql.includes(`USING (SELECT * FROM ${STAGE} WHERE reason IS NULL) AS s`), sql);
  // Only changed rows are updated; the key columns are never rewritten.
  assert.ok(
    sql.includes(
      `WHEN MATCHED AND (${NON_KEY.map((c) => `t.${c}`).join(", ")}) IS DISTINCT FROM (${
        NON_KEY.map((c) => `s.${c}`).join(", ")
      }) THEN`,
    ),
    sql,
  );
  assert.ok(
    sql.includes(`UPDATE SET ${NON_KEY.map((c) => `${c} = s.${c}`).join(", ")}, load_id = $5`),
    sql,
  );
  assert.ok(!/UPDATE SET[^]*\bloc = s\.loc\b[^]*WHEN NOT MATCHED/.test(sql), sql);
  assert.ok(
    sql.includes(
      `WHEN NOT MATCHED THEN INSERT (asset, gas_day, cycle, source, ${COL_LIST}, load_id) ` +
        `VALUES ($1, $2::date, $3, $4, ${COLS.map((c) => `s.${c}`).join(", ")}, $5)`,
    ),
    sql,
  );
});

Deno.test("mergeSql and insertFreshSql quote odd identifiers safely", () => {
  const sql = flat(mergeSql('we"ird', odd));
  assert.match(sql, /^MERGE INTO "we""ird"\."Cap Table" AS t /);
  const ins = flat(insertFreshSql('we"ird', odd));
  assert.match(ins, /^INSERT INTO "we""ird"\."Cap Table" \(/);
});

Deno.test("insertFreshSql: every column in layout order from the good staged rows", () => {
  assert.equal(
    flat(insertFreshSql("staging", FAMILY_A)),
    `INSERT INTO "staging"."operational_capacity" (asset, gas_day, cycle, source, ${COL_LIST}, load_id) ` +
      `SELECT $1, $2::date, $3, $4, ${COL_LIST}, $5 FROM ${STAGE} WHERE reason IS NULL`,
  );
});

Deno.test("copyDirectSql: the pair's columns, the layout's, then the load", () => {
  assert.equal(
    flat(copyDirectSql("staging", FAMILY_A)),
    `COPY "staging"."operational_capacity" (asset, gas_day, cycle, source, ${COL_LIST}, load_id) FROM STDIN`,
  );
});

Deno.test("markDuplicatesSql: groups good rows by loc and flow_ind", () => {
  const sql = flat(markDuplicatesSql(FAMILY_A));
  assert.ok(
    sql.includes(
      `FROM (SELECT loc, flow_ind FROM ${STAGE} WHERE reason IS NULL ` +
        "GROUP BY loc, flow_ind HAVING count(*) > 1) d",
    ),
    sql,
  );
  assert.ok(
    sql.endsWith("WHERE s.reason IS NULL AND s.loc = d.loc AND s.flow_ind = d.flow_ind"),
    sql,
  );
  assert.ok(sql.includes("x.loc = s.loc AND x.flow_ind = s.flow_ind"), sql);
});

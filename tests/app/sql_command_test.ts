/**
 * `tec-pipeline sql`, on whichever engine the suite runs: the three formats
 * of one result, exact values (a bigint past 2^53, a date, NULL, text with
 * commas, quotes and newlines), a write refused by the read-only
 * transaction, and the argument checks.
 */
import assert from "node:assert/strict";
import { parseSqlRequest, runSql, type SqlRequest } from "../../src/app/commands/sql.ts";
import { loadConfig } from "../../src/config/load.ts";
import { InvalidRequestError } from "../../src/domain/errors.ts";
import { systemClock } from "../../src/daemon/clock.ts";
import { freshDatabase } from "../support/db.ts";
import { memoryLogger, programEnv } from "../support/env.ts";

const QUERY = `SELECT 9007199254740993::bigint AS big, 7::int AS small, date '2024-01-17' AS day,
  NULL::text AS nothing, E'a, "b"\\nc' AS txt`;

async function run(req: SqlRequest, isTerminal = false) {
  const t = await freshDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tec-sql-" });
  try {
    const env = programEnv({ apiUrl: "http://127.0.0.1:9", db: t.config, dataDir: `${dir}/data` });
    const { config } = await loadConfig({ env });
    const { log, lines } = memoryLogger();
    let out = "";
    const dec = new TextDecoder();
    const code = await runSql(
      { config, log, clock: systemClock, print: () => {}, printError: (e) => assert.fail(e) },
      req,
      { write: (b) => Promise.resolve(void (out += dec.decode(b))), isTerminal },
    );
    return { code, out, logs: lines.map((l) => JSON.parse(l)) };
  } finally {
    await t.drop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("sql: CSV quotes what needs it and keeps every digit", async () => {
  const r = await run(parseSqlRequest({ query: QUERY, format: "csv" }, false));
  assert.equal(r.code, 0);
  assert.equal(
    r.out,
    'big,small,day,nothing,txt\r\n9007199254740993,7,2024-01-17,,"a, ""b""\nc"\r\n',
  );
});

Deno.test("sql: JSON is an array of objects, with exact values and null", async () => {
  const r = await run(parseSqlRequest({ query: QUERY, format: "json" }, false));
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out), [{
    big: "9007199254740993",
    small: 7,
    day: "2024-01-17",
    nothing: null,
    txt: 'a, "b"\nc',
  }]);
});

Deno.test("sql: on a terminal the default is an aligned table, numbers to the right", async () => {
  const req = parseSqlRequest({
    query: "SELECT * FROM (VALUES (1, 'x'), (1000, 'longer')) v(n, s)",
  }, true);
  assert.equal(req.format, "table");
  const r = await run(req, true);
  assert.equal(r.code, 0);
  const lines = r.out.trimEnd().split("\n");
  const bars = new Set(lines.slice(0, -1).map((l) => l.search(/[|+]/)));
  assert.equal(bars.size, 1, `the columns line up:\n${r.out}`);
  assert.ok(lines.some((l) => /^ {3}1 \| x$/.test(l)), `1 is right-aligned:\n${r.out}`);
  assert.match(r.out, /\(2 rows\)/);
});

Deno.test("sql: a statement that writes is refused by the read-only transaction, exit 1", async () => {
  const r = await run(parseSqlRequest({
    query: "SELECT 1 FROM (SELECT set_config('x.y', '1', false)) s, " +
      "LATERAL (SELECT nextval('staging.load_ledger_load_id_seq')) n",
    format: "csv",
  }, false));
  assert.equal(r.code, 1);
  const failed = r.logs.find((l) => l.event === "sql.failed");
  assert.match(String(failed?.reason), /read-only/);
  assert.equal(r.out, "", "no half result");
});

Deno.test("sql: a statement that is not a query is refused as read-only on either engine", async () => {
  for (const query of ["CREATE TABLE x (a int)", "  -- note\nDELETE FROM staging.load_ledger"]) {
    const r = await run(parseSqlRequest({ query, format: "csv" }, false));
    assert.equal(r.code, 1, query);
    const failed = r.logs.find((l) => l.event === "sql.failed");
    assert.match(String(failed?.reason), /read-only transaction/, query);
  }
});

Deno.test("sql: a missing query or an unknown format is a one-line error naming it", () => {
  assert.throws(() => parseSqlRequest({ query: "  ;" }, false), InvalidRequestError);
  assert.throws(
    () => parseSqlRequest({ query: "select 1", format: "xml" }, false),
    (e: Error) =>
      e instanceof InvalidRequestError && /--format.*table, csv, json.*"xml"/.test(e.message),
  );
  assert.equal(parseSqlRequest({ query: "select 1;" }, false).query, "select 1");
  assert.equal(parseSqlRequest({ query: "select 1" }, false).format, "csv");
});

/**
 * Reports are data: a second family, defined here in the test alone (its
 * layout, its table, its URL), goes through the real classifier, parser and
 * loader without a line of them changed.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { loadFile } from "../../src/load/load_file.ts";
import { migrate } from "../../src/db/migrate.ts";
import { findCycle } from "../../src/domain/cycles.ts";
import { classifyBody } from "../../src/source/classify.ts";
import { findReport, registerReport } from "../../src/reports/registry.ts";
import type { Report } from "../../src/reports/report.ts";
import { freshDatabase } from "../support/db.ts";

/** A made-up family: padded cells, a spelled-out code, a signed number, a header alias. */
const SECOND: Report = registerReport({
  id: "test-second-family",
  table: "second_capacity",
  layout: {
    columns: [
      { header: "Point", column: "point", kind: "text", key: true, normalise: (v) => v.trim() },
      {
        header: "Purpose",
        column: "purpose",
        kind: "code",
        codes: ["MQ", "M2"],
        normalise: (v) => ({ "Delivery Location": "MQ", "Receipt Location": "M2" })[v.trim()] ?? v,
      },
      { header: "Capacity", aliases: ["Cap"], column: "capacity", kind: "quantity" },
      { header: "Miles", column: "miles", kind: "integer" },
    ],
  },
  reservedParams: ["day", "run"],
  url: (s, r) => `${s.baseUrl}/second/${s.asset}?day=${r.gasDay}&run=${r.cycle.id}`,
});

const TABLE = `CREATE TABLE staging.second_capacity (
  asset text NOT NULL, gas_day date NOT NULL, cycle text NOT NULL, source text NOT NULL,
  point text NOT NULL, purpose text, capacity bigint, miles bigint,
  load_id bigint NOT NULL, first_loaded_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset, gas_day, cycle, source, point))`;

const FILE = [
  `"Point","Purpose","Cap","Miles","Comment"`,
  `"00387   ","Delivery Location","1200","-12","x"`,
  `"LEE8    ","Receipt Location","","40","y"`,
  `"BAD1    ","Sideways","5","1","z"`,
].join("\r\n") + "\r\n";

Deno.test("a second report family loads through the unchanged loader", async () => {
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    await t.db.query(TABLE);
    const bytes = new TextEncoder().encode(FILE);
    assert.equal(findReport("test-second-family"), SECOND, "registered by its own module");
    assert.deepEqual(
      classifyBody({ layout: SECOND.layout, prefix: bytes, totalBytes: bytes.length }),
      { kind: "csv" },
    );
    const r = await loadFile(t.db, {
      schema: "staging",
      report: SECOND,
      source: "second-x",
      asset: "X",
      gasDay: "2024-01-17",
      cycle: findCycle("timely")!,
      url: SECOND.url(
        { asset: "X", baseUrl: "http://site", searchType: "", params: {} },
        { gasDay: "2024-01-17", cycle: findCycle("timely")! },
      ),
      sha256: createHash("sha256").update(bytes).digest("hex"),
      bytes: bytes.length,
      open: () => Promise.resolve(new Blob([bytes]).stream()),
    });
    assert.equal(r.status, "loaded");
    if (r.status !== "loaded") return;
    assert.deepEqual(r.counts, {
      rowsRead: 3,
      inserted: 2,
      updated: 0,
      unchanged: 0,
      quarantined: 1,
      deleted: 0,
    });
    assert.deepEqual(r.extraHeaders, ["Comment"]);
    const rows = await t.db.query(
      `SELECT point, purpose, capacity::int AS capacity, miles::int AS miles, source
       FROM staging.second_capacity ORDER BY point`,
    );
    assert.deepEqual(rows, [
      { point: "00387", purpose: "MQ", capacity: 1200, miles: -12, source: "second-x" },
      { point: "LEE8", purpose: "M2", capacity: null, miles: 40, source: "second-x" },
    ]);
    const [q] = await t.db.query<{ line_no: number; reason: string; report: string }>(
      "SELECT line_no, reason, report FROM staging.quarantine",
    );
    assert.equal(q.line_no, 4);
    assert.equal(q.report, "test-second-family");
    assert.match(q.reason, /column "Purpose" \(field 2\): expected one of MQ\/M2, got "Sideways"/);
    const [ledger] = await t.db.query<{ report: string; url: string }>(
      "SELECT report, url FROM staging.load_ledger",
    );
    assert.deepEqual(ledger, {
      report: "test-second-family",
      url: "http://site/second/X?day=2024-01-17&run=timely",
    });
  } finally {
    await t.drop();
  }
});

/**
 * Header variants: FGT's reported split TSQ (`TSQ (Rec)` / `TSQ (Del)`) is
 * read, both parts kept and TSQ derived; a source's own header aliases are
 * accepted for that source only, and their mistakes named (the configuration
 * side: tests/config/presets_test.ts).
 */
import assert from "node:assert/strict";
import { convertRow, HeaderError, mapHeader } from "../../src/parse/row_converter.ts";
import { FAMILY_A_LAYOUT } from "../../src/reports/family_a/layout.ts";
import { MESSENGER_LAYOUT } from "../../src/reports/messenger/layout.ts";
import { aliasProblems, withAliases } from "../../src/reports/header_aliases.ts";
import { sourceReport } from "../../src/reports/all.ts";
import { dbColumns, publishedColumns } from "../../src/reports/layout.ts";

/**
 * FGT's header as the public scraper describes it: the published family-A
 * header with TSQ split in two in its place (one part oddly spaced and cased).
 */
const SPLIT = publishedColumns(FAMILY_A_LAYOUT).flatMap((c) =>
  c.header === "TSQ" ? ["TSQ (Rec)", "TSQ  (del) "] : [c.header]
);

/** A split-TSQ row: receipts `rec`, deliveries `del`. */
function row(rec: string | null, del: string | null): (string | null)[] {
  return [
    "10001",
    "Z3",
    "PERRY",
    "M2",
    "RPQ",
    "R",
    "90000",
    "80000",
    rec,
    del,
    "5000",
    "Y",
    "N",
    "N",
    "Y",
    "",
  ];
}

/** Stored value of `column` for `fields` read through `map`. */
function value(map: ReturnType<typeof mapHeader>, fields: (string | null)[], column: string) {
  const r = convertRow(fields, map);
  assert.ok(r.ok, JSON.stringify(r));
  return r.values[dbColumns(FAMILY_A_LAYOUT).indexOf(column)];
}

Deno.test("split TSQ: both parts are kept and TSQ is their sum, exactly", () => {
  const map = mapHeader(SPLIT, FAMILY_A_LAYOUT);
  assert.deepEqual(map.extra, []);
  const fields = row("60000", "15000");
  assert.equal(value(map, fields, "tsq_rec"), "60000");
  assert.equal(value(map, fields, "tsq_del"), "15000");
  assert.equal(value(map, fields, "tsq"), "75000");
  // Beyond 2^53: summed as integers, not floats.
  const big = row("999999999999999", "999999999999999");
  assert.equal(value(map, big, "tsq"), "1999999999999998");
});

Deno.test("split TSQ: a missing part leaves TSQ missing, never counted as 0", () => {
  const map = mapHeader(SPLIT, FAMILY_A_LAYOUT);
  assert.equal(value(map, row("60000", null), "tsq"), null);
  assert.equal(value(map, row("60000", null), "tsq_rec"), "60000");
  assert.equal(value(map, row(null, ""), "tsq"), null);
  assert.equal(value(map, row("0", "0"), "tsq"), "0");
});

Deno.test("split TSQ: a bad part is refused naming its own header and field", () => {
  const r = convertRow(row("60000", "1,500"), mapHeader(SPLIT, FAMILY_A_LAYOUT));
  assert.deepEqual(r, {
    ok: false,
    reason: 'column "TSQ (Del)" (field 10): expected a non-negative whole number or nothing, ' +
      'got "1,500"',
  });
});

Deno.test("split TSQ: a file with TSQ and its parts keeps TSQ as posted", () => {
  const header = [...SPLIT.slice(0, 8), "TSQ", ...SPLIT.slice(8)];
  const fields = row("60000", "15000");
  fields.splice(8, 0, "70000");
  const map = mapHeader(header, FAMILY_A_LAYOUT);
  assert.deepEqual(map.derived, []);
  assert.equal(value(map, fields, "tsq"), "70000");
  assert.equal(value(map, fields, "tsq_del"), "15000");
});

Deno.test("split TSQ: one part alone, or neither, is a missing TSQ naming both ways", () => {
  for (
    const header of [
      SPLIT.filter((h) => h !== "TSQ (Rec)"),
      SPLIT.filter((h) => !h.startsWith("TSQ")),
    ]
  ) {
    assert.throws(
      () => mapHeader(header, FAMILY_A_LAYOUT),
      (e) =>
        e instanceof HeaderError &&
        e.message.startsWith(
          'required header missing: "TSQ" (or both "TSQ (Rec)" and "TSQ (Del)"); found "Loc",',
        ),
    );
  }
});

Deno.test("header aliases: a source's spelling reads as the report's header", () => {
  const header = SPLIT.map((h) => h === "Loc Name" ? "Location Name" : h);
  assert.throws(() => mapHeader(header, FAMILY_A_LAYOUT), /required header missing: "Loc Name"/);
  const layout = withAliases(FAMILY_A_LAYOUT, { "Location Name": "loc name" });
  const map = mapHeader(header, layout);
  const r = convertRow(row("1", "2"), map);
  assert.ok(r.ok);
  assert.equal(r.values[dbColumns(layout).indexOf("loc_name")], "PERRY");
  // The report itself is untouched: other sources still refuse the spelling.
  assert.throws(() => mapHeader(header, FAMILY_A_LAYOUT), HeaderError);
});

Deno.test("header aliases: an exact-header layout accepts the alias in its place", () => {
  const padded = MESSENGER_LAYOUT.columns.filter((c) => c.published !== false).map((c) =>
    c.header === "Flw Cntl" ? "Flow Control" : c.header
  );
  assert.throws(() => mapHeader(padded, MESSENGER_LAYOUT), /field 19 should be "Flw Cntl"/);
  const map = mapHeader(padded, withAliases(MESSENGER_LAYOUT, { "Flow Control": "Flw Cntl" }));
  assert.equal(map.width, 21);
});

Deno.test("header aliases: sourceReport folds them in once per source, same id and table", () => {
  const aliases = { "Location Name": "Loc Name" };
  const a = sourceReport({ report: "operationally-available", headerAliases: aliases });
  assert.equal(a, sourceReport({ report: "operationally-available", headerAliases: aliases }));
  assert.equal(a.table, "operational_capacity");
  const plain = sourceReport({ report: "operationally-available" });
  assert.notEqual(a, plain);
  assert.equal(plain.layout, FAMILY_A_LAYOUT);
});

Deno.test("header aliases: each mistake is named (unknown target, a known header, a repeat)", () => {
  assert.deepEqual(aliasProblems(FAMILY_A_LAYOUT, { "Location Name": "Loc Name" }), []);
  const got = aliasProblems(FAMILY_A_LAYOUT, {
    "TSQ": "OAC",
    "Scheduled": "Sched Qty",
    "Location Name": "Loc Name",
    "location  name": "Loc Name",
    " ": "Loc",
  });
  assert.deepEqual(got.map((p) => p.alias), ["TSQ", "Scheduled", "location  name", " "]);
  assert.equal(got[0].message, '"TSQ" is already a header of the report');
  assert.match(
    got[1].message,
    /^"Sched Qty" is not a header of the report \(expected one of "Loc", /,
  );
  assert.equal(got[2].message, 'the same header as "Location Name"');
  assert.equal(got[3].message, "an empty header cannot be an alias");
});

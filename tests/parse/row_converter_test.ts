import assert from "node:assert/strict";
import {
  convertRow,
  HeaderError,
  type HeaderMap,
  mapHeader as mapHeaderOf,
  nulReason,
} from "../../src/parse/row_converter.ts";
import {
  dbColumns,
  keyColumns,
  normaliseHeader,
  publishedColumns,
} from "../../src/reports/layout.ts";
import { FAMILY_A_COLUMNS, FAMILY_A_LAYOUT } from "../../src/reports/family_a/layout.ts";

const CAPACITY_COLUMNS = FAMILY_A_COLUMNS;
const CAPACITY_DB_COLUMNS = dbColumns(FAMILY_A_LAYOUT);
const FILE_KEY_COLUMNS = keyColumns(FAMILY_A_LAYOUT);
const mapHeader = (fields: readonly (string | null)[]) => mapHeaderOf(fields, FAMILY_A_LAYOUT);
/** The split TSQ's optional parts, absent from every TW file: their index is -1. */
const SPLIT_ABSENT = [-1, -1];
/** A header map as the tests write it: the checks come from the layout. */
const withChecks = (m: { indexes: number[]; width: number; extra: string[] }) => ({
  ...m,
  indexes: [...m.indexes, ...SPLIT_ABSENT],
  checks: mapHeader([...HEADER]).checks,
  derived: [],
});

/** The TW header exactly as published. */
const HEADER = [
  "Loc",
  "Loc Zn",
  "Loc Name",
  "Loc Purp Desc",
  "Loc/QTI",
  "Flow Ind",
  "DC",
  "OPC",
  "TSQ",
  "OAC",
  "IT",
  "Auth Overrun Ind",
  "Nom Cap Exceed Ind",
  "All Qty Avail",
  "Qty Reason",
];

/** A complete, valid TW row. */
const ROW: (string | null)[] = [
  "500002",
  "WEST TEXAS",
  "BRAVO LEA",
  "M2",
  "RPQ",
  "R",
  "55000",
  "60000",
  "43560",
  "16440",
  "Y",
  "N",
  "N",
  "Y",
  "",
];

const MAP: HeaderMap = mapHeader(HEADER);

function withCell(index: number, value: string | null): (string | null)[] {
  const row = [...ROW];
  row[index] = value;
  return row;
}

function reasonOf(fields: readonly (string | null)[], map: HeaderMap = MAP): string {
  const r = convertRow(fields, map);
  assert.equal(r.ok, false, `expected a rejection, got ${JSON.stringify(r)}`);
  return (r as { ok: false; reason: string }).reason;
}

function valuesOf(fields: readonly (string | null)[], map: HeaderMap = MAP): (string | null)[] {
  const r = convertRow(fields, map);
  assert.equal(r.ok, true, `expected acceptance, got ${JSON.stringify(r)}`);
  return (r as { ok: true; values: (string | null)[] }).values;
}

function headerError(fields: readonly (string | null)[]): HeaderError {
  try {
    mapHeader(fields);
  } catch (e) {
    assert.ok(e instanceof HeaderError, `expected HeaderError, got ${e}`);
    return e;
  }
  assert.fail("mapHeader accepted the header");
}

// ---------------------------------------------------------------------------
// Layout

Deno.test("layout: 15 columns in published order with the old system's snake-case names, then the split TSQ", () => {
  assert.deepEqual(publishedColumns(FAMILY_A_LAYOUT).map((c) => c.header), HEADER);
  assert.deepEqual(CAPACITY_COLUMNS.map((c) => c.header), [...HEADER, "TSQ (Rec)", "TSQ (Del)"]);
  assert.deepEqual(CAPACITY_DB_COLUMNS, [
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
  ]);
  assert.deepEqual(FILE_KEY_COLUMNS, ["loc", "flow_ind"]);
});

Deno.test("normaliseHeader trims, collapses inner white space and case-folds", () => {
  assert.equal(normaliseHeader("  Nom  Cap\tExceed   IND "), "nom cap exceed ind");
  assert.equal(normaliseHeader("Loc/QTI"), "loc/qti");
  assert.equal(normaliseHeader(""), "");
});

// ---------------------------------------------------------------------------
// Header mapping

Deno.test("mapHeader: the published header maps in order with no extras", () => {
  assert.deepEqual(
    MAP,
    withChecks({
      indexes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
      width: 15,
      extra: [],
    }),
  );
});

Deno.test("mapHeader: extra spaces and different case still match", () => {
  const messy = [
    " loc",
    "LOC  ZN",
    "Loc   Name ",
    "loc purp desc",
    "LOC/QTI",
    "Flow  Ind",
    "dc",
    " OPC ",
    "tsq",
    "Oac",
    "it",
    "Auth  Overrun  Ind",
    "NOM CAP EXCEED IND",
    "all qty avail",
    "Qty\tReason",
  ];
  assert.deepEqual(
    mapHeader(messy),
    withChecks({
      indexes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
      width: 15,
      extra: [],
    }),
  );
});

Deno.test("mapHeader: reordered columns and an unknown extra column", () => {
  // File order: Qty Reason, Flow Ind, Comment (unknown), then the rest without those two.
  const reordered = [
    "Qty Reason",
    "Flow Ind",
    "Comment",
    "Loc",
    "Loc Zn",
    "Loc Name",
    "Loc Purp Desc",
    "Loc/QTI",
    "DC",
    "OPC",
    "TSQ",
    "OAC",
    "IT",
    "Auth Overrun Ind",
    "Nom Cap Exceed Ind",
    "All Qty Avail",
  ];
  const map = mapHeader(reordered);
  assert.deepEqual(
    map,
    withChecks({
      indexes: [3, 4, 5, 6, 7, 1, 8, 9, 10, 11, 12, 13, 14, 15, 0],
      width: 16,
      extra: ["Comment"],
    }),
  );
  const row = [
    "missing TSQ",
    "D",
    "ignored",
    "500001",
    "WEST TEXAS",
    "ALPHA FUEL",
    "MQ",
    "DPQ",
    "3000",
    "3000",
    null,
    null,
    "N",
    "N",
    "N",
    "N",
  ];
  assert.deepEqual(valuesOf(row, map), [
    "500001",
    "WEST TEXAS",
    "ALPHA FUEL",
    "MQ",
    "DPQ",
    "D",
    "3000",
    "3000",
    null,
    null,
    "N",
    "N",
    "N",
    "N",
    "missing TSQ",
    null,
    null,
  ]);
});

Deno.test("mapHeader: a missing required header fails naming it", () => {
  const e = headerError(HEADER.filter((h) => h !== "TSQ"));
  assert.match(e.message, /required header missing: "TSQ"/);
  assert.equal(e.name, "HeaderError");
});

Deno.test("mapHeader: several missing headers are all named", () => {
  const e = headerError(HEADER.filter((h) => h !== "OAC" && h !== "Loc"));
  assert.match(e.message, /required headers missing: "Loc", "OAC"/);
});

Deno.test('mapHeader: a renamed header ("Flow Indicator") fails naming "Flow Ind"', () => {
  const renamed = HEADER.map((h) => (h === "Flow Ind" ? "Flow Indicator" : h));
  const e = headerError(renamed);
  assert.match(e.message, /required header missing: "Flow Ind"/);
  assert.match(e.message, /"Flow Indicator"/);
});

Deno.test("mapHeader: a header that appears twice fails, even with different spacing", () => {
  const e = headerError([...HEADER, "DC"]);
  assert.match(e.message, /header "DC" appears twice \(columns 7 and 16\)/);
  const e2 = headerError([...HEADER.slice(0, 3), " loc  name", ...HEADER.slice(3)]);
  assert.match(e2.message, /appears twice \(columns 3 and 4\)/);
});

Deno.test("mapHeader: an empty header matches nothing", () => {
  const e = headerError(["", ...HEADER.slice(1)]);
  assert.match(e.message, /required header missing: "Loc"/);
});

// ---------------------------------------------------------------------------
// Row conversion

Deno.test("convertRow: a complete row keeps every value as text, quantities as digit strings", () => {
  assert.deepEqual(valuesOf(ROW), [
    "500002",
    "WEST TEXAS",
    "BRAVO LEA",
    "M2",
    "RPQ",
    "R",
    "55000",
    "60000",
    "43560",
    "16440",
    "Y",
    "N",
    "N",
    "Y",
    "",
    null,
    null,
  ]);
});

Deno.test("convertRow: empty quantities are null, never 0, quoted or not", () => {
  const row = [...ROW];
  row[6] = null; // DC
  row[7] = ""; // OPC, quoted empty
  row[8] = null; // TSQ
  row[9] = ""; // OAC
  row[13] = "N";
  row[14] = "Total Scheduled Quantity unavailable;Operating Capacity unavailable";
  const v = valuesOf(row);
  assert.deepEqual(v.slice(6, 10), [null, null, null, null]);
  assert.equal(v[13], "N");
  assert.equal(v[14], "Total Scheduled Quantity unavailable;Operating Capacity unavailable");
});

Deno.test("convertRow: quantities keep their digits exactly (zero, leading zeros, large)", () => {
  const v = valuesOf([
    "1",
    "Z",
    "N",
    "MQ",
    "DPQ",
    "D",
    "0",
    "007",
    "850000",
    "999999999999999",
    "N",
    "N",
    "N",
    "Y",
    "",
  ]);
  assert.deepEqual(v.slice(6, 10), ["0", "007", "850000", "999999999999999"]);
});

Deno.test("convertRow: negative, decimal, separated and other non-integers are rejected naming the column", () => {
  assert.equal(
    reasonOf(withCell(6, "-5")),
    'column "DC" (field 7): expected a non-negative whole number or nothing, got "-5"',
  );
  assert.equal(
    reasonOf(withCell(7, "3000.5")),
    'column "OPC" (field 8): expected a non-negative whole number or nothing, got "3000.5"',
  );
  assert.equal(
    reasonOf(withCell(8, "1,000")),
    'column "TSQ" (field 9): expected a non-negative whole number or nothing, got "1,000"',
  );
  for (const bad of ["+5", " 5", "5 ", "1e3", "abc", "1 000", "0x10", "١٢"]) {
    assert.match(reasonOf(withCell(9, bad)), /^column "OAC" \(field 10\): expected a non-negative/);
  }
});

Deno.test("convertRow: Flow Ind accepts D, R, B, BD and rejects anything else", () => {
  for (const ok of ["D", "R", "B", "BD"]) assert.equal(valuesOf(withCell(5, ok))[5], ok);
  assert.equal(
    reasonOf(withCell(5, "X")),
    'column "Flow Ind" (field 6): expected one of D/R/B/BD, got "X"',
  );
  for (const bad of ["d", "DR", " D"]) assert.match(reasonOf(withCell(5, bad)), /"Flow Ind"/);
});

Deno.test("convertRow: Flow Ind is part of the key: empty is rejected", () => {
  assert.equal(
    reasonOf(withCell(5, null)),
    'column "Flow Ind" (field 6): expected one of D/R/B/BD, got an empty field',
  );
  assert.match(reasonOf(withCell(5, "")), /^column "Flow Ind" \(field 6\)/);
});

Deno.test("convertRow: Y/N fields accept Y and N only", () => {
  const yn: [number, string][] = [
    [10, "IT"],
    [11, "Auth Overrun Ind"],
    [12, "Nom Cap Exceed Ind"],
    [13, "All Qty Avail"],
  ];
  for (const [i, header] of yn) {
    assert.equal(valuesOf(withCell(i, "Y"))[i], "Y");
    assert.equal(valuesOf(withCell(i, "N"))[i], "N");
    assert.equal(
      reasonOf(withCell(i, "y")),
      `column "${header}" (field ${i + 1}): expected one of Y/N, got "y"`,
    );
    assert.match(reasonOf(withCell(i, "Yes")), new RegExp(`column "${header}"`));
  }
});

Deno.test("convertRow: Loc Purp Desc is two characters", () => {
  assert.equal(valuesOf(withCell(3, "MQ"))[3], "MQ");
  assert.equal(valuesOf(withCell(3, "M2"))[3], "M2");
  assert.equal(
    reasonOf(withCell(3, "MQX")),
    'column "Loc Purp Desc" (field 4): expected a two-character purpose code such as MQ or M2, got "MQX"',
  );
  assert.match(reasonOf(withCell(3, "M")), /"Loc Purp Desc"/);
  assert.match(reasonOf(withCell(3, "mq")), /"Loc Purp Desc"/);
});

Deno.test("convertRow: Loc/QTI is three letters", () => {
  assert.equal(valuesOf(withCell(4, "DPQ"))[4], "DPQ");
  assert.equal(
    reasonOf(withCell(4, "DP1")),
    'column "Loc/QTI" (field 5): expected a three-letter code such as DPQ or RPQ, got "DP1"',
  );
  assert.match(reasonOf(withCell(4, "DPQQ")), /"Loc\/QTI"/);
  assert.match(reasonOf(withCell(4, "dpq")), /"Loc\/QTI"/);
});

Deno.test("convertRow: optional codes may be empty (null)", () => {
  const v = valuesOf(withCell(3, null));
  assert.equal(v[3], null);
  assert.equal(valuesOf(withCell(10, ""))[10], null);
});

Deno.test("convertRow: an empty Loc is rejected (part of the key)", () => {
  assert.equal(
    reasonOf(withCell(0, null)),
    'column "Loc" (field 1): expected a value (it is part of the row\'s key), got an empty field',
  );
  assert.match(reasonOf(withCell(0, "")), /^column "Loc" \(field 1\)/);
  assert.match(reasonOf(withCell(0, "   ")), /^column "Loc" \(field 1\)/);
});

Deno.test("convertRow: Loc is text (leading zeros and letters kept)", () => {
  assert.equal(valuesOf(withCell(0, "00387"))[0], "00387");
  assert.equal(valuesOf(withCell(0, "LEE8"))[0], "LEE8");
});

Deno.test("convertRow: a row with the wrong number of fields is rejected", () => {
  assert.equal(reasonOf(ROW.slice(0, 13)), "expected 15 fields, got 13");
  assert.equal(reasonOf([...ROW, "x"]), "expected 15 fields, got 16");
});

Deno.test("convertRow: text is kept verbatim (leading space, doubled inner spaces)", () => {
  const row = [...ROW];
  row[1] = "WEST  TEXAS ";
  row[2] = " EL PASO  NATURAL, GAS";
  row[14] = " reason  text ";
  const v = valuesOf(row);
  assert.equal(v[1], "WEST  TEXAS ");
  assert.equal(v[2], " EL PASO  NATURAL, GAS");
  assert.equal(v[14], " reason  text ");
  assert.equal(valuesOf(withCell(2, null))[2], null);
});

Deno.test("nulReason: a NUL character in any loaded column rejects the row, naming the column", () => {
  const nul = (name: string) =>
    `column "${name}" (field ${
      HEADER.indexOf(name) + 1
    }): contains a NUL character, which PostgreSQL text cannot store`;
  assert.equal(nulReason(withCell(2, "BRAVO\0LEA"), MAP), nul("Loc Name"));
  assert.equal(nulReason(withCell(0, "\0"), MAP), nul("Loc"));
  assert.equal(nulReason(withCell(14, "late\0"), MAP), nul("Qty Reason"));
  // In a code or quantity too: the NUL is named rather than the expected shape.
  assert.equal(nulReason(withCell(6, "55\x0000"), MAP), nul("DC"));
  assert.equal(nulReason(withCell(10, "Y\0"), MAP), nul("IT"));
  // The first one, in layout order.
  assert.equal(
    nulReason(withCell(2, "a\0").map((v, i) => (i === 14 ? "b\0" : v)), MAP),
    nul("Loc Name"),
  );
  assert.equal(nulReason(ROW, MAP), undefined);
  // Reordered columns: the field number is the file's.
  const map = mapHeader(["Comment", ...HEADER]);
  assert.equal(
    nulReason(["ignored", ...withCell(2, "A\0")], map),
    'column "Loc Name" (field 4): contains a NUL character, which PostgreSQL text cannot store',
  );
  // A column the layout does not load is not stored, so its NUL does no harm.
  assert.equal(nulReason(["ignored\0", ...ROW], map), undefined);
  // A row of the wrong width is convertRow's to report.
  assert.equal(nulReason(withCell(2, "A\0").slice(0, 14), MAP), undefined);
});

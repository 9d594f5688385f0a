import assert from "node:assert/strict";
import { SNIFF_BYTES, truncationReason } from "../../src/source/classify.ts";
import { splitRecord } from "../../src/parse/csv_records.ts";
import { FAMILY_A_LAYOUT } from "../../src/reports/family_a/layout.ts";
import { readSample, samplesAbsent } from "../support/env.ts";

const HEADER =
  '"Loc","Loc Zn","Loc Name","Loc Purp Desc","Loc/QTI","Flow Ind","DC","OPC","TSQ","OAC",' +
  '"IT","Auth Overrun Ind","Nom Cap Exceed Ind","All Qty Avail","Qty Reason"';
const ROW =
  '"500001","WEST TEXAS","ALPHA FUEL","MQ","DPQ","D","3000","3000","0","3000","N","N","N","Y",""';

/** The pipeline's view of a body: its first and last SNIFF_BYTES. */
function truncation(text: string | Uint8Array): string | undefined {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  return truncationReason({
    layout: FAMILY_A_LAYOUT,
    prefix: bytes.slice(0, SNIFF_BYTES),
    suffix: bytes.slice(Math.max(0, bytes.length - SNIFF_BYTES)),
    totalBytes: bytes.length,
  });
}

const WHOLE = `${HEADER}\r\n${ROW}\r\n${ROW.replace("500001", "500002")}\r\n`;

Deno.test("truncation: a body ending with a line break, or with a whole last record, is whole", () => {
  assert.equal(truncation(WHOLE), undefined);
  assert.equal(truncation(WHOLE.replaceAll("\r\n", "\n")), undefined);
  assert.equal(truncation(WHOLE.replaceAll("\r\n", "\r")), undefined);
  // A last record without a line break, but with every field, is accepted.
  assert.equal(truncation(WHOLE.slice(0, -2)), undefined);
  // Trailing white space after the last line break is no record.
  assert.equal(truncation(WHOLE + "  "), undefined);
});

Deno.test("truncation: a last record cut inside a quoted field, or short of fields, is named", () => {
  const cutInField = WHOLE.slice(0, WHOLE.lastIndexOf("WEST TEXAS") + 4);
  assert.equal(
    truncation(cutInField),
    'the last line ends inside a quoted field and no line break follows it: "\\"500002\\",\\"WEST"',
  );
  const cutAfterField = WHOLE.slice(0, WHOLE.lastIndexOf(',"DPQ"'));
  assert.match(
    truncation(cutAfterField) ?? "",
    /^the last line has 4 of the header's 15 fields and no line break follows it: /,
  );
  // Unquoted files are read the same way.
  assert.match(truncation("Loc,Loc Zn,Loc Name\r\n1,A,B\r\n2,A") ?? "", /has 2 of the header's 3/);
});

Deno.test("truncation: a last record whose quoted field spans lines is whole when it closes, cut when not", () => {
  const multi = ROW.replace("ALPHA FUEL", "ALPHA\r\nFUEL\r\nSTATION");
  assert.equal(truncation(`${HEADER}\r\n${ROW}\r\n${multi}`), undefined);
  const open = `${HEADER}\r\n${ROW}\r\n${multi.slice(0, multi.indexOf("STATION") + 3)}`;
  assert.match(truncation(open) ?? "", /^the last line has 1 of the header's 15 fields/);
});

Deno.test("truncation: only capacity CSVs are judged", () => {
  assert.equal(truncation("<html><body>No data"), undefined);
  assert.equal(truncation('"Loc","Something"\r\n"1'), undefined);
  assert.equal(truncation(""), undefined);
});

Deno.test("truncation: a body larger than the window is judged by its last bytes", () => {
  const rows = (ROW + "\r\n").repeat(Math.ceil((3 * SNIFF_BYTES) / ROW.length));
  const big = `${HEADER}\r\n${rows}`;
  assert.equal(truncation(big), undefined);
  assert.match(truncation(big.slice(0, -40)) ?? "", /^the last line ends inside a quoted field/);
  assert.match(truncation(big + '"500009","WEST') ?? "", /^the last line ends inside/);
  // A last line longer than the window cannot be judged, so it is not called cut.
  assert.equal(truncation(big + `"500009","${"W".repeat(SNIFF_BYTES)}`), undefined);
});

const NO_SAMPLES = await samplesAbsent();

Deno.test({
  name: "truncation: the real TW file is whole, and cut anywhere in its last row it is not" +
    (NO_SAMPLES ? ` [ignored: ${NO_SAMPLES}]` : ""),
  ignore: NO_SAMPLES !== undefined,
  async fn() {
    const bytes = (await readSample("tw_oac_2024-01-17_cycle0-timely_searchALL.csv"))!;
    assert.equal(truncation(bytes), undefined);
    const text = new TextDecoder().decode(bytes);
    const lastRow = text.slice(text.lastIndexOf("\r\n", text.length - 3) + 2, -2);
    const start = text.length - 2 - lastRow.length;
    for (let n = 1; n < lastRow.length; n++) {
      const seen = lastRow.slice(0, n);
      // Undetectable: a cut just after the last comma (an empty last field).
      if (seen.endsWith(",") && splitRecord(seen).length === 15) continue;
      assert.ok(truncation(text.slice(0, start + n)), `cut after ${JSON.stringify(seen)}`);
    }
    assert.equal(truncation(text.slice(0, -2)), undefined, "the last row whole, no CRLF");
    assert.equal(truncation(text.slice(0, -1)), undefined, "cut between CR and LF");
  },
});

import assert from "node:assert/strict";
import {
  type BodyKind,
  classifyBody as classifyWith,
  type ClassifyOptions,
  SNIFF_BYTES,
} from "../../src/source/classify.ts";
import { FAMILY_A_LAYOUT } from "../../src/reports/family_a/layout.ts";

/** The classifier of the family-A report. */
const classifyBody = (o: Omit<ClassifyOptions, "layout">) =>
  classifyWith({ ...o, layout: FAMILY_A_LAYOUT });

const HEADER =
  '"Loc","Loc Zn","Loc Name","Loc Purp Desc","Loc/QTI","Flow Ind","DC","OPC","TSQ","OAC",' +
  '"IT","Auth Overrun Ind","Nom Cap Exceed Ind","All Qty Avail","Qty Reason"';
const ROW =
  '"500001","WEST TEXAS","ALPHA FUEL","MQ","DPQ","D","3000","3000","0","3000","N","N","N","Y",""';

function classify(text: string | Uint8Array, contentType?: string | null): BodyKind {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  return classifyBody({
    prefix: bytes.slice(0, SNIFF_BYTES),
    totalBytes: bytes.length,
    contentType,
  });
}

function notPosted(kind: BodyKind): string {
  assert.equal(kind.kind, "not_posted", JSON.stringify(kind));
  return (kind as { kind: "not_posted"; reason: string }).reason;
}

Deno.test("the sniff window: a header-only body is judged whole while it fits, and left to the loader past it", () => {
  // Header, then blank lines up to exactly the window: all of it is in view.
  const fits = HEADER + "\r\n".repeat(Math.ceil((SNIFF_BYTES - HEADER.length) / 2));
  const inView = fits.slice(0, SNIFF_BYTES);
  assert.equal(new TextEncoder().encode(inView).length, SNIFF_BYTES);
  assert.equal(notPosted(classify(inView)), "header only, no rows");
  // One byte more and the end is out of sight: it might hold rows, so it is CSV
  // (the loader then finds no rows and reports the pair empty).
  assert.deepEqual(classify(inView + " "), { kind: "csv" });
});

Deno.test("the sniff window holds a real report's header line and first row", () => {
  const body = HEADER + "\r\n" + (ROW + "\r\n").repeat(5000);
  // classify() hands over only the window, as the fetcher does.
  assert.deepEqual(classify(body), { kind: "csv" });
});

Deno.test("an empty body is not posted", () => {
  assert.deepEqual(classify(""), { kind: "not_posted", reason: "empty body" });
});

Deno.test("a white-space body is not posted", () => {
  assert.deepEqual(classify("  \r\n\t \n"), { kind: "not_posted", reason: "blank body" });
});

Deno.test("an HTML page is not posted (by content)", () => {
  const page = "<!DOCTYPE html><html><body>No data</body></html>";
  assert.deepEqual(classify(page, "text/csv"), {
    kind: "not_posted",
    reason: "HTML page instead of CSV",
  });
  assert.equal(notPosted(classify("\r\n  <html><head></head></html>")), "HTML page instead of CSV");
});

Deno.test("an HTML page is not posted (by content type)", () => {
  assert.equal(
    notPosted(classify("Service temporarily unavailable", "text/html; charset=utf-8")),
    "HTML page instead of CSV",
  );
  assert.equal(notPosted(classify("x", "TEXT/HTML")), "HTML page instead of CSV");
});

Deno.test("a body with NUL bytes is not posted", () => {
  const bytes = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x41]);
  assert.deepEqual(classify(bytes), {
    kind: "not_posted",
    reason: "binary body (contains NUL bytes)",
  });
});

Deno.test("garbage text is not posted, quoting its first line", () => {
  assert.deepEqual(classify("Please try again later.\r\nThank you"), {
    kind: "not_posted",
    reason: 'not a capacity CSV: first line is "Please try again later."',
  });
  // One known header is not enough.
  assert.match(notPosted(classify('"Loc","Something"\r\n"1","2"\r\n')), /^not a capacity CSV/);
});

Deno.test("header only is not posted, with or without a final CRLF", () => {
  for (const body of [HEADER, HEADER + "\r\n", HEADER + "\n", HEADER + "\r\n\r\n  \r\n"]) {
    assert.deepEqual(
      classify(body, "text/csv"),
      { kind: "not_posted", reason: "header only, no rows" },
      JSON.stringify(body.slice(-6)),
    );
  }
});

Deno.test("header and rows are CSV", () => {
  assert.deepEqual(classify(`${HEADER}\r\n${ROW}\r\n`, "text/csv"), { kind: "csv" });
  assert.deepEqual(classify(`${HEADER}\n${ROW}`), { kind: "csv" });
});

Deno.test("a header with a renamed column still counts as CSV, so the load fails loudly", () => {
  const renamed = HEADER.replace('"Flow Ind"', '"Flow Indicator"');
  assert.deepEqual(classify(`${renamed}\r\n${ROW}\r\n`), { kind: "csv" });
  const spaced = HEADER.replace('"Loc Name"', '"Loc  Name"');
  assert.deepEqual(classify(`${spaced}\r\n${ROW}\r\n`), { kind: "csv" });
});

Deno.test("a byte-order mark is ignored", () => {
  assert.deepEqual(classify(`\uFEFF${HEADER}\r\n${ROW}\r\n`), { kind: "csv" });
  assert.deepEqual(classify(`\uFEFF${HEADER}\r\n`), {
    kind: "not_posted",
    reason: "header only, no rows",
  });
  assert.deepEqual(classify("\uFEFF"), { kind: "not_posted", reason: "blank body" });
});

Deno.test("a body longer than the prefix with only a header in view is CSV", () => {
  const prefix = new TextEncoder().encode(HEADER + "\r\n");
  assert.deepEqual(
    classifyBody({ prefix, totalBytes: prefix.length + 5000, contentType: "text/csv" }),
    { kind: "csv" },
  );
});

Deno.test("a capacity CSV whose rows hold NUL bytes is CSV (the rows are the loader's problem)", () => {
  const nulRow = ROW.replace("ALPHA FUEL", "ALPHA\0FUEL");
  assert.deepEqual(classify(`${HEADER}\r\n${nulRow}\r\n${ROW}\r\n`), { kind: "csv" });
  // A NUL in the header line itself does not hide the other headers.
  assert.deepEqual(classify(`${HEADER.replace('"DC"', '"D\0C"')}\r\n${ROW}\r\n`), { kind: "csv" });
  // Without a header line, NUL bytes still mean binary.
  const binary = new Uint8Array([0x00, 0x01, ...new TextEncoder().encode(`${HEADER}\r\n`)]);
  assert.equal(notPosted(classify(binary)), "binary body (contains NUL bytes)");
});

Deno.test("a header line longer than the sniff window is judged by the fields the window shows", () => {
  // An extra column whose name alone is longer than the window.
  const wide = `${HEADER},"${"x".repeat(SNIFF_BYTES + 10)}"`;
  const body = `${wide}\r\n${ROW},"1"\r\n`;
  assert.ok(new TextEncoder().encode(body).length > SNIFF_BYTES);
  assert.deepEqual(classify(body), { kind: "csv" });
  // Cut inside a quoted name: the cut field is left out, the whole ones count.
  const cutInName = `"Loc","Loc Zn","${"y".repeat(SNIFF_BYTES)}`;
  assert.deepEqual(classify(cutInName + '"\r\n' + ROW), { kind: "csv" });
  // A long first line that names no header is still not a capacity CSV.
  assert.match(notPosted(classify("z,".repeat(SNIFF_BYTES))), /^not a capacity CSV/);
  // Two known names are needed among the whole fields: "Loc" plus a cut "Loc Zn…" is one.
  assert.match(
    notPosted(classify(`"Loc","Loc Zn${"y".repeat(SNIFF_BYTES)}"\r\n`)),
    /^not a capacity CSV/,
  );
});

Deno.test("CR-only line ends (old Mac files): CSV, and header only is still not posted", () => {
  assert.deepEqual(classify(`${HEADER}\r${ROW}\r${ROW}\r`), { kind: "csv" });
  assert.deepEqual(classify(`${HEADER}\r${ROW}`), { kind: "csv" });
  for (const body of [`${HEADER}\r`, `${HEADER}\r\r`, `${HEADER}\r \r`]) {
    assert.equal(notPosted(classify(body)), "header only, no rows", JSON.stringify(body.slice(-4)));
  }
});

Deno.test("a header whose first field alone is longer than the sniff window is CSV; binary is not", () => {
  const field = `"Loc${" ".repeat(SNIFF_BYTES + 100)}"`;
  const body = new TextEncoder().encode(`${field},"Loc Zn"\r\n"1","X"\r\n`);
  assert.deepEqual(
    classifyBody({ prefix: body.subarray(0, SNIFF_BYTES), totalBytes: body.length }),
    { kind: "csv" },
  );
  const binary = new Uint8Array(SNIFF_BYTES + 10).fill(1);
  binary[0] = 0x22;
  assert.equal(
    classifyBody({ prefix: binary.subarray(0, SNIFF_BYTES), totalBytes: binary.length }).kind,
    "not_posted",
  );
});

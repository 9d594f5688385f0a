import assert from "node:assert/strict";
import {
  type CsvRecord,
  CsvRecordReader,
  type CsvRecordReaderOptions,
  readCsvRecords,
  splitRecord,
} from "../../src/parse/csv_records.ts";

/** Feed `chunks` to a fresh reader and collect every record. */
function readChunks(chunks: readonly string[], opts: CsvRecordReaderOptions = {}): CsvRecord[] {
  const reader = new CsvRecordReader(opts);
  const out: CsvRecord[] = [];
  for (const c of chunks) out.push(...reader.push(c));
  out.push(...reader.end());
  return out;
}

function readText(text: string, opts: CsvRecordReaderOptions = {}): CsvRecord[] {
  return readChunks([text], opts);
}

/** Every way of cutting `text` in two, plus one character per chunk. */
function splits(text: string): string[][] {
  const out: string[][] = [];
  for (let i = 0; i <= text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  out.push([...text].map((c) => c));
  return out;
}

async function collect(chunks: readonly Uint8Array[]): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const batch of readCsvRecords(ReadableStream.from(chunks))) out.push(...batch);
  return out;
}

// ---------------------------------------------------------------------------
// splitRecord

Deno.test("splitRecord: unquoted fields, empty unquoted fields are null", () => {
  assert.deepEqual(splitRecord("a,b,c"), ["a", "b", "c"]);
  assert.deepEqual(splitRecord("a,,c"), ["a", null, "c"]);
  assert.deepEqual(splitRecord(",a,"), [null, "a", null]);
  assert.deepEqual(splitRecord(","), [null, null]);
  assert.deepEqual(splitRecord("abc"), ["abc"]);
});

Deno.test("splitRecord: quoted fields, quoted empty is an empty string, not null", () => {
  assert.deepEqual(splitRecord('"a","b"'), ["a", "b"]);
  assert.deepEqual(splitRecord('"a",,""'), ["a", null, ""]);
  assert.deepEqual(splitRecord('"",""'), ["", ""]);
  assert.deepEqual(splitRecord('""'), [""]);
  assert.deepEqual(splitRecord('"a",'), ["a", null]);
  assert.deepEqual(splitRecord(',"a"'), [null, "a"]);
  assert.deepEqual(splitRecord('x,"y",z'), ["x", "y", "z"]);
});

Deno.test("splitRecord: escaped quotes and embedded commas", () => {
  assert.deepEqual(splitRecord('"say ""hi""",x'), ['say "hi"', "x"]);
  assert.deepEqual(splitRecord('""""'), ['"']);
  assert.deepEqual(splitRecord('"a"""'), ['a"']);
  assert.deepEqual(splitRecord('"a,b",c'), ["a,b", "c"]);
  assert.deepEqual(splitRecord('"x, ""y"", z",,"3"'), ['x, "y", z', null, "3"]);
});

Deno.test("splitRecord: spaces and line breaks inside fields are kept verbatim", () => {
  assert.deepEqual(splitRecord('" LEADING","A  B",  c '), [" LEADING", "A  B", "  c "]);
  assert.deepEqual(splitRecord('"a\r\nb","c"'), ["a\r\nb", "c"]);
});

Deno.test("splitRecord: a quote inside an unquoted field is an error naming its position", () => {
  assert.equal(splitRecord('abc,de"f,g'), "quote inside an unquoted field at character 7");
  assert.equal(splitRecord('a"b"'), "quote inside an unquoted field at character 2");
});

Deno.test("splitRecord: junk after a closing quote is an error naming it and its position", () => {
  assert.equal(splitRecord('"a"b,"c"'), 'unexpected "b" after a closing quote at character 4');
  assert.equal(splitRecord('"x","BAD"Q"'), 'unexpected "Q" after a closing quote at character 10');
});

Deno.test("splitRecord: an unterminated quoted field is an error", () => {
  assert.equal(splitRecord('"a,b'), "unterminated quoted field at character 1");
  assert.equal(splitRecord('x,"ab""'), "unterminated quoted field at character 3");
});

// ---------------------------------------------------------------------------
// CsvRecordReader

Deno.test("reader: CRLF and LF records with line numbers and raw text", () => {
  const crlf = readText('"h1","h2"\r\n"a",\r\n,"b"\r\n');
  assert.deepEqual(crlf, [
    { line: 1, raw: '"h1","h2"', fields: ["h1", "h2"] },
    { line: 2, raw: '"a",', fields: ["a", null] },
    { line: 3, raw: ',"b"', fields: [null, "b"] },
  ]);
  const lf = readText('"h1","h2"\n"a",\n,"b"\n');
  assert.deepEqual(lf, crlf);
});

Deno.test("reader: a quoted field spanning lines keeps its line break; later lines numbered right", () => {
  const records = readText('h1,h2\r\n"a\r\nb","c"\r\n"d","e"\r\n');
  assert.deepEqual(records, [
    { line: 1, raw: "h1,h2", fields: ["h1", "h2"] },
    { line: 2, raw: '"a\r\nb","c"', fields: ["a\r\nb", "c"] },
    { line: 4, raw: '"d","e"', fields: ["d", "e"] },
  ]);
  const lf = readText('h1,h2\n"x\n\ny",z\nlast,1\n');
  assert.deepEqual(lf, [
    { line: 1, raw: "h1,h2", fields: ["h1", "h2"] },
    { line: 2, raw: '"x\n\ny",z', fields: ["x\n\ny", "z"] },
    { line: 5, raw: "last,1", fields: ["last", "1"] },
  ]);
});

Deno.test("reader: blank lines are skipped but counted", () => {
  const records = readText("a\r\n\r\n   \r\n\nb\r\n\r\n");
  assert.deepEqual(records, [
    { line: 1, raw: "a", fields: ["a"] },
    { line: 5, raw: "b", fields: ["b"] },
  ]);
});

Deno.test("reader: a leading byte-order mark is stripped", () => {
  assert.deepEqual(readText('\uFEFF"Loc","Loc Zn"\r\n"1","W"\r\n'), [
    { line: 1, raw: '"Loc","Loc Zn"', fields: ["Loc", "Loc Zn"] },
    { line: 2, raw: '"1","W"', fields: ["1", "W"] },
  ]);
  // Only a leading one: a BOM later in the text is data.
  assert.deepEqual(readText("a\n\uFEFFb\n"), [
    { line: 1, raw: "a", fields: ["a"] },
    { line: 2, raw: "\uFEFFb", fields: ["\uFEFFb"] },
  ]);
});

Deno.test("reader: the final line without a line break is read", () => {
  assert.deepEqual(readText('a,b\r\n"c","d"'), [
    { line: 1, raw: "a,b", fields: ["a", "b"] },
    { line: 2, raw: '"c","d"', fields: ["c", "d"] },
  ]);
  assert.deepEqual(readText("a,b\r\nc,d\r"), [
    { line: 1, raw: "a,b", fields: ["a", "b"] },
    { line: 2, raw: "c,d", fields: ["c", "d"] },
  ]);
  assert.deepEqual(readText(""), []);
});

Deno.test("reader: malformed records are reported with line and reason, reading continues", () => {
  const records = readText(
    'h1,h2\r\nab"c"d,e\r\n"ok","1"\r\n"a"b","c"\r\n"ok","2"\r\n',
  );
  assert.deepEqual(records, [
    { line: 1, raw: "h1,h2", fields: ["h1", "h2"] },
    {
      line: 2,
      raw: 'ab"c"d,e',
      fields: null,
      error: "quote inside an unquoted field at character 3",
    },
    { line: 3, raw: '"ok","1"', fields: ["ok", "1"] },
    {
      line: 4,
      raw: '"a"b","c"',
      fields: null,
      error: 'unexpected "b" after a closing quote at character 4',
    },
    { line: 5, raw: '"ok","2"', fields: ["ok", "2"] },
  ]);
});

Deno.test("reader: an unterminated quote at end of file reports its line; following lines are still read", () => {
  // Line 2 opens a quote that never closes. The lines after it are complete,
  // well-formed records and must not be swallowed into line 2's error.
  const records = readText('h1,h2\r\n"a,b\r\n"c","d"\r\n"e","f"\r\n');
  assert.equal(records.length, 4);
  assert.deepEqual(records[0], { line: 1, raw: "h1,h2", fields: ["h1", "h2"] });
  assert.equal(records[1].line, 2);
  assert.equal(records[1].fields, null);
  assert.match(records[1].error ?? "", /quote/);
  assert.deepEqual(records[2], { line: 3, raw: '"c","d"', fields: ["c", "d"] });
  assert.deepEqual(records[3], { line: 4, raw: '"e","f"', fields: ["e", "f"] });
});

Deno.test("reader: an unterminated quote on the last line is reported with its line", () => {
  const records = readText('"a","b"\r\n"c","d\r\n');
  assert.equal(records.length, 2);
  assert.deepEqual(records[0], { line: 1, raw: '"a","b"', fields: ["a", "b"] });
  assert.equal(records[1].line, 2);
  assert.equal(records[1].fields, null);
  assert.match(records[1].error ?? "", /unterminated quoted field/);
});

Deno.test("reader: two stray quotes do not merge the rows between them into one bad record", () => {
  // A name with an unescaped quote (odd quote count) on lines 2 and 5: lines 3
  // and 4 are good rows and must come out as such.
  const text = 'h1,h2\r\n"BAD"ONE","x"\r\n"g","1"\r\n"g","2"\r\n"BAD"TWO","y"\r\n"g","3"\r\n';
  const records = readText(text);
  const good = records.filter((r) => r.fields !== null).map((r) => [r.line, r.fields]);
  assert.deepEqual(good, [
    [1, ["h1", "h2"]],
    [3, ["g", "1"]],
    [4, ["g", "2"]],
    [6, ["g", "3"]],
  ]);
  assert.deepEqual(records.filter((r) => r.fields === null).map((r) => r.line), [2, 5]);
});

Deno.test("reader: an open quote followed by unquoted lines: its line is bad at end of file, the rest re-read", () => {
  // Line 2 opens a quoted field that never closes; lines 3 and 4 carry no
  // quotes at all, so they cannot close it. At end of file the record cannot be
  // completed: like an overflow, line 2 is bad and lines 3-4 are records.
  const records = readText('h1,h2\n"a,b\n1,2\n3,4\n');
  assert.equal(records.length, 4, JSON.stringify(records));
  assert.deepEqual(records[0], { line: 1, raw: "h1,h2", fields: ["h1", "h2"] });
  assert.equal(records[1].line, 2);
  assert.equal(records[1].fields, null);
  assert.match(records[1].error ?? "", /quote/);
  assert.deepEqual(records[2], { line: 3, raw: "1,2", fields: ["1", "2"] });
  assert.deepEqual(records[3], { line: 4, raw: "3,4", fields: ["3", "4"] });
});

Deno.test("reader: an open quote that turns malformed on a later line: its line is bad, the rest re-read", () => {
  const text = 'h1,h2\r\n"a,b\r\n"c","d"\r\n"e","f"\r\n';
  const expected: CsvRecord[] = [
    { line: 1, raw: "h1,h2", fields: ["h1", "h2"] },
    {
      line: 2,
      raw: '"a,b',
      fields: null,
      error: "unbalanced quote: the record starting here cannot be completed " +
        '(unexpected "c" after a closing quote at character 8)',
    },
    { line: 3, raw: '"c","d"', fields: ["c", "d"] },
    { line: 4, raw: '"e","f"', fields: ["e", "f"] },
  ];
  assert.deepEqual(readText(text), expected);
  for (const chunks of splits(text)) {
    assert.deepEqual(readChunks(chunks), expected, JSON.stringify(chunks));
  }
});

Deno.test("reader: unbalanced quote past maxRecordChars: its first line is bad, the rest re-read", () => {
  // '"a,b\r' (5) + 'c,d\r' (4 + 1 joining) = 10 <= 12; adding 'e,f\r' makes 15 > 12.
  const text = 'h1,h2\r\n"a,b\r\nc,d\r\ne,f\r\n"g","h"\r\n';
  const expected: CsvRecord[] = [
    { line: 1, raw: "h1,h2", fields: ["h1", "h2"] },
    {
      line: 2,
      raw: '"a,b',
      fields: null,
      error: "unbalanced quote: no closing quote within 12 characters",
    },
    { line: 3, raw: "c,d", fields: ["c", "d"] },
    { line: 4, raw: "e,f", fields: ["e", "f"] },
    { line: 5, raw: '"g","h"', fields: ["g", "h"] },
  ];
  assert.deepEqual(readText(text, { maxRecordChars: 12 }), expected);
  for (const chunks of splits(text)) {
    assert.deepEqual(
      readChunks(chunks, { maxRecordChars: 12 }),
      expected,
      `chunks ${JSON.stringify(chunks.length > 2 ? "1 char each" : chunks)}`,
    );
  }
});

Deno.test("reader: a single over-long line arriving in pieces is reported and skipped", () => {
  const reader = new CsvRecordReader({ maxRecordChars: 10 });
  const out: CsvRecord[] = [];
  out.push(...reader.push("a,b\n"));
  out.push(...reader.push('"xxxxxxxxxxxxxxxx')); // 17 characters, no line break yet
  out.push(...reader.push('xxxx"\nc,d\n'));
  out.push(...reader.end());
  assert.deepEqual(out, [
    { line: 1, raw: "a,b", fields: ["a", "b"] },
    {
      line: 2,
      raw: '"xxxxxxxxxxxxxxxx',
      fields: null,
      error: "line longer than 10 characters (only its start is kept)",
    },
    { line: 3, raw: "c,d", fields: ["c", "d"] },
  ]);
});

Deno.test("reader: a line longer than maxRecordChars is rejected however the text is chunked", () => {
  // maxRecordChars is "the longest record accepted": the verdict on line 2
  // must not depend on where the chunk boundaries fall.
  const text = 'a,b\n"xxxxxxxxxxxxxxxxxxxx"\nc,d\n';
  for (const chunks of [[text], ...splits(text)]) {
    const label = `chunks ${JSON.stringify(chunks.length > 2 ? "1 char each" : chunks)}`;
    const records = readChunks(chunks, { maxRecordChars: 10 });
    assert.equal(records.length, 3, label);
    assert.deepEqual(records[0], { line: 1, raw: "a,b", fields: ["a", "b"] }, label);
    assert.equal(records[1].line, 2, label);
    assert.equal(records[1].fields, null, label);
    assert.match(records[1].error ?? "", /longer than 10 characters/, label);
    assert.deepEqual(records[2], { line: 3, raw: "c,d", fields: ["c", "d"] }, label);
  }
});

Deno.test("reader: an over-long final line without a line break is reported", () => {
  const records = readChunks(["a,b\n", "0123456789ABCDEF"], { maxRecordChars: 10 });
  assert.deepEqual(records, [
    { line: 1, raw: "a,b", fields: ["a", "b"] },
    {
      line: 2,
      raw: "0123456789ABCDEF",
      fields: null,
      error: "line longer than 10 characters (only its start is kept)",
    },
  ]);
});

const MIXED = '\uFEFF"Loc","Loc Name","DC"\r\n' +
  '"1"," LEAD  NAME",\r\n' +
  "\r\n" +
  '"2","multi\r\nline ""q""","5"\n' +
  '"3","a,b",""\r\n' +
  'bad"x"y,z\r\n' +
  '"4","x"y,"1"\r\n' +
  '"5","last","7"';

const MIXED_RECORDS: CsvRecord[] = [
  { line: 1, raw: '"Loc","Loc Name","DC"', fields: ["Loc", "Loc Name", "DC"] },
  { line: 2, raw: '"1"," LEAD  NAME",', fields: ["1", " LEAD  NAME", null] },
  {
    line: 4,
    raw: '"2","multi\r\nline ""q""","5"',
    fields: ["2", 'multi\r\nline "q"', "5"],
  },
  { line: 6, raw: '"3","a,b",""', fields: ["3", "a,b", ""] },
  {
    line: 7,
    raw: 'bad"x"y,z',
    fields: null,
    error: "quote inside an unquoted field at character 4",
  },
  {
    line: 8,
    raw: '"4","x"y,"1"',
    fields: null,
    error: 'unexpected "y" after a closing quote at character 8',
  },
  { line: 9, raw: '"5","last","7"', fields: ["5", "last", "7"] },
];

Deno.test("reader: mixed text read whole gives the expected records", () => {
  assert.deepEqual(readText(MIXED), MIXED_RECORDS);
});

Deno.test("reader: chunk boundaries anywhere give the same records as the whole text", () => {
  for (const chunks of splits(MIXED)) {
    assert.deepEqual(
      readChunks(chunks),
      MIXED_RECORDS,
      `chunks ${JSON.stringify(chunks.length > 2 ? "1 char each" : chunks)}`,
    );
  }
});

Deno.test("reader: push returns records as soon as their line is complete", () => {
  const reader = new CsvRecordReader();
  assert.deepEqual(reader.push('"a",'), []);
  assert.deepEqual(reader.push('"b"\r\n"c'), [{ line: 1, raw: '"a","b"', fields: ["a", "b"] }]);
  assert.deepEqual(reader.push('\r\nd"\r\n'), [{ line: 2, raw: '"c\r\nd"', fields: ["c\r\nd"] }]);
  assert.deepEqual(reader.end(), []);
});

// ---------------------------------------------------------------------------
// readCsvRecords

const UTF8_TEXT = '"Loc","Loc Name"\r\n"1","Zürich — ✓ 😀"\r\n"2","naïve"';
const UTF8_RECORDS: CsvRecord[] = [
  { line: 1, raw: '"Loc","Loc Name"', fields: ["Loc", "Loc Name"] },
  { line: 2, raw: '"1","Zürich — ✓ 😀"', fields: ["1", "Zürich — ✓ 😀"] },
  { line: 3, raw: '"2","naïve"', fields: ["2", "naïve"] },
];

Deno.test("readCsvRecords: multibyte UTF-8 split at every byte position", async () => {
  const bytes = new TextEncoder().encode(UTF8_TEXT);
  assert.equal(bytes.length, 58); // 44 ASCII bytes + ü ï (2 each) + — ✓ (3 each) + 😀 (4)
  for (let i = 0; i <= bytes.length; i++) {
    const records = await collect([bytes.slice(0, i), bytes.slice(i)]);
    assert.deepEqual(records, UTF8_RECORDS, `split at byte ${i}`);
  }
  const oneByteEach = [...bytes].map((b) => Uint8Array.of(b));
  assert.deepEqual(await collect(oneByteEach), UTF8_RECORDS);
});

Deno.test("readCsvRecords: a byte-order mark is stripped, even split across chunks", async () => {
  const bytes = new TextEncoder().encode("\uFEFFa,b\r\nc,d\r\n");
  assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
  const expected: CsvRecord[] = [
    { line: 1, raw: "a,b", fields: ["a", "b"] },
    { line: 2, raw: "c,d", fields: ["c", "d"] },
  ];
  for (let i = 0; i <= 4; i++) {
    assert.deepEqual(await collect([bytes.slice(0, i), bytes.slice(i)]), expected, `split ${i}`);
  }
});

Deno.test("readCsvRecords: yields batches and an empty stream yields nothing", async () => {
  const enc = new TextEncoder();
  const batches: CsvRecord[][] = [];
  for await (
    const b of readCsvRecords(ReadableStream.from([enc.encode("a\nb\n"), enc.encode("c")]))
  ) {
    batches.push(b);
  }
  assert.deepEqual(batches, [
    [{ line: 1, raw: "a", fields: ["a"] }, { line: 2, raw: "b", fields: ["b"] }],
    [{ line: 3, raw: "c", fields: ["c"] }],
  ]);
  assert.deepEqual(await collect([]), []);
});

// ---------------------------------------------------------------------------
// CR-only line ends (old Mac files)

const MAC = 'h1,h2\r"a","b"\r\r"multi\rline","c"\r"x\r\ny",z\nlast,1\r';
const MAC_RECORDS: CsvRecord[] = [
  { line: 1, raw: "h1,h2", fields: ["h1", "h2"] },
  { line: 2, raw: '"a","b"', fields: ["a", "b"] },
  // Line 3 is blank: skipped, counted.
  { line: 4, raw: '"multi\rline","c"', fields: ["multi\rline", "c"] },
  // CRLF and LF still end lines, in the same file.
  { line: 6, raw: '"x\r\ny",z', fields: ["x\r\ny", "z"] },
  { line: 8, raw: "last,1", fields: ["last", "1"] },
];

Deno.test("reader: a lone CR ends a line; raw text and line numbers stay exact", () => {
  assert.deepEqual(readText(MAC), MAC_RECORDS);
});

Deno.test("reader: CR-only text cut anywhere, a CR whose LF comes with the next chunk included", () => {
  for (const chunks of splits(MAC)) {
    assert.deepEqual(
      readChunks(chunks),
      MAC_RECORDS,
      `chunks ${JSON.stringify(chunks.length > 2 ? "1 char each" : chunks)}`,
    );
  }
  // CRLF cut between its CR and LF is one line end, not two.
  assert.deepEqual(readChunks(["a,b\r", "\nc,d\r", "\n", "e,f"]), [
    { line: 1, raw: "a,b", fields: ["a", "b"] },
    { line: 2, raw: "c,d", fields: ["c", "d"] },
    { line: 3, raw: "e,f", fields: ["e", "f"] },
  ]);
  // A CR at the very end of input ends the last line.
  assert.deepEqual(readChunks(["a,b\r", "c,d\r"]), [
    { line: 1, raw: "a,b", fields: ["a", "b"] },
    { line: 2, raw: "c,d", fields: ["c", "d"] },
  ]);
});

Deno.test("reader: an over-long CR-only line is skipped up to its CR, however chunked", () => {
  const text = 'a,b\r"xxxxxxxxxxxxxxxxxxxx"\rc,d\r';
  for (const chunks of [[text], ...splits(text)]) {
    const label = `chunks ${JSON.stringify(chunks.length > 2 ? "1 char each" : chunks)}`;
    const records = readChunks(chunks, { maxRecordChars: 10 });
    assert.deepEqual(records.map((r) => [r.line, r.fields]), [
      [1, ["a", "b"]],
      [2, null],
      [3, ["c", "d"]],
    ], label);
  }
});

Deno.test("reader: an open quote in a CR-only file: its line is bad, the rest re-read", () => {
  const text = 'h1,h2\r"a,b\r"c","d"\r"e","f"\r';
  const records = readText(text);
  assert.deepEqual(records.map((r) => [r.line, r.raw, r.fields]), [
    [1, "h1,h2", ["h1", "h2"]],
    [2, '"a,b', null],
    [3, '"c","d"', ["c", "d"]],
    [4, '"e","f"', ["e", "f"]],
  ]);
  // The position counts the record's CR, as it counts a CRLF.
  assert.match(records[1].error ?? "", /unexpected "c" after a closing quote at character 7/);
});

// ---------------------------------------------------------------------------
// Cost of an open record

/** Best of three timings of reading `lines` lines held open by an unterminated quote. */
function timeOpenRecord(lines: number): number {
  const body = "x,filler text that is not a quote,".repeat(2) + "\r\n";
  const text = 'h\r\n"open' + "\r\n" + body.repeat(lines) + 'end"\r\nafter\r\n';
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    const records = readChunks(
      // Chunked like a file read, so each push completes a few hundred lines.
      Array.from(
        { length: Math.ceil(text.length / 16384) },
        (_, i) => text.slice(i * 16384, (i + 1) * 16384),
      ),
      { maxRecordChars: 64 << 20 },
    );
    best = Math.min(best, performance.now() - t0);
    assert.equal(records.length, 3);
    assert.equal(records[1].line, 2);
    assert.equal(records[2].line, lines + 4);
  }
  return best;
}

Deno.test("reader: a record held open by a quote costs time linear in its lines", () => {
  // Re-reading the whole open record on every line made 4x the lines cost
  // 12x to 18x the time (0.4 s for 4,000 lines, 5.7 s for 16,000). Linear
  // costs ~4x; 8x leaves room for a loaded machine, and the floor for timer
  // noise on times of a few milliseconds.
  timeOpenRecord(1_000); // warm-up: compile the reader first
  const small = timeOpenRecord(4_000);
  const large = timeOpenRecord(16_000);
  assert.ok(
    large < Math.max(8 * small, 100),
    `4,000 lines: ${small.toFixed(1)} ms; 16,000 lines: ${large.toFixed(1)} ms`,
  );
});

import assert from "node:assert/strict";
import { INVALID_UTF8, storableText, unfinishedTail, Utf8Text } from "../../src/parse/utf8_text.ts";
import { type CsvRecord, readCsvRecords } from "../../src/parse/csv_records.ts";

/** Decode `chunks` with one {@linkcode Utf8Text}. */
function decodeChunks(chunks: readonly Uint8Array[]): { text: string; d: Utf8Text } {
  const d = new Utf8Text();
  let text = "";
  for (const c of chunks) text += d.decode(c);
  return { text: text + d.end(), d };
}

/** A small seeded generator (mulberry32): the same bytes on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes mixing ASCII, valid sequences, encoded U+FFFD and every kind of invalid one. */
function mixedBytes(rand: () => number, n: number): Uint8Array {
  const pieces = [
    [0x41],
    [0x2c],
    [0xc3, 0xa9], // é
    [0xe2, 0x9c, 0x93], // ✓
    [0xf0, 0x9f, 0x98, 0x80], // 😀
    [0xef, 0xbf, 0xbd], // U+FFFD, encoded
    [0x80], // stray continuation
    [0xc0, 0x80], // overlong
    [0xe0, 0x80, 0x80], // overlong
    [0xed, 0xa0, 0x80], // encoded surrogate
    [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
    [0xe2, 0x9c], // cut sequence
    [0xf0, 0x9f, 0x98], // cut sequence
    [0xff],
    [0x00],
  ];
  const out: number[] = [];
  while (out.length < n) out.push(...pieces[Math.floor(rand() * pieces.length)]);
  return Uint8Array.from(out);
}

Deno.test("Utf8Text: the platform decoder's text, with invalid sequences marked, however chunked", () => {
  const rand = random(42);
  const plain = new TextDecoder("utf-8", { ignoreBOM: true });
  for (let trial = 0; trial < 300; trial++) {
    const bytes = mixedBytes(rand, 1 + Math.floor(rand() * 60));
    const expected = plain.decode(bytes);
    const cuts = [0, ...Array.from({ length: 3 }, () => Math.floor(rand() * bytes.length))]
      .sort((a, b) => a - b);
    const chunks = cuts.map((c, i) => bytes.slice(c, cuts[i + 1] ?? bytes.length));
    const { text } = decodeChunks(chunks);
    const label = `bytes ${[...bytes].map((b) => b.toString(16)).join(" ")} cut at ${cuts}`;
    assert.equal(text.replaceAll(INVALID_UTF8, "\uFFFD"), expected, label);
    // Every mark is a replacement the platform made, and every U+FFFD left is an encoded one.
    const encoded = bytes.length > 0 ? countEncodedReplacements(bytes) : 0;
    assert.equal([...text].filter((c) => c === "\uFFFD").length, encoded, label);
  }
});

/** How many times EF BF BD appears in `bytes`. */
function countEncodedReplacements(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i + 2 < bytes.length; i++) {
    if (bytes[i] === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) n++;
  }
  return n;
}

Deno.test("Utf8Text: an encoded U+FFFD is data; only invalid bytes are marked and flagged", () => {
  const fffd = new TextEncoder().encode("a\uFFFDb");
  const one = decodeChunks([fffd]);
  assert.equal(one.text, "a\uFFFDb");
  assert.equal(one.d.invalid, false);
  // Split inside the encoded character: still data.
  assert.equal(decodeChunks([fffd.slice(0, 2), fffd.slice(2)]).text, "a\uFFFDb");
  const bad = decodeChunks([Uint8Array.of(0x61, 0xff, 0x62, 0xe2, 0x9c)]);
  assert.equal(bad.text, `a${INVALID_UTF8}b${INVALID_UTF8}`);
  assert.equal(bad.d.invalid, true);
  assert.equal(bad.d.nul, false);
  assert.equal(decodeChunks([Uint8Array.of(0x61, 0x00)]).d.nul, true);
  // A byte-order mark is text here (the CSV reader drops a leading one).
  assert.equal(decodeChunks([Uint8Array.of(0xef, 0xbb, 0xbf, 0x61)]).text, "\uFEFFa");
});

Deno.test("unfinishedTail: only a sequence valid so far and cut by the end waits", () => {
  assert.equal(unfinishedTail(Uint8Array.of(0x61)), 0);
  assert.equal(unfinishedTail(Uint8Array.of(0x61, 0xe2)), 1);
  assert.equal(unfinishedTail(Uint8Array.of(0x61, 0xe2, 0x9c)), 2);
  assert.equal(unfinishedTail(Uint8Array.of(0xe2, 0x9c, 0x93)), 0);
  assert.equal(unfinishedTail(Uint8Array.of(0xf0, 0x9f, 0x98)), 3);
  assert.equal(unfinishedTail(Uint8Array.of(0xe0, 0x80)), 0, "E0 80 is already invalid");
  assert.equal(unfinishedTail(Uint8Array.of(0x80, 0x80)), 0, "no lead byte");
  assert.equal(unfinishedTail(new Uint8Array()), 0);
});

Deno.test("storableText: NUL becomes U+2400 and invalid UTF-8 U+FFFD, positions unchanged", () => {
  assert.equal(storableText(`a\0b${INVALID_UTF8}c`), "a\u2400b\uFFFDc");
  assert.equal(storableText("plain"), "plain");
});

async function records(bytes: Uint8Array, chunk: number): Promise<CsvRecord[]> {
  const chunks = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.slice(i, i + chunk));
  const out: CsvRecord[] = [];
  for await (const b of readCsvRecords(ReadableStream.from(chunks))) out.push(...b);
  return out;
}

Deno.test("readCsvRecords: an encoded U+FFFD stays U+FFFD; an invalid byte is INVALID_UTF8", async () => {
  const enc = new TextEncoder();
  const bytes = Uint8Array.from([
    ...enc.encode('"a","b"\r\n"x\uFFFDy","1"\r\n"'),
    0xc3, // é cut short by the quote after it
    ...enc.encode('","2"\r\n'),
  ]);
  for (const chunk of [1, 2, 3, 7, bytes.length]) {
    assert.deepEqual((await records(bytes, chunk)).map((r) => r.fields), [
      ["a", "b"],
      ["x\uFFFDy", "1"],
      [INVALID_UTF8, "2"],
    ], `chunks of ${chunk}`);
  }
});

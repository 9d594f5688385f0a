/**
 * Streaming UTF-8 decoding that tells bytes which are not UTF-8 apart from an
 * encoded U+FFFD (EF BF BD): a plain non-fatal decoder turns both into U+FFFD,
 * so a file that legitimately holds the replacement character would have its
 * rows quarantined as "not valid UTF-8".
 *
 * The fast path is the platform's decoder, one call per chunk. Only a chunk
 * whose text holds a U+FFFD is walked byte by byte, to mark each invalid
 * sequence with {@linkcode INVALID_UTF8} instead.
 *
 * @module
 */

/**
 * Stands for one invalid UTF-8 sequence in decoded text (where a plain decoder
 * writes U+FFFD). A lone surrogate: no valid UTF-8 decodes to one, so it can
 * never be mistaken for data. Never store it: {@linkcode storableText} turns
 * it back into U+FFFD.
 */
export const INVALID_UTF8 = "\uDFFF";

const REPLACEMENT = "\uFFFD";

/** The bounds of a lead byte's sequence, or `undefined` for a byte no sequence starts with. */
function leadOf(b: number): { need: number; lo: number; hi: number } | undefined {
  if (b >= 0xc2 && b <= 0xdf) return { need: 1, lo: 0x80, hi: 0xbf };
  if (b >= 0xe0 && b <= 0xef) {
    return { need: 2, lo: b === 0xe0 ? 0xa0 : 0x80, hi: b === 0xed ? 0x9f : 0xbf };
  }
  if (b >= 0xf0 && b <= 0xf4) {
    return { need: 3, lo: b === 0xf0 ? 0x90 : 0x80, hi: b === 0xf4 ? 0x8f : 0xbf };
  }
  return undefined;
}

/**
 * Length of the sequence starting at `i` when it is valid, else the negated
 * length of its maximal invalid subpart (what the WHATWG decoder replaces by
 * one U+FFFD), at least 1. A sequence cut by the end of `bytes` is invalid.
 */
function sequenceAt(bytes: Uint8Array, i: number): number {
  const lead = leadOf(bytes[i]);
  if (!lead) return -1;
  let { lo, hi } = lead;
  let j = i + 1;
  for (let k = 0; k < lead.need; k++, j++) {
    if (j >= bytes.length || bytes[j] < lo || bytes[j] > hi) return -(j - i);
    lo = 0x80;
    hi = 0xbf;
  }
  return j - i;
}

/**
 * How many bytes at the end of `bytes` start a sequence that is valid so far
 * but unfinished: they wait for the next chunk (as a streaming decoder keeps them).
 */
export function unfinishedTail(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let k = 1; k <= 3 && k <= n; k++) {
    const b = bytes[n - k];
    if (b >= 0x80 && b <= 0xbf) continue;
    const lead = leadOf(b);
    if (!lead || k > lead.need) return 0;
    // Valid so far: each byte after the lead within its bounds.
    return -sequenceAt(bytes, n - k) === k ? k : 0;
  }
  return 0;
}

/** Decode `bytes` (no unfinished tail) marking every invalid sequence with {@linkcode INVALID_UTF8}. */
function decodeMarked(bytes: Uint8Array, decoder: TextDecoder): string {
  let out = "";
  let run = 0;
  for (let i = 0; i < bytes.length;) {
    if (bytes[i] < 0x80) {
      i++;
      continue;
    }
    const len = sequenceAt(bytes, i);
    if (len > 0) {
      i += len;
      continue;
    }
    out += decoder.decode(bytes.subarray(run, i)) + INVALID_UTF8;
    i -= len;
    run = i;
  }
  return out + decoder.decode(bytes.subarray(run));
}

/**
 * Incremental decoder: {@linkcode Utf8Text.decode} each chunk, then
 * {@linkcode Utf8Text.end}. Text is exactly what a non-fatal `TextDecoder`
 * gives, byte-order mark included, except that each invalid sequence is
 * {@linkcode INVALID_UTF8}. The flags tell a caller which per-record checks
 * can be skipped.
 */
export class Utf8Text {
  readonly #decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  #carry: Uint8Array | null = null;
  /** Some bytes so far were not valid UTF-8. */
  invalid = false;
  /** Some text so far held U+0000. */
  nul = false;

  /** Text of `chunk` (a sequence cut at its end waits for the next chunk). */
  decode(chunk: Uint8Array): string {
    let bytes = chunk;
    if (this.#carry) {
      bytes = new Uint8Array(this.#carry.length + chunk.length);
      bytes.set(this.#carry);
      bytes.set(chunk, this.#carry.length);
      this.#carry = null;
    }
    const keep = unfinishedTail(bytes);
    if (keep > 0) {
      this.#carry = bytes.slice(bytes.length - keep);
      bytes = bytes.subarray(0, bytes.length - keep);
    }
    return this.#text(bytes);
  }

  /** Text of what is left (a sequence cut by the end of input is invalid). */
  end(): string {
    const rest = this.#carry;
    this.#carry = null;
    return rest ? this.#text(rest) : "";
  }

  #text(bytes: Uint8Array): string {
    // Searched in the text, not the bytes: a string search is several times faster.
    const text = this.#decoder.decode(bytes);
    if (text.indexOf("\0") >= 0) this.nul = true;
    if (text.indexOf(REPLACEMENT) < 0) return text;
    const marked = decodeMarked(bytes, this.#decoder);
    if (marked.indexOf(INVALID_UTF8) >= 0) this.invalid = true;
    return marked;
  }
}

const UNSTORABLE = /[\0\uDFFF]/g;

/**
 * `text` made storable in a PostgreSQL text column: U+0000 (which text cannot
 * hold) becomes U+2400 SYMBOL FOR NULL, visibly and without moving later
 * characters (so "at character N" in a reason still points at the right
 * place), and {@linkcode INVALID_UTF8} becomes U+FFFD. A U+2400 or U+FFFD
 * that was in the file already reads the same: the reason says which it was.
 */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, (c) => (c === "\0" ? "\u2400" : REPLACEMENT));
}

/**
 * Streaming RFC 4180 record reader that keeps what quarantine needs: the
 * physical line a record starts on, its raw text, and whether an empty field
 * was quoted (`""`, an empty string) or not (a missing value, `null`).
 *
 * Modelled on `@std/csv`'s `CsvParseStream` (unreachable here: JSR). The npm
 * parsers were measured first and rejected for this job: csv-parse 7.0.3
 * miscounts lines after a quoted CRLF and moves CR characters between raw
 * records, and udsv 0.7.3 reports neither raw records nor line numbers.
 *
 * Memory is bounded by the longest record (capped by `maxRecordChars`), never
 * by the file: a stray quote cannot swallow the rest of the file, because an
 * open record that grows past the cap is declared bad and reading resumes on
 * the line after it started.
 *
 * @module
 */

/** One record, or one line that could not be read as a record. */
export interface CsvRecord {
  /** Physical line (1-based) on which the record starts. */
  line: number;
  /** The record's text as it appears in the file, without its final line break. */
  raw: string;
  /**
   * Fields: `null` for an empty unquoted field, the unescaped text otherwise.
   * `null` when the record is malformed (see {@linkcode CsvRecord.error}).
   */
  fields: (string | null)[] | null;
  /** Why the record could not be read. */
  error?: string;
}

/** Options for {@linkcode CsvRecordReader}. */
export interface CsvRecordReaderOptions {
  /** Longest record accepted, in UTF-16 code units (default 1 MiB). */
  maxRecordChars?: number;
}

const QUOTE = 34; // "
const UNTERMINATED = "unterminated quoted field";
const COMMA = 44; // ,

/**
 * Split one complete record into fields.
 *
 * @returns the fields, or an error message naming the column (1-based character position).
 */
export function splitRecord(text: string): (string | null)[] | string {
  if (text.indexOf('"') < 0) {
    const parts: (string | null)[] = text.split(",");
    for (let i = 0; i < parts.length; i++) if (parts[i] === "") parts[i] = null;
    return parts;
  }
  const out: (string | null)[] = [];
  const n = text.length;
  let pos = 0;
  for (;;) {
    if (pos < n && text.charCodeAt(pos) === QUOTE) {
      let end = text.indexOf('"', pos + 1);
      let escaped = false;
      while (end >= 0 && text.charCodeAt(end + 1) === QUOTE) {
        escaped = true;
        end = text.indexOf('"', end + 2);
      }
      if (end < 0) return `${UNTERMINATED} at character ${pos + 1}`;
      const inner = text.slice(pos + 1, end);
      out.push(escaped ? inner.replaceAll('""', '"') : inner);
      pos = end + 1;
      if (pos === n) return out;
      if (text.charCodeAt(pos) !== COMMA) {
        return `unexpected ${JSON.stringify(text[pos])} after a closing quote at character ${
          pos + 1
        }`;
      }
      pos++;
    } else {
      let end = text.indexOf(",", pos);
      if (end < 0) end = n;
      const field = text.slice(pos, end);
      const q = field.indexOf('"');
      if (q >= 0) return `quote inside an unquoted field at character ${pos + q + 1}`;
      out.push(field === "" ? null : field);
      if (end === n) return out;
      pos = end + 1;
    }
  }
}

function quoteCount(text: string): number {
  let count = 0;
  let i = text.indexOf('"');
  while (i >= 0) {
    count++;
    i = text.indexOf('"', i + 1);
  }
  return count;
}

/**
 * Incremental reader: feed decoded text with {@linkcode CsvRecordReader.push},
 * finish with {@linkcode CsvRecordReader.end}. Blank lines are skipped but
 * counted. A leading byte-order mark is removed.
 */
export class CsvRecordReader {
  readonly #max: number;
  #buf = "";
  #line = 0; // physical lines consumed so far
  #pending: string[] = []; // lines of an open (multi-line) record
  #pendingStart = 0;
  #pendingQuotes = 0;
  #pendingChars = 0;
  #first = true;
  #skipping = false; // inside an over-long line that was already reported

  /** Create a reader. */
  constructor(opts: CsvRecordReaderOptions = {}) {
    this.#max = opts.maxRecordChars ?? 1 << 20;
  }

  /** Consume `chunk`; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    if (this.#first && chunk.length > 0) {
      this.#first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    const out: CsvRecord[] = [];
    const buf = this.#buf + chunk;
    let pos = 0;
    if (this.#skipping) {
      // Discard the rest of an over-long line already reported as bad.
      const nl = buf.indexOf("\n");
      if (nl < 0) {
        this.#buf = "";
        return out;
      }
      this.#skipping = false;
      this.#line++;
      pos = nl + 1;
    }
    for (;;) {
      const nl = buf.indexOf("\n", pos);
      if (nl < 0) break;
      const cr = nl > pos && buf.charCodeAt(nl - 1) === 13;
      this.#takeLine(buf.slice(pos, cr ? nl - 1 : nl), cr, out);
      pos = nl + 1;
    }
    this.#buf = buf.slice(pos);
    if (this.#buf.length + this.#pendingChars > this.#max) this.#overflow(out);
    return out;
  }

  /** Signal the end of input; returns the last records. */
  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    if (this.#skipping) {
      this.#skipping = false;
      this.#line++;
      this.#buf = "";
    }
    if (this.#buf.length > 0) {
      const last = this.#buf;
      this.#buf = "";
      const cr = last.charCodeAt(last.length - 1) === 13;
      this.#takeLine(cr ? last.slice(0, -1) : last, cr, out);
    }
    // A quoted field still open at the end: its first line is bad, and the
    // lines after it are read again as records of their own (each pass
    // consumes at least one line, so this ends).
    while (this.#pending.length > 0) {
      this.#overflow(
        out,
        `unterminated quoted field: the record starting on line ${this.#pendingStart} ` +
          "runs to the end of the file",
      );
    }
    return out;
  }

  /** One physical line, without its terminator; `cr` when it ended in CRLF. */
  #takeLine(line: string, cr: boolean, out: CsvRecord[]): void {
    this.#line++;
    if (this.#pending.length === 0) {
      if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === "")) return;
      if (line.length > this.#max) {
        out.push({
          line: this.#line,
          raw: line.slice(0, 200),
          fields: null,
          error: `line longer than ${this.#max} characters (only its start is kept)`,
        });
        return;
      }
      // One pass decides: a complete record, a malformed one, or a quoted
      // field left open at the line end (a record spanning lines). A stray
      // quote (`"BAD"QUOTE"`) is malformed and must not swallow later lines.
      const split = splitRecord(line);
      if (typeof split !== "string") {
        out.push({ line: this.#line, raw: line, fields: split });
        return;
      }
      if (!split.startsWith(UNTERMINATED)) {
        out.push({ line: this.#line, raw: line, fields: null, error: split });
        return;
      }
      // Lines of a multi-line record keep their CR so the raw text stays exact.
      const text = cr ? line + "\r" : line;
      this.#pending = [text];
      this.#pendingStart = this.#line;
      this.#pendingQuotes = quoteCount(line);
      this.#pendingChars = text.length;
    } else {
      const text = cr ? line + "\r" : line;
      this.#pending.push(text);
      this.#pendingQuotes += quoteCount(text);
      this.#pendingChars += text.length + 1;
      if (this.#pendingChars > this.#max) {
        this.#overflow(out);
        return;
      }
      if ((this.#pendingQuotes & 1) === 0) {
        let raw = this.#pending.join("\n");
        if (raw.charCodeAt(raw.length - 1) === 13) raw = raw.slice(0, -1);
        const start = this.#pendingStart;
        this.#pending = [];
        this.#pendingChars = 0;
        this.#emit(start, raw, out);
        return;
      }
      const split = splitRecord(this.#pending.join("\n"));
      if (typeof split === "string" && !split.startsWith(UNTERMINATED)) {
        this.#overflow(out, split);
        return;
      }
    }
    if (this.#pendingChars > this.#max) this.#overflow(out);
  }

  #emit(line: number, raw: string, out: CsvRecord[]): void {
    const fields = splitRecord(raw);
    if (typeof fields === "string") out.push({ line, raw, fields: null, error: fields });
    else out.push({ line, raw, fields });
  }

  /**
   * An open record cannot be completed (it grew past the cap, or became
   * malformed): its first line is bad; re-read the rest.
   */
  #overflow(out: CsvRecord[], reason?: string): void {
    if (this.#pending.length === 0) {
      // A single line longer than the cap with no line break yet.
      out.push({
        line: this.#line + 1,
        raw: this.#buf.slice(0, 200),
        fields: null,
        error: `line longer than ${this.#max} characters (only its start is kept)`,
      });
      this.#buf = "";
      this.#skipping = true;
      return;
    }
    const [first, ...rest] = this.#pending;
    const start = this.#pendingStart;
    this.#pending = [];
    this.#pendingChars = 0;
    out.push({
      line: start,
      raw: first.charCodeAt(first.length - 1) === 13 ? first.slice(0, -1) : first,
      fields: null,
      error: reason
        ? `unbalanced quote: the record starting here cannot be completed (${reason})`
        : `unbalanced quote: no closing quote within ${this.#max} characters`,
    });
    this.#line = start;
    for (const text of rest) {
      const cr = text.charCodeAt(text.length - 1) === 13;
      this.#takeLine(cr ? text.slice(0, -1) : text, cr, out);
    }
  }
}

/**
 * Read records from a byte stream, in batches (one per input chunk) so the
 * per-record cost stays a plain loop, not an await.
 */
export async function* readCsvRecords(
  bytes: ReadableStream<Uint8Array>,
  opts: CsvRecordReaderOptions = {},
): AsyncGenerator<CsvRecord[]> {
  const reader = new CsvRecordReader(opts);
  const text = bytes.pipeThrough(new TextDecoderStream("utf-8"));
  for await (const chunk of text) {
    const batch = reader.push(chunk);
    if (batch.length > 0) yield batch;
  }
  const last = reader.end();
  if (last.length > 0) yield last;
}

/**
 * Turn a CSV byte stream into COPY text, one line per data record, streaming.
 * Where each good and bad record goes is up to a {@linkcode RowSink}: into the
 * staging table (good and bad alike), or straight into the target table with
 * the few bad ones kept aside for quarantine.
 *
 * @module
 */
import { type CsvRecord, readCsvRecords } from "../parse/csv_records.ts";
import { INVALID_UTF8, storableText, Utf8Text } from "../parse/utf8_text.ts";
import {
  convertRow,
  HeaderError,
  type HeaderMap,
  keyValues,
  mapHeader,
  nulReason,
  type RowResult,
  type RowValues,
} from "../parse/row_converter.ts";
import type { Layout } from "../reports/layout.ts";
import { copyFields, copyRow, copyValue, needsEscape } from "./copy_text.ts";

/** Counters filled while streaming. */
export interface StageStats {
  /** Data records read. */
  rowsRead: number;
  /** Records rejected while parsing (duplicates are found later, in SQL). */
  rejected: number;
  /** Headers present but not used. */
  extraHeaders: string[];
}

/** A record that cannot be loaded, and why. */
export interface Rejected {
  /** Line it starts on. */
  line: number;
  /** Its raw text. */
  raw: string;
  /** Why. */
  reason: string;
  /** Its key columns (others `null`), when they could be read (see `keyValues`). */
  key?: RowValues;
}

/** Where records go. */
export interface RowSink {
  /** COPY line for a good record; `plain` when no value needs escaping. */
  good(rec: CsvRecord, values: RowValues, plain: boolean): string;
  /** COPY line for a rejected record, or "" when the sink keeps it aside. */
  bad(r: Rejected): string;
}

/** Roughly how much COPY text to gather before handing it to the driver. */
const FLUSH_CHARS = 64 * 1024;

/**
 * Rows for the staging table (`line_no, raw_line, reason, <the layout's
 * columns>`). Rejected records always carry their raw text; good ones only
 * with `keepRaw` (needed when duplicates must be quarantined; otherwise half
 * the COPY volume for nothing).
 */
export function stagingSink(layout: Layout, keepRaw: boolean): RowSink {
  const NULLS: null[] = new Array(layout.columns.length).fill(null);
  return {
    good: (rec, values, plain) =>
      keepRaw
        ? copyRow([rec.line, rec.raw, null, ...values], plain)
        : `${rec.line}\t\\N\t\\N\t${copyRow(values, plain)}`,
    // A bad row keeps its key when it can be read: the location is still posted.
    bad: (r) => copyRow([r.line, r.raw, r.reason, ...(r.key ?? NULLS)]),
  };
}

/** Thrown by {@linkcode directSink} when more records are rejected than it keeps in memory. */
export class TooManyRejected extends Error {
  /** Build the error. */
  constructor(limit: number) {
    super(`more than ${limit} rejected rows`);
    this.name = "TooManyRejected";
  }
}

/**
 * Rows for the report's table itself (`asset, gas_day, cycle, source, <the
 * layout's columns>, load_id`); rejected records are kept in `rejected`, at
 * most `limit` of them (memory stays bounded: past that it throws
 * {@linkcode TooManyRejected}).
 */
export function directSink(o: {
  asset: string;
  gasDay: string;
  cycle: string;
  source: string;
  loadId: number;
  rejected: Rejected[];
  limit: number;
}): RowSink {
  const prefix = [o.asset, o.gasDay, o.cycle, o.source].map(copyValue).join("\t") + "\t";
  const suffix = `\t${o.loadId}\n`;
  return {
    good: (_rec, values, plain) => prefix + copyFields(values, plain) + suffix,
    bad: (r) => {
      if (o.rejected.length >= o.limit) throw new TooManyRejected(o.limit);
      o.rejected.push(r);
      return "";
    },
  };
}

/**
 * Yield COPY text chunks from `bytes` through `sink`.
 *
 * Every string that reaches the database is storable in text: a row whose
 * loaded values hold a NUL character is rejected (see {@linkcode nulReason}),
 * and raw lines (kept for quarantine) have NUL written as U+2400 and invalid
 * UTF-8 as U+FFFD (see {@linkcode storableText}). Bytes that are not valid
 * UTF-8 reject their row; an encoded U+FFFD in the file is data.
 *
 * @throws {HeaderError} when the header is missing, unreadable or lacks a required column
 */
export async function* copyLines(
  bytes: ReadableStream<Uint8Array>,
  stats: StageStats,
  sink: RowSink,
  layout: Layout,
): AsyncGenerator<string> {
  let header: HeaderMap | undefined;
  let names: readonly string[] = [];
  let out = "";
  const text = new Utf8Text();
  for await (const batch of readCsvRecords(bytes, { decoder: text })) {
    for (let rec of batch) {
      if (!header) {
        [header, names] = readHeader(rec, layout);
        stats.extraHeaders = [...header.extra];
        continue;
      }
      stats.rowsRead++;
      const r = checkRecord(rec, header, names, text);
      if (text.nul || text.invalid) rec = { ...rec, raw: storableText(rec.raw) };
      if (r.ok) {
        out += sink.good(rec, r.values, !needsEscape(rec.raw));
        continue;
      }
      stats.rejected++;
      const key = rec.fields === null ? undefined : keyValues(rec.fields, header);
      out += sink.bad({ line: rec.line, raw: rec.raw, reason: r.reason, key });
    }
    if (out.length >= FLUSH_CHARS) {
      yield out;
      out = "";
    }
  }
  if (!header) throw new HeaderError("no header line: the file is empty");
  if (out.length > 0) yield out;
}

/**
 * The header record, matched, and its names by field index. Its fields are
 * made storable first: a `HeaderError` quoting them ends up in the ledger.
 */
function readHeader(rec: CsvRecord, layout: Layout): [HeaderMap, string[]] {
  if (rec.fields === null) {
    throw new HeaderError(`line ${rec.line}: unreadable header: ${storableText(rec.error ?? "")}`);
  }
  const safe = rec.fields.map((f) => (f === null ? null : storableText(f)));
  return [mapHeader(safe, layout), safe.map((f) => f ?? "")];
}

/**
 * One record's verdict. The byte-level checks run only once the decoder has
 * met what they look for (its flags are sticky, and set before the records
 * they concern are read), so a clean file pays nothing for them.
 */
function checkRecord(
  rec: CsvRecord,
  header: HeaderMap,
  names: readonly string[],
  text: Utf8Text,
): RowResult {
  const fields = rec.fields;
  if (fields === null) return { ok: false, reason: rec.error ?? "unreadable record" };
  if (text.invalid && fields.some((f) => f !== null && f.includes(INVALID_UTF8))) {
    return { ok: false, reason: invalidUtf8(fields, names) };
  }
  const nul = text.nul ? nulReason(fields, header) : undefined;
  return nul === undefined ? convertRow(fields, header) : { ok: false, reason: nul };
}

/** Why a record holding invalid UTF-8 is rejected, naming the first field that does. */
function invalidUtf8(fields: readonly (string | null)[], names: readonly string[]): string {
  const i = fields.findIndex((f) => f !== null && f.includes(INVALID_UTF8));
  const name = names[i];
  const where = name === undefined ? `field ${i + 1}` : `column "${name}" (field ${i + 1})`;
  return `${where}: bytes that are not valid UTF-8 (shown as U+FFFD in raw_line)`;
}

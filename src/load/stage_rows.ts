/**
 * Turn a CSV byte stream into COPY text for the staging table: one line per
 * data record, good or bad, so the whole file travels in a single COPY and bad
 * rows reach quarantine in the same transaction as the good ones.
 *
 * @module
 */
import { readCsvRecords } from "../parse/csv_records.ts";
import { convertRow, HeaderError, type HeaderMap, mapHeader } from "../parse/capacity_row.ts";
import { CAPACITY_COLUMNS } from "../parse/capacity_layout.ts";
import { copyRow, needsEscape } from "./copy_text.ts";

/** Counters filled while streaming. */
export interface StageStats {
  /** Data records read. */
  rowsRead: number;
  /** Records rejected while parsing (duplicates are found later, in SQL). */
  rejected: number;
  /** Headers present but not used. */
  extraHeaders: string[];
}

/** Roughly how much COPY text to gather before handing it to the driver. */
const FLUSH_CHARS = 256 * 1024;

const NULLS: null[] = new Array(CAPACITY_COLUMNS.length).fill(null);

/**
 * Yield COPY text chunks for the staging table from `bytes`. Rejected records
 * always carry their raw text; good ones only with `keepRaw` (needed when
 * duplicates must be quarantined, otherwise half the COPY volume for nothing).
 *
 * @throws {HeaderError} when the header is missing, unreadable or lacks a required column
 */
export async function* stageRows(
  bytes: ReadableStream<Uint8Array>,
  stats: StageStats,
  opts: { keepRaw: boolean },
): AsyncGenerator<string> {
  let header: HeaderMap | undefined;
  let out = "";
  for await (const batch of readCsvRecords(bytes)) {
    for (const rec of batch) {
      if (!header) {
        if (rec.fields === null) {
          throw new HeaderError(`line ${rec.line}: unreadable header: ${rec.error}`);
        }
        header = mapHeader(rec.fields);
        stats.extraHeaders = [...header.extra];
        continue;
      }
      stats.rowsRead++;
      let reason: string | undefined;
      if (rec.fields === null) reason = rec.error;
      else if (rec.raw.includes("\uFFFD")) reason = "not valid UTF-8";
      else {
        const r = convertRow(rec.fields, header);
        if (r.ok) {
          const plain = !needsEscape(rec.raw);
          out += copyRow([rec.line, opts.keepRaw ? rec.raw : null, null, ...r.values], plain);
          continue;
        }
        reason = r.reason;
      }
      stats.rejected++;
      out += copyRow([rec.line, rec.raw, reason ?? "unreadable record", ...NULLS]);
    }
    if (out.length >= FLUSH_CHARS) {
      yield out;
      out = "";
    }
  }
  if (!header) throw new HeaderError("no header line: the file is empty");
  if (out.length > 0) yield out;
}

/**
 * Turn a CSV byte stream into COPY text, one line per data record, streaming.
 * Where each good and bad record goes is up to a {@linkcode RowSink}: into the
 * staging table (good and bad alike), or straight into the target table with
 * the few bad ones kept aside for quarantine.
 *
 * @module
 */
import { type CsvRecord, readCsvRecords } from "../parse/csv_records.ts";
import {
  convertRow,
  HeaderError,
  type HeaderMap,
  mapHeader,
  type RowValues,
} from "../parse/capacity_row.ts";
import { CAPACITY_COLUMNS } from "../parse/capacity_layout.ts";
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

const NULLS: null[] = new Array(CAPACITY_COLUMNS.length).fill(null);

/**
 * Rows for the staging table (`line_no, raw_line, reason, <15 columns>`).
 * Rejected records always carry their raw text; good ones only with `keepRaw`
 * (needed when duplicates must be quarantined; otherwise half the COPY volume
 * for nothing).
 */
export function stagingSink(keepRaw: boolean): RowSink {
  return {
    good: (rec, values, plain) =>
      keepRaw
        ? copyRow([rec.line, rec.raw, null, ...values], plain)
        : `${rec.line}\t\\N\t\\N\t${copyRow(values, plain)}`,
    bad: (r) => copyRow([r.line, r.raw, r.reason, ...NULLS]),
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
 * Rows for the target table itself (`asset, gas_day, cycle, <15 columns>,
 * load_id`); rejected records are kept in `rejected`, at most `limit` of them
 * (memory stays bounded: past that it throws {@linkcode TooManyRejected}).
 */
export function directSink(o: {
  asset: string;
  gasDay: string;
  cycle: string;
  loadId: number;
  rejected: Rejected[];
  limit: number;
}): RowSink {
  const prefix = `${copyValue(o.asset)}\t${copyValue(o.gasDay)}\t${copyValue(o.cycle)}\t`;
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
 * @throws {HeaderError} when the header is missing, unreadable or lacks a required column
 */
export async function* copyLines(
  bytes: ReadableStream<Uint8Array>,
  stats: StageStats,
  sink: RowSink,
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
          out += sink.good(rec, r.values, !needsEscape(rec.raw));
          continue;
        }
        reason = r.reason;
      }
      stats.rejected++;
      out += sink.bad({ line: rec.line, raw: rec.raw, reason: reason ?? "unreadable record" });
    }
    if (out.length >= FLUSH_CHARS) {
      yield out;
      out = "";
    }
  }
  if (!header) throw new HeaderError("no header line: the file is empty");
  if (out.length > 0) yield out;
}

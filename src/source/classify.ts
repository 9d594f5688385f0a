/**
 * Decide from the first bytes of a body whether it is a capacity CSV or a
 * "not posted yet" answer (empty, header only, HTML, binary, other text).
 *
 * The site's answer for a cycle that is not posted is not documented; it is
 * believed to be an empty or header-only body, possibly an HTML page. All of
 * those mean "ask again later", never data and never a crash.
 *
 * @module
 */
import { CAPACITY_COLUMNS, normaliseHeader } from "../parse/capacity_layout.ts";
import { splitRecord } from "../parse/csv_records.ts";

/** Bytes to read from the start of a body to classify it. */
export const SNIFF_BYTES = 64 * 1024;

/** The verdict on a body. */
export type BodyKind =
  | { kind: "csv" }
  | { kind: "not_posted"; reason: string };

const KNOWN = new Set(CAPACITY_COLUMNS.map((c) => normaliseHeader(c.header)));

/** Options for {@linkcode classifyBody}. */
export interface ClassifyOptions {
  /** The first bytes of the body (at most {@linkcode SNIFF_BYTES}). */
  prefix: Uint8Array;
  /** Size of the whole body. */
  totalBytes: number;
  /** `Content-Type` response header, if any. */
  contentType?: string | null;
}

/**
 * Classify a body. A body whose first line names at least two of the report's
 * headers is CSV (a renamed or missing header then fails the load loudly,
 * rather than passing for "not posted").
 */
export function classifyBody(opts: ClassifyOptions): BodyKind {
  const { prefix, totalBytes } = opts;
  if (totalBytes === 0) return { kind: "not_posted", reason: "empty body" };
  if (prefix.includes(0)) return { kind: "not_posted", reason: "binary body (contains NUL bytes)" };
  const text = new TextDecoder("utf-8", { fatal: false }).decode(prefix).replace(/^\uFEFF/, "");
  const trimmed = text.trimStart();
  if (trimmed === "" && totalBytes <= prefix.length) {
    return { kind: "not_posted", reason: "blank body" };
  }
  if (/^</.test(trimmed) || /^text\/html/i.test(opts.contentType ?? "")) {
    return { kind: "not_posted", reason: "HTML page instead of CSV" };
  }
  const nl = trimmed.indexOf("\n");
  const firstLine = (nl < 0 ? trimmed : trimmed.slice(0, nl)).replace(/\r$/, "");
  const fields = splitRecord(firstLine);
  const known = typeof fields === "string"
    ? 0
    : fields.filter((f) => f !== null && KNOWN.has(normaliseHeader(f))).length;
  if (known < 2) {
    return {
      kind: "not_posted",
      reason: `not a capacity CSV: first line is ${JSON.stringify(firstLine.slice(0, 120))}`,
    };
  }
  if (totalBytes <= prefix.length) {
    const rest = nl < 0 ? "" : trimmed.slice(nl + 1);
    if (rest.trim() === "") return { kind: "not_posted", reason: "header only, no rows" };
  }
  return { kind: "csv" };
}

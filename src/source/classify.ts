/**
 * Decide from the first bytes of a body whether it is a capacity CSV or a
 * "not posted yet" answer (empty, header only, HTML, binary, other text), and
 * from its last bytes whether a capacity CSV was cut short.
 *
 * The site's answer for a cycle that is not posted is not documented; it is
 * believed to be an empty or header-only body, possibly an HTML page. All of
 * those mean "ask again later", never data and never a crash.
 *
 * @module
 */
import { knownHeaders as layoutHeaders, type Layout, normaliseHeader } from "../reports/layout.ts";
import { CsvRecordReader, isUnterminated, splitRecord } from "../parse/csv_records.ts";

/** Bytes to read from the start of a body to classify it (and from its end, to check it is whole). */
export const SNIFF_BYTES = 64 * 1024;

/** The verdict on a body. */
export type BodyKind =
  | { kind: "csv" }
  | { kind: "not_posted"; reason: string };

const knownByLayout = new WeakMap<Layout, Set<string>>();

function known(layout: Layout): Set<string> {
  let k = knownByLayout.get(layout);
  if (!k) knownByLayout.set(layout, k = layoutHeaders(layout));
  return k;
}
const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Options for {@linkcode classifyBody}. */
export interface ClassifyOptions {
  /** The report's layout: whose headers make a first line a header. */
  layout: Layout;
  /** The first bytes of the body (at most {@linkcode SNIFF_BYTES}). */
  prefix: Uint8Array;
  /** Size of the whole body. */
  totalBytes: number;
  /** `Content-Type` response header, if any. */
  contentType?: string | null;
}

/** The first line of a body as far as the prefix shows it. */
interface FirstLine {
  /** Its text (cut by the window when `ended` is false). */
  text: string;
  /** Its fields (only those the window shows whole when `ended` is false), or a split error. */
  fields: (string | null)[] | string;
  /** Whether its end (a line break, or the end of the body) is in view. */
  ended: boolean;
  /** What follows its line break, within the window. */
  rest: string;
}

/** Position of the first CR or LF in `text` at or after `from`, or -1. */
function lineBreak(text: string, from = 0): number {
  const cr = text.indexOf("\r", from);
  const lf = text.indexOf("\n", from);
  return cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
}

/**
 * The fields that end inside `text`, the start of a line longer than the
 * window: everything before the last comma outside quotes (the field after
 * it may be cut).
 */
function leadingFields(text: string): (string | null)[] | string {
  let inQuotes = false;
  let cut = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) inQuotes = !inQuotes;
    else if (c === COMMA && !inQuotes) cut = i;
  }
  return cut < 0 ? [] : splitRecord(text.slice(0, cut));
}

/** The first line of `text` (the body's start, trimmed); `more` when the body goes on past it. */
function firstLine(text: string, more: boolean): FirstLine {
  const end = lineBreak(text);
  if (end >= 0) {
    const next = text.charCodeAt(end) === CR && text.charCodeAt(end + 1) === LF ? end + 2 : end + 1;
    const line = text.slice(0, end);
    return { text: line, fields: splitRecord(line), ended: true, rest: text.slice(next) };
  }
  // A header longer than the window: judged by the fields the window shows.
  if (more) return { text, fields: leadingFields(text), ended: false, rest: "" };
  return { text, fields: splitRecord(text), ended: true, rest: "" };
}

/** A first line with no whole field in the window that opens with a quoted, printable field. */
function openField(first: FirstLine): boolean {
  const whole = typeof first.fields === "string" ? 0 : first.fields.length;
  if (whole !== 0 || first.text.charCodeAt(0) !== 0x22 || first.text.indexOf('"', 1) >= 0) {
    return false;
  }
  for (let i = 1; i < first.text.length; i++) {
    const c = first.text.charCodeAt(i);
    // Tab, line feed, carriage return and the like are text; other controls are not.
    if (c < 0x20 && (c < 0x09 || c > 0x0d)) return false;
  }
  return true;
}

function knownHeaders(fields: (string | null)[] | string, layout: Layout): number {
  const KNOWN = known(layout);
  return typeof fields === "string"
    ? 0
    : fields.filter((f) => f !== null && KNOWN.has(normaliseHeader(f))).length;
}

/** The prefix as text, byte-order mark and leading white space removed. */
function prefixText(prefix: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(prefix).replace(/^\uFEFF/, "")
    .trimStart();
}

/**
 * Classify a body. A body whose first line names at least two of the report's
 * headers is CSV (a renamed or missing header then fails the load loudly,
 * rather than passing for "not posted"), wherever that line ends: a line
 * longer than the window is judged by the fields the window shows. NUL bytes
 * make a body binary only when it has no such header line: in a CSV they are
 * the rows' problem (each is quarantined), not the file's.
 */
export function classifyBody(opts: ClassifyOptions): BodyKind {
  const { prefix, totalBytes } = opts;
  if (totalBytes === 0) return { kind: "not_posted", reason: "empty body" };
  const more = totalBytes > prefix.length;
  const trimmed = prefixText(prefix);
  if (trimmed === "" && !more) return { kind: "not_posted", reason: "blank body" };
  if (/^</.test(trimmed) || /^text\/html/i.test(opts.contentType ?? "")) {
    return { kind: "not_posted", reason: "HTML page instead of CSV" };
  }
  const first = firstLine(trimmed, more);
  if (!first.ended && openField(first)) {
    // The window ends inside the header's first field (padded past 64 KiB):
    // nothing to count yet, but a quoted field is how a header starts. The
    // loader reads the whole header and fails loudly if it is not the layout.
    return { kind: "csv" };
  }
  if (knownHeaders(first.fields, opts.layout) >= 2) {
    if (!more && first.rest.trim() === "") {
      return { kind: "not_posted", reason: "header only, no rows" };
    }
    return { kind: "csv" };
  }
  if (prefix.includes(0)) return { kind: "not_posted", reason: "binary body (contains NUL bytes)" };
  return {
    kind: "not_posted",
    reason: `not a capacity CSV: first line is ${JSON.stringify(first.text.slice(0, 120))}`,
  };
}

/** Options for {@linkcode truncationReason}. */
export interface CompletenessOptions extends ClassifyOptions {
  /** The last bytes of the body (at most {@linkcode SNIFF_BYTES}). */
  suffix: Uint8Array;
}

/** How many lines back a last record spanning lines is looked for. */
const MAX_RECORD_LINES = 100;

/** Starts of the lines in `text`; its own start only when it is the body's start. */
function lineStarts(text: string, bodyStart: boolean): number[] {
  const starts = bodyStart ? [0] : [];
  for (let i = lineBreak(text); i >= 0; i = lineBreak(text, i + 1)) {
    if (text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF) i++;
    starts.push(i + 1);
  }
  return starts;
}

/** What is wrong with a last line the way a cut leaves it, or `undefined`. */
function cutSymptom(line: string, width: number | undefined): string | undefined {
  if (line.trim() === "") return undefined;
  const fields = splitRecord(line);
  if (typeof fields === "string") {
    return isUnterminated(fields) ? "ends inside a quoted field" : undefined;
  }
  if (width !== undefined && fields.length < width) {
    return `has ${fields.length} of the header's ${width} fields`;
  }
  return undefined;
}

/** Whether `text` reads as exactly one well-formed record of at least `width` fields. */
function oneRecord(text: string, width: number | undefined): boolean {
  const reader = new CsvRecordReader();
  const records = [...reader.push(text), ...reader.end()];
  const fields = records.length === 1 ? records[0].fields : null;
  return fields !== null && (width === undefined || fields.length >= width);
}

/**
 * Why a capacity CSV body looks cut short (a `Content-Length` shorter than the
 * file, say), or `undefined` when it does not, or is no capacity CSV at all.
 *
 * Cut short means: no line break after the last record, and that record is
 * malformed the way a cut leaves it: a quoted field still open, or fewer
 * fields than the header. A last record without a line break that is
 * otherwise well-formed is whole (real files end with CRLF; a file cut just
 * after a field cannot be told from one that ends there). A last line that
 * closes a record begun on an earlier line (a quoted field holding line
 * breaks) is recognised as such. A last line longer than the window cannot be
 * judged and is accepted.
 */
export function truncationReason(opts: CompletenessOptions): string | undefined {
  const { suffix, totalBytes } = opts;
  const end = suffix[suffix.length - 1];
  if (suffix.length === 0 || end === CR || end === LF) return undefined;
  if (classifyBody(opts).kind !== "csv") return undefined;
  const bodyStart = totalBytes <= suffix.length;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(suffix);
  const starts = lineStarts(text, bodyStart);
  if (starts.length === 0) return undefined;
  const header = firstLine(prefixText(opts.prefix), totalBytes > opts.prefix.length);
  const width = header.ended && typeof header.fields !== "string"
    ? header.fields.length
    : undefined;
  const last = text.slice(starts[starts.length - 1]);
  const symptom = cutSymptom(last, width);
  if (symptom === undefined) return undefined;
  const lowest = Math.max(0, starts.length - 1 - MAX_RECORD_LINES);
  for (let k = starts.length - 2; k >= lowest; k--) {
    // Only a line that leaves a quoted field open can start a record spanning lines.
    const line = text.slice(starts[k], lineBreak(text, starts[k]));
    const split = splitRecord(line);
    if (typeof split !== "string" || !isUnterminated(split)) continue;
    if (oneRecord(text.slice(starts[k]), width)) return undefined;
  }
  const tail = last.length > 60 ? "…" + last.slice(-60) : last;
  return `the last line ${symptom} and no line break follows it: ${JSON.stringify(tail)}`;
}

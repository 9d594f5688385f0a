/**
 * Files the fault suite posts on the fake site: TW-format capacity reports
 * (bench/generate.ts's rows) with the faults of each scenario built in.
 *
 * @module
 */
import { HEADER, row } from "../../bench/generate.ts";

/** Options for {@linkcode capacityFile}; every member optional. */
export interface FileOptions {
  /** Data rows (default 2,000). */
  rows?: number;
  /** Shifts scheduled quantities, so a second variant updates every row (default 0). */
  variant?: number;
  /** Physical line numbers (header = line 1) that get a NUL byte inside a field. */
  nulAtLines?: number[];
  /** Line break of every line (default CRLF, as the site sends). */
  lineEnd?: "\r\n" | "\n" | "\r";
  /** Spaces added inside the quotes of the first header field (trimmed by normalisation). */
  headerPadding?: number;
  /** Extra, unknown columns after the report's 15 (every row gets an empty value for each). */
  extraColumns?: number;
  /** Length of each extra column's name (default: a short name). */
  extraNameChars?: number;
}

/** A generated file. */
export interface CapacityFile {
  /** Its bytes. */
  body: Uint8Array;
  /** Data rows in it. */
  rows: number;
  /** Length of its header line in bytes. */
  headerBytes: number;
}

function header(o: FileOptions): string {
  let h = HEADER.replace(/\r\n$/, "");
  if (o.headerPadding) h = h.replace('"Loc"', `"Loc${" ".repeat(o.headerPadding)}"`);
  for (let i = 0; i < (o.extraColumns ?? 0); i++) {
    const name = `Extra Column ${i + 1}`;
    h += `,"${name.padEnd(o.extraNameChars ?? name.length, ".")}"`;
  }
  return h;
}

/** Build a capacity file; data row `i` is on physical line `i + 2`. */
export function capacityFile(o: FileOptions = {}): CapacityFile {
  const n = o.rows ?? 2_000;
  const end = o.lineEnd ?? "\r\n";
  const nul = new Set(o.nulAtLines ?? []);
  const extra = ",".repeat(o.extraColumns ?? 0);
  const head = header(o);
  const parts = [head + end];
  for (let i = 0; i < n; i++) {
    let line = row(i, o.variant ?? 0).replace(/\r\n$/, "") + extra;
    // Inside the Loc Name field: the row stays well-formed CSV apart from the NUL.
    if (nul.has(i + 2)) line = line.replace('"POINT ', '"POI\u0000NT ');
    parts.push(line + end);
  }
  return {
    body: new TextEncoder().encode(parts.join("")),
    rows: n,
    headerBytes: new TextEncoder().encode(head).length,
  };
}

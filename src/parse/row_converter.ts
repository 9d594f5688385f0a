/**
 * Pure conversion of CSV records into typed rows of a report's layout: header
 * matching and per-cell validation. No I/O; every message names the column
 * and what was expected.
 *
 * @module
 */
import {
  type Layout,
  type LayoutColumn,
  normaliseHeader,
  publishedColumns,
} from "../reports/layout.ts";
import { TerminalError } from "../domain/errors.ts";

/**
 * Thrown when the header cannot be used: the whole file fails loudly. Terminal:
 * the same bytes have the same header, so only new bytes are worth a retry.
 */
export class HeaderError extends TerminalError {
  /** Build the error. */
  constructor(message: string) {
    super(message);
    this.name = "HeaderError";
  }
}

/** Where each layout column sits in the file, and how its cells are checked. */
export interface HeaderMap {
  /** File field index of each layout column, in layout order. */
  readonly indexes: readonly number[];
  /** The layout's compiled checks, in layout order. */
  readonly checks: readonly Check[];
  /** Number of fields in the header (every row must have as many). */
  readonly width: number;
  /** Headers present in the file but not in the layout (ignored). */
  readonly extra: readonly string[];
  /**
   * Layout columns the file publishes in parts (see
   * {@linkcode LayoutColumn.sumOf}): each one's layout index and its parts'.
   * Empty for every file that has each column under its own header.
   */
  readonly derived: readonly Derived[];
}

/** A column worked out from others of the same row: see {@linkcode HeaderMap.derived}. */
export interface Derived {
  /** Layout index of the column. */
  readonly column: number;
  /** Layout indexes of its parts. */
  readonly parts: readonly number[];
}

/** `indexes` entry of a column the file does not have: its cells are missing. */
const ABSENT = -1;

/** Where each header name sits, by normalised name. */
function headerIndex(fields: readonly (string | null)[]): Map<string, number> {
  const seen = new Map<string, number>();
  fields.forEach((f, i) => {
    const name = normaliseHeader(f ?? "");
    if (name === "") return;
    if (seen.has(name)) {
      throw new HeaderError(
        `header "${f}" appears twice (columns ${seen.get(name)! + 1} and ${i + 1})`,
      );
    }
    seen.set(name, i);
  });
  return seen;
}

/**
 * Match a header record against `layout` (a column's aliases count as its
 * header). An optional column may be absent; a column some files publish in
 * parts may be absent when every part is there.
 *
 * @throws {HeaderError} when a required header is missing, or a header repeats
 */
export function mapHeader(fields: readonly (string | null)[], layout: Layout): HeaderMap {
  const seen = headerIndex(fields);
  if (layout.exactHeader) checkExactHeader(fields, layout);
  const { checks, known } = compile(layout);
  const indexes = layout.columns.map((c) => findColumn(c, seen));
  const derived: Derived[] = [];
  const missing: string[] = [];
  layout.columns.forEach((c, i) => {
    if (indexes[i] !== ABSENT || c.optional) return;
    const parts = partsOf(c, layout, indexes);
    if (parts) derived.push({ column: i, parts });
    else missing.push(describeMissing(c, layout));
  });
  if (missing.length > 0) {
    throw new HeaderError(
      `required header${missing.length > 1 ? "s" : ""} missing: ${missing.join(", ")}; ` +
        `found ${fields.map((f) => `"${f ?? ""}"`).join(",")}`,
    );
  }
  const extra = fields.filter((f) => !known.has(normaliseHeader(f ?? ""))).map((f) => f ?? "");
  return { indexes, checks, width: fields.length, extra, derived };
}

/** File field index of `col` (its header or an alias), or {@linkcode ABSENT}. */
function findColumn(col: LayoutColumn, seen: Map<string, number>): number {
  for (const name of [col.header, ...(col.aliases ?? [])]) {
    const i = seen.get(normaliseHeader(name));
    if (i !== undefined) return i;
  }
  return ABSENT;
}

/** Layout indexes of `col`'s parts when the file has every one, else `undefined`. */
function partsOf(
  col: LayoutColumn,
  layout: Layout,
  indexes: readonly number[],
): number[] | undefined {
  if (!col.sumOf || col.sumOf.length === 0) return undefined;
  const parts = col.sumOf.map((name) => layout.columns.findIndex((c) => c.column === name));
  return parts.every((p) => p >= 0 && indexes[p] !== ABSENT) ? parts : undefined;
}

/** A missing column for the error: `"TSQ"`, or `"TSQ" (or both "TSQ (Rec)" and "TSQ (Del)")`. */
function describeMissing(col: LayoutColumn, layout: Layout): string {
  const parts = (col.sumOf ?? []).map((name) =>
    `"${layout.columns.find((c) => c.column === name)?.header ?? name}"`
  );
  if (parts.length === 0) return `"${col.header}"`;
  return `"${col.header}" (or ${parts.length > 2 ? "all of" : "both"} ${parts.join(" and ")})`;
}

/** Whether a header field names `col` (its header or an alias, normalised). */
function names(col: LayoutColumn, field: string | null): boolean {
  const got = normaliseHeader(field ?? "");
  return [col.header, ...(col.aliases ?? [])].some((h) => normaliseHeader(h) === got);
}

/**
 * For a layout with `exactHeader`: the header must be the published columns
 * in order, no more and no fewer. The first field that differs is named.
 *
 * @throws {HeaderError} naming the field, what was expected there and what came
 */
function checkExactHeader(fields: readonly (string | null)[], layout: Layout): void {
  const want = publishedColumns(layout);
  const n = Math.max(want.length, fields.length);
  for (let i = 0; i < n; i++) {
    const col = want[i];
    const got = fields[i];
    if (col !== undefined && got !== undefined && names(col, got)) continue;
    const expected = col === undefined ? "no more columns" : `"${col.header}"`;
    const found = got === undefined ? "the end of the header" : JSON.stringify(got ?? "");
    throw new HeaderError(
      `header is not the documented ${want.length}-column layout: field ${i + 1} ` +
        `should be ${expected}, got ${found}`,
    );
  }
}

/** A typed row: layout-ordered values (`null` = missing); quantities as digit strings. */
export type RowValues = (string | null)[];

/** Result of {@linkcode convertRow}. */
export type RowResult = { ok: true; values: RowValues } | { ok: false; reason: string };

/** 1 to 15 ASCII digits (a loop: this runs millions of times per large file). */
function isDigits(v: string): boolean {
  if (v.length > 15) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return v.length > 0;
}

function cellError(col: LayoutColumn, index: number, expected: string, got: string | null): string {
  return `column "${col.header}" (field ${index + 1}): expected ${expected}, got ${
    got === null ? "an empty field" : JSON.stringify(got)
  }`;
}

const TEXT = 0;
const QUANTITY = 1;
const CODE = 2;
const INTEGER = 3;

/**
 * The layout compiled to one object shape per column: convertRow runs a
 * million times per large file, and property reads on same-shaped objects stay
 * fast where the layout's optional fields would make them megamorphic.
 */
export interface Check {
  kind: number;
  key: boolean;
  codes: ReadonlySet<string> | null;
  pattern: RegExp | null;
  normalise: ((v: string) => string) | null;
  expected: string;
  col: LayoutColumn;
}

function expectedOf(col: LayoutColumn): string {
  if (col.kind === "quantity") return "a non-negative whole number or nothing";
  if (col.kind === "integer") return "a whole number or nothing";
  if (col.codes) return `one of ${col.codes.join("/")}`;
  if (col.kind === "code") return col.expected ?? "a code";
  return "a value (it is part of the row's key)";
}

const KINDS = { text: TEXT, quantity: QUANTITY, code: CODE, integer: INTEGER } as const;

const compiled = new WeakMap<Layout, { checks: Check[]; known: Set<string> }>();

/** The layout's checks and accepted header names, compiled once per layout. */
function compile(layout: Layout): { checks: Check[]; known: Set<string> } {
  let c = compiled.get(layout);
  if (!c) {
    const known = new Set<string>();
    const checks = layout.columns.map((col) => {
      known.add(normaliseHeader(col.header));
      for (const a of col.aliases ?? []) known.add(normaliseHeader(a));
      return {
        kind: KINDS[col.kind],
        key: col.key === true,
        codes: col.codes ? new Set(col.codes) : null,
        pattern: col.pattern ?? null,
        normalise: col.normalise ?? null,
        expected: expectedOf(col),
        col,
      };
    });
    c = { checks, known };
    compiled.set(layout, c);
  }
  return c;
}

/** A whole number, optionally negative, of 1 to 15 digits. */
function isInteger(v: string): boolean {
  return isDigits(v.charCodeAt(0) === 45 ? v.slice(1) : v);
}

/**
 * PostgreSQL text cannot hold U+0000 (in a UTF-8 database, the only character
 * it cannot store): one in a loaded column would make the server refuse the
 * whole COPY, so its row is rejected instead.
 *
 * Apart from {@linkcode convertRow} because it is rare and not free (searching
 * every text value costs a large file a few percent of its parse time):
 * callers run it only when the text may hold a NUL (the decoder has seen one).
 *
 * @returns why the row is rejected, naming the first loaded column holding a
 * NUL, or `undefined` (also for a row of the wrong width, which
 * {@linkcode convertRow} reports)
 */
export function nulReason(fields: readonly (string | null)[], map: HeaderMap): string | undefined {
  if (fields.length !== map.width) return undefined;
  for (let c = 0; c < map.checks.length; c++) {
    const idx = map.indexes[c];
    if (idx === ABSENT) continue;
    const v = fields[idx];
    if (v !== null && v.indexOf("\0") >= 0) {
      return `column "${map.checks[c].col.header}" (field ${
        idx + 1
      }): contains a NUL character, which PostgreSQL text cannot store`;
    }
  }
  return undefined;
}

/**
 * Convert one record's fields into typed values.
 *
 * Each cell first goes through its column's normaliser, if the layout has
 * one. Quantities: an empty field (quoted or not) is `null`, never 0; anything
 * else must be a non-negative whole number (integers may be negative). Codes
 * must be one of the layout's values. Text is kept verbatim (leading and
 * doubled spaces included) unless the layout normalises it. NUL characters
 * are not looked for: see {@linkcode nulReason}.
 */
export function convertRow(fields: readonly (string | null)[], map: HeaderMap): RowResult {
  if (fields.length !== map.width) {
    return { ok: false, reason: `expected ${map.width} fields, got ${fields.length}` };
  }
  const values: RowValues = [];
  const checks = map.checks;
  for (let c = 0; c < checks.length; c++) {
    const check = checks[c];
    const idx = map.indexes[c];
    let v = idx === ABSENT ? null : fields[idx];
    if (v !== null && check.normalise !== null) v = check.normalise(v);
    if (v === null || v === "") {
      if (check.key) return { ok: false, reason: cellError(check.col, idx, check.expected, v) };
      values.push(check.kind === TEXT ? v : null);
    } else if (check.kind === TEXT) {
      if (check.key && v.trim() === "") {
        return { ok: false, reason: cellError(check.col, idx, check.expected, v) };
      }
      values.push(v);
    } else if (cellOk(check, v)) {
      values.push(v);
    } else {
      return { ok: false, reason: cellError(check.col, idx, check.expected, v) };
    }
  }
  if (map.derived.length > 0) fillDerived(values, map.derived);
  return { ok: true, values };
}

/**
 * Each derived column's value: the sum of its parts (checked quantities,
 * so digit strings), or missing when any part is.
 */
function fillDerived(values: RowValues, derived: readonly Derived[]): void {
  for (const d of derived) {
    let sum = 0n;
    for (const p of d.parts) {
      const v = values[p];
      if (v === null) {
        sum = -1n;
        break;
      }
      sum += BigInt(v);
    }
    values[d.column] = sum < 0n ? null : String(sum);
  }
}

function cellOk(check: Check, v: string): boolean {
  if (check.kind === QUANTITY) return isDigits(v);
  if (check.kind === INTEGER) return isInteger(v);
  return check.codes !== null ? check.codes.has(v) : check.pattern!.test(v);
}

/**
 * The layout-ordered values of a rejected record with only its key columns
 * filled (everything else `null`), when its key can be read: a revision whose
 * row for a location is bad has not dropped the location. `undefined` when a
 * key cell is missing or invalid (or the record is the wrong width).
 */
export function keyValues(
  fields: readonly (string | null)[],
  map: HeaderMap,
): RowValues | undefined {
  if (fields.length !== map.width) return undefined;
  const out: RowValues = [];
  for (let c = 0; c < map.checks.length; c++) {
    const check = map.checks[c];
    if (!check.key) {
      out.push(null);
      continue;
    }
    let v = fields[map.indexes[c]];
    if (v !== null && check.normalise !== null) v = check.normalise(v);
    if (v === null || v.trim() === "" || v.includes("\0")) return undefined;
    if (check.kind !== TEXT && !cellOk(check, v)) return undefined;
    out.push(v);
  }
  return out;
}

/**
 * Rows of any query as text: an aligned table for a terminal, CSV (RFC 4180)
 * or JSON. Pure: values in, strings out, batch by batch, so a caller can
 * stream a result of any size. Values are what the database interface
 * returns (strings, numbers, booleans, `Date`, `null`, arrays, objects).
 *
 * @module
 */

/** Output formats of {@linkcode RowWriter}. */
export const ROW_FORMATS = ["table", "csv", "json"] as const;
/** An output format. */
export type RowFormat = typeof ROW_FORMATS[number];

/** A value as one line of text: `null` empty, dates ISO, arrays and objects as JSON. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** A CSV field: quoted when it holds a comma, a quote, a line break or edge spaces. */
export function csvCell(v: unknown): string {
  const t = cellText(v);
  return /[",\r\n]|^\s|\s$/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
}

function jsonValue(v: unknown): string {
  return JSON.stringify(v instanceof Date ? v.toISOString() : v ?? null);
}

/** A decimal number as the database writes `bigint` and `numeric`. */
const NUMBER = /^-?\d+(\.\d+)?$/;

/** Control characters shown, so one value is one line of the table. */
function tableCell(v: unknown): string {
  return v === null || v === undefined ? "NULL" : cellText(v).replace(
    // deno-lint-ignore no-control-regex -- matching control characters is the point
    /[\u0000-\u001f\u007f]/g,
    (c) => (c === "\n" ? "\\n" : c === "\t" ? "\\t" : "?"),
  );
}

/**
 * Writes rows in one format, batch by batch: {@linkcode RowWriter.batch} for
 * each batch (the first fixes the columns, and for a table the widths, from
 * its rows), then {@linkcode RowWriter.end}.
 */
export class RowWriter {
  readonly #format: RowFormat;
  #columns?: string[];
  #widths: number[] = [];
  #rows = 0;

  /** A writer for `format`. */
  constructor(format: RowFormat) {
    this.#format = format;
  }

  /** Rows written so far. */
  get rows(): number {
    return this.#rows;
  }

  /** The text of one batch (the header first, with the first batch). */
  batch(rows: readonly Record<string, unknown>[]): string {
    if (rows.length === 0) return "";
    let out = "";
    if (!this.#columns) {
      this.#columns = Object.keys(rows[0]);
      out += this.#start(rows);
    }
    for (const r of rows) out += this.#row(r);
    return out;
  }

  /** The closing text: a JSON array's end, a table's row count. */
  end(): string {
    if (this.#format === "json") return this.#rows === 0 ? "[]\n" : "\n]\n";
    if (this.#format === "table") return `(${this.#rows} ${this.#rows === 1 ? "row" : "rows"})\n`;
    return "";
  }

  #start(rows: readonly Record<string, unknown>[]): string {
    const cols = this.#columns!;
    if (this.#format === "csv") return cols.map(csvCell).join(",") + "\r\n";
    if (this.#format === "json") return "[\n";
    this.#widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => tableCell(r[c]).length)));
    const head = cols.map((c, i) => c.padEnd(this.#widths[i])).join(" | ");
    return `${head}\n${this.#widths.map((w) => "-".repeat(w)).join("-+-")}\n`;
  }

  #row(r: Record<string, unknown>): string {
    const cols = this.#columns!;
    const n = this.#rows++;
    if (this.#format === "csv") return cols.map((c) => csvCell(r[c])).join(",") + "\r\n";
    if (this.#format === "json") {
      const obj = cols.map((c) => `${JSON.stringify(c)}:${jsonValue(r[c])}`).join(",");
      return `${n === 0 ? "" : ",\n"}{${obj}}`;
    }
    // Numbers right-aligned, as psql does; widths come from the first batch.
    return cols.map((c, i) => {
      const t = tableCell(r[c]);
      const numeric = typeof r[c] === "number" || (typeof r[c] === "string" && NUMBER.test(t));
      return numeric ? t.padStart(this.#widths[i]) : t.padEnd(this.#widths[i]);
    }).join(" | ").trimEnd() + "\n";
  }
}

/**
 * Encoding of values for `COPY ... FROM STDIN` in PostgreSQL's text format.
 *
 * @module
 */

// NUL is here so that the check costs nothing more: it has no COPY escape.
const SPECIAL = /[\\\t\n\r\0]/;

/**
 * Escape one value (`null` becomes `\N`).
 *
 * @throws {RangeError} for a value holding U+0000, which PostgreSQL text
 * cannot store (callers reject or make such values storable first; sent, it
 * would fail the whole COPY with no reason given)
 */
export function copyValue(v: string | number | null): string {
  if (v === null) return "\\N";
  if (typeof v === "number") return String(v);
  if (!SPECIAL.test(v)) return v;
  return v.replace(/[\\\t\n\r\0]/g, (c) => {
    if (c === "\0") throw new RangeError("a NUL character cannot be sent to PostgreSQL text");
    return c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r";
  });
}

/** Whether `text` holds a character that COPY text format must escape (or cannot carry: NUL). */
export function needsEscape(text: string): boolean {
  return SPECIAL.test(text);
}

/**
 * Encode the values of one row, tab-separated, without the line break. With
 * `plain` the caller vouches that no value holds a character needing escape
 * (e.g. the record's raw text was checked once with {@linkcode needsEscape}),
 * which skips a test per value.
 */
export function copyFields(values: readonly (string | number | null)[], plain = false): string {
  let line = "";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += "\t";
    const v = values[i];
    line += plain ? (v === null ? "\\N" : v) : copyValue(v);
  }
  return line;
}

/** Encode one row, terminated by a newline (see {@linkcode copyFields}). */
export function copyRow(values: readonly (string | number | null)[], plain = false): string {
  return copyFields(values, plain) + "\n";
}

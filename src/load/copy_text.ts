/**
 * Encoding of values for `COPY ... FROM STDIN` in PostgreSQL's text format.
 *
 * @module
 */

const SPECIAL = /[\\\t\n\r]/;

/** Escape one value (`null` becomes `\N`). */
export function copyValue(v: string | number | null): string {
  if (v === null) return "\\N";
  if (typeof v === "number") return String(v);
  if (!SPECIAL.test(v)) return v;
  return v.replace(
    /[\\\t\n\r]/g,
    (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"),
  );
}

/** Encode one row, terminated by a newline. */
export function copyRow(values: readonly (string | number | null)[]): string {
  let line = "";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += "\t";
    line += copyValue(values[i]);
  }
  return line + "\n";
}

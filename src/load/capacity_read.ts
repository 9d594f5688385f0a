/**
 * The read side of a report's table (or of the cross-family `capacity` view,
 * which has the same frame): the SQL that selects rows for an export
 * (current rows, or the versions valid at an instant) and the rows written
 * back in the published form (the file's CSV) or as JSON. Everything is a
 * function of the relation's layout: no column is listed here. Pure.
 *
 * Rows come in pair order (asset, gas day, cycle in posting order, source),
 * and within a pair by the layout's key columns (`loc`, `flow_ind`) in byte
 * order (`COLLATE "C"`, the same on every server). The site's own row order
 * is not kept by the table, so an export of a pair equals its file's rows as
 * a set, not line by line.
 *
 * @module
 */
import { quoteIdent } from "../db/database.ts";
import type { IsoDate } from "../domain/gas_day.ts";
import { keyColumns, type Layout, publishedColumns } from "../reports/layout.ts";
import type { Report } from "../reports/report.ts";

/**
 * What an export reads: a {@linkcode Report}'s table, or a view with the same
 * frame (the pair columns, then the layout's columns) such as the
 * cross-family `capacity` view. Its history view is `<table>_history`.
 */
export type ReadRelation = Pick<Report, "table" | "layout">;

/** The pair columns every report table starts with, as named in the database. */
export const PAIR_COLUMNS: readonly string[] = Object.freeze([
  "asset",
  "gas_day",
  "cycle",
  "source",
]);

/** Headers of the pair columns that prefix each CSV row of a multi-pair export. */
export const PAIR_HEADERS: readonly string[] = Object.freeze([
  "Asset",
  "Gas Day",
  "Cycle",
  "Source",
]);

/** What an export reads. */
export interface CapacitySelection {
  /** First gas day. */
  from: IsoDate;
  /** Last gas day (inclusive). */
  to: IsoDate;
  /** Cycle labels (`Timely`, `Intraday 1`), in posting order: rows come in this order. */
  cycles: readonly string[];
  /** Source names. */
  sources: readonly string[];
  /** Assets of those sources. */
  assets: readonly string[];
  /**
   * An ISO instant (`2024-01-16T23:20:00Z`): read the row versions valid then
   * from the report's history view instead of the current rows.
   */
  asOf?: string;
}

/** A row as the database returns it: column name to value (`null` = NULL). */
export type CapacityRow = Record<string, string | number | null>;

/**
 * The history view of a report's table (or of a view): `<table>_history`,
 * with its columns and `valid_from`, `valid_to` (NULL while current).
 */
export function historyView(report: ReadRelation): string {
  return `${report.table}_history`;
}

/**
 * The `SELECT` of an export: the pair columns and the layout's columns of
 * `report`'s table in `schema` (or of its history view at `sel.asOf`).
 */
export function capacityReadQuery(
  report: ReadRelation,
  schema: string,
  sel: CapacitySelection,
): { text: string; params: unknown[] } {
  const columns = [...PAIR_COLUMNS, ...report.layout.columns.map((c) => c.column)];
  const from = sel.asOf === undefined ? report.table : historyView(report);
  const where = [
    "t.gas_day BETWEEN $1::date AND $2::date",
    "t.cycle = ANY($3::text[])",
    "t.source = ANY($4::text[])",
    "t.asset = ANY($5::text[])",
  ];
  const params: unknown[] = [sel.from, sel.to, [...sel.cycles], [...sel.sources], [
    ...sel.assets,
  ]];
  if (sel.asOf !== undefined) {
    params.push(sel.asOf);
    where.push("t.valid_from <= $6::timestamptz", "(t.valid_to IS NULL OR t.valid_to > $6)");
  }
  const order = [
    "t.asset",
    "t.gas_day",
    "array_position($3::text[], t.cycle)",
    "t.source",
    ...keyColumns(report.layout).map((k) => `t.${quoteIdent(k)} COLLATE "C"`),
  ];
  const text = `SELECT ${columns.map((c) => `t.${quoteIdent(c)}`).join(", ")}\n` +
    `FROM ${quoteIdent(schema)}.${quoteIdent(from)} t\n` +
    `WHERE ${where.join("\n  AND ")}\n` +
    `ORDER BY ${order.join(", ")}`;
  return { text, params };
}

/** A CSV field as the site writes one: double-quoted, quotes doubled. */
function quoted(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/**
 * A value as the site writes it: every present value double-quoted (an
 * empty text `""` too), a missing one (NULL) an empty unquoted field.
 */
function csvField(value: string | number | null | undefined): string {
  return value === null || value === undefined ? "" : quoted(String(value));
}

/**
 * The header line of an export: the layout's published headers, in order
 * (a column derived from another's cell is not one),
 * each double-quoted, CRLF-terminated; with `withPair`, prefixed by
 * {@linkcode PAIR_HEADERS}.
 */
export function csvHeader(layout: Layout, withPair: boolean): string {
  const headers = publishedColumns(layout).map((c) => c.header);
  return (withPair ? [...PAIR_HEADERS, ...headers] : headers).map(quoted).join(",") + "\r\n";
}

/**
 * One row as the site formats it (see {@linkcode csvField}), CRLF-terminated;
 * with `withPair`, prefixed by its asset, gas day, cycle and source.
 */
export function csvRow(layout: Layout, row: CapacityRow, withPair: boolean): string {
  let line = "";
  if (withPair) {
    for (const c of PAIR_COLUMNS) line += csvField(row[c]) + ",";
  }
  const columns = publishedColumns(layout);
  for (let i = 0; i < columns.length; i++) {
    if (i > 0) line += ",";
    line += csvField(row[columns[i].column]);
  }
  return line + "\r\n";
}

const WHOLE_NUMBER = /^-?\d+$/;

/**
 * A number column's value as a JSON number. `bigint` arrives as its decimal
 * digits: written as they are, it stays exact beyond 2^53.
 */
function jsonNumber(column: string, value: string | number): string {
  const text = String(value);
  if (!WHOLE_NUMBER.test(text)) {
    throw new Error(`column ${column}: expected a whole number, got ${JSON.stringify(value)}`);
  }
  return text;
}

/**
 * One row as a JSON object on one line: the pair columns, then the layout's
 * columns by their database names; quantities and integers as numbers, text
 * and codes as strings, NULL as `null`.
 */
export function jsonRow(layout: Layout, row: CapacityRow): string {
  const parts: string[] = [];
  for (const c of PAIR_COLUMNS) {
    parts.push(`${JSON.stringify(c)}:${JSON.stringify(row[c] ?? null)}`);
  }
  for (const col of layout.columns) {
    const v = row[col.column] ?? null;
    const numeric = col.kind === "quantity" || col.kind === "integer";
    const json = v === null ? "null" : numeric ? jsonNumber(col.column, v) : JSON.stringify(v);
    parts.push(`${JSON.stringify(col.column)}:${json}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * The cross-family `capacity` view (migration 009) and its history
 * (`capacity_history`, migration 012) as something an export reads: the
 * columns every report family shares, with the report-table frame (the pair
 * columns first) so the read side treats it as it treats a report's table.
 * Headers are the published ones every family's file has (`Loc`, `Flow Ind`,
 * `OAC`), so an export of the view reads like the files.
 *
 * The view's `utilisation` (tsq / opc) is not among them: it is derived, not
 * posted, and a fraction where every exported number is a whole number.
 *
 * @module
 */
import type { Layout, LayoutColumn } from "./layout.ts";

/** The view's columns after the pair columns, in export order. */
export const CAPACITY_VIEW_LAYOUT: Layout = Object.freeze({
  columns: Object.freeze<LayoutColumn[]>([
    // Key columns order the rows within a pair: report first, as the view's rows are unique
    // by (report, asset, gas_day, cycle, source, loc, flow).
    { header: "Report", column: "report", kind: "text", key: true },
    { header: "Loc", column: "loc", kind: "text", key: true },
    { header: "Loc Name", column: "name", kind: "text" },
    { header: "Loc Zn", column: "zone", kind: "text" },
    { header: "Flow Ind", column: "flow", kind: "text", key: true },
    { header: "Loc Purp Desc", column: "purpose", kind: "text" },
    { header: "DC", column: "dc", kind: "quantity" },
    { header: "OPC", column: "opc", kind: "quantity" },
    { header: "TSQ", column: "tsq", kind: "quantity" },
    { header: "OAC", column: "oac", kind: "quantity" },
  ]),
});

/** The view as a read target: its name for `export --report`, its relation, its columns. */
export const CAPACITY_VIEW = Object.freeze({
  /** The `--report` value that selects it. */
  id: "capacity",
  /** The view's name; its history view is `capacity_history`. */
  table: "capacity",
  layout: CAPACITY_VIEW_LAYOUT,
});

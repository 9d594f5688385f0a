/**
 * The "family A" operationally-available capacity layout (TW, FGT, FEP, TGR):
 * the file's headers, the database columns they land in (the old system's
 * snake-case names), and what each cell may contain.
 *
 * Everything that maps CSV to SQL reads this one table, so the parser, the
 * staging table and the merge can never disagree about column order.
 *
 * @module
 */

/** How a cell is typed and checked. */
export type ColumnKind = "text" | "quantity" | "code";

/** One column of the report. */
export interface LayoutColumn {
  /** Header as published. */
  readonly header: string;
  /** Database column name. */
  readonly column: string;
  /** Cell type. */
  readonly kind: ColumnKind;
  /** For codes: the accepted values. */
  readonly codes?: readonly string[];
  /** For codes without a closed list: the accepted shape. */
  readonly pattern?: RegExp;
  /** For codes with a pattern: what a reader is told was expected. */
  readonly expected?: string;
  /** Part of the natural key: must be present. */
  readonly key?: boolean;
}

const YN = ["Y", "N"] as const;

/** Columns of the operationally-available report, in published order. */
export const CAPACITY_COLUMNS: readonly LayoutColumn[] = Object.freeze([
  { header: "Loc", column: "loc", kind: "text", key: true },
  { header: "Loc Zn", column: "loc_zn", kind: "text" },
  { header: "Loc Name", column: "loc_name", kind: "text" },
  // MQ = delivery, M2 = receipt on TW; other NAESB purpose codes are two characters too.
  {
    header: "Loc Purp Desc",
    column: "loc_purp_desc",
    kind: "code",
    pattern: /^[A-Z0-9]{2}$/,
    expected: "a two-character purpose code such as MQ or M2",
  },
  // DPQ/RPQ on TW.
  {
    header: "Loc/QTI",
    column: "loc_qti",
    kind: "code",
    pattern: /^[A-Z]{3}$/,
    expected: "a three-letter code such as DPQ or RPQ",
  },
  // D/R on TW; other family-A pipelines may publish B or BD (bidirectional).
  { header: "Flow Ind", column: "flow_ind", kind: "code", codes: ["D", "R", "B", "BD"], key: true },
  { header: "DC", column: "dc", kind: "quantity" },
  { header: "OPC", column: "opc", kind: "quantity" },
  { header: "TSQ", column: "tsq", kind: "quantity" },
  { header: "OAC", column: "oac", kind: "quantity" },
  { header: "IT", column: "it", kind: "code", codes: YN },
  { header: "Auth Overrun Ind", column: "auth_overrun_ind", kind: "code", codes: YN },
  { header: "Nom Cap Exceed Ind", column: "nom_cap_exceed_ind", kind: "code", codes: YN },
  { header: "All Qty Avail", column: "all_qty_avail", kind: "code", codes: YN },
  { header: "Qty Reason", column: "qty_reason", kind: "text" },
]);

/** Database columns, in layout order. */
export const CAPACITY_DB_COLUMNS: readonly string[] = CAPACITY_COLUMNS.map((c) => c.column);

/** Columns of the natural key inside one file (asset, gas day and cycle come from the request). */
export const FILE_KEY_COLUMNS: readonly string[] = CAPACITY_COLUMNS.filter((c) => c.key).map((c) =>
  c.column
);

/**
 * Normalise a header for matching: trim, collapse inner white space, case-fold.
 * A public loader silently dropped 205,000 rows because a header gained a
 * second space; matching on the normalised name prevents that without
 * accepting a renamed header.
 */
export function normaliseHeader(text: string): string {
  return text.trim().replace(/\s+/g, " ").toLowerCase();
}

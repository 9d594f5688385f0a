/**
 * The "family A" operationally-available capacity layout (TW, FGT, FEP, TGR):
 * the file's headers, the database columns they land in (the old system's
 * snake-case names), and what each cell may contain. Columns are found by
 * name wherever they are; the two parts of a split TSQ are optional (every
 * TW file so far has one `TSQ`).
 *
 * @module
 */
import type { Layout, LayoutColumn } from "../layout.ts";

const YN = ["Y", "N"] as const;

/** Columns of the family-A operationally-available report, in published order. */
export const FAMILY_A_COLUMNS: readonly LayoutColumn[] = Object.freeze([
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
  // FGT is said (by one public scraper) to publish TSQ split into receipts and deliveries:
  // such a file keeps both parts and its TSQ is their sum, rather than failing forever.
  { header: "TSQ", column: "tsq", kind: "quantity", sumOf: ["tsq_rec", "tsq_del"] },
  { header: "OAC", column: "oac", kind: "quantity" },
  { header: "IT", column: "it", kind: "code", codes: YN },
  { header: "Auth Overrun Ind", column: "auth_overrun_ind", kind: "code", codes: YN },
  { header: "Nom Cap Exceed Ind", column: "nom_cap_exceed_ind", kind: "code", codes: YN },
  { header: "All Qty Avail", column: "all_qty_avail", kind: "code", codes: YN },
  { header: "Qty Reason", column: "qty_reason", kind: "text" },
  // Last, as in the table (migration 013): found by name wherever a file has them.
  { header: "TSQ (Rec)", column: "tsq_rec", kind: "quantity", optional: true },
  { header: "TSQ (Del)", column: "tsq_del", kind: "quantity", optional: true },
]);

/** The family-A layout. */
export const FAMILY_A_LAYOUT: Layout = Object.freeze({ columns: FAMILY_A_COLUMNS });

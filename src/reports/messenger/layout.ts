/**
 * The "messenger" operationally-available-by-location layout (PEPL, TGC,
 * ROVER, SER, GR: Energy Transfer's `*messenger.energytransfer.com` and
 * `pipelines.energytransfer.com` sites): 21 columns in a fixed order, cells
 * (and probably headers) padded with spaces, the location purpose spelled
 * out, miles signed.
 *
 * Every cell is trimmed (`00387   ` is location `00387`: leading zeros and
 * letters kept, it is text). The purpose is stored twice: as the family-A
 * code (`MQ`/`M2`, so the `capacity` view reads both families alike) and as
 * published (`Delivery Location`).
 *
 * @module
 */
import type { Layout, LayoutColumn } from "../layout.ts";

const YN = ["Y", "N"] as const;

/** Cells are padded with spaces to a fixed width: the value is what is inside. */
const trim = (v: string): string => v.trim();

/** The purpose as published, to the family-A code (case and padding ignored). */
const PURPOSE_CODES: Readonly<Record<string, string>> = Object.freeze({
  "delivery location": "MQ",
  "receipt location": "M2",
});

/**
 * A spelled-out purpose to its family-A code; a two-character code passes
 * as it is; anything else is returned trimmed, for the check to refuse by
 * name (the row goes to quarantine with its raw line: an unknown purpose is
 * a question for a person, not a guess).
 */
export function purposeCode(v: string): string {
  const t = v.trim();
  return PURPOSE_CODES[t.replace(/\s+/g, " ").toLowerCase()] ?? t;
}

/** One padded column: trimmed, then checked as `kind`. */
function col(header: string, column: string, more: Partial<LayoutColumn> = {}): LayoutColumn {
  return { header, column, kind: "text", normalise: trim, ...more };
}

/** Columns of the messenger report, in published order (21, plus the purpose code). */
export const MESSENGER_COLUMNS: readonly LayoutColumn[] = Object.freeze([
  col("Loc", "loc", { key: true }),
  col("Loc Name", "loc_name"),
  {
    header: "Loc Purp Desc",
    column: "loc_purp_desc",
    kind: "code",
    pattern: /^[A-Z0-9]{2}$/,
    expected: "Delivery Location, Receipt Location or a two-character purpose code",
    normalise: purposeCode,
    published: false,
  },
  col("Loc Purp Desc", "loc_purp_desc_raw"),
  col("Loc/QTI", "loc_qti", {
    kind: "code",
    pattern: /^[A-Z]{3}$/,
    expected: "a three-letter code such as DPQ or RPQ",
  }),
  col("DC", "dc", { kind: "quantity" }),
  col("OPC", "opc", { kind: "quantity" }),
  col("TSQ", "tsq", { kind: "quantity" }),
  col("OAC", "oac", { kind: "quantity" }),
  col("Loc Zn", "loc_zn"),
  col("IT", "it", { kind: "code", codes: YN }),
  col("Flow Ind", "flow_ind", { kind: "code", codes: ["D", "R", "B", "BD"], key: true }),
  col("State", "state"),
  col("County", "county"),
  col("Operator", "operator"),
  col("OBA", "oba", { kind: "code", codes: YN }),
  // G (gathering) / T (transmission) on the samples; kept as text: its list is not documented.
  col("G/T", "g_t"),
  col("Miles", "miles", { kind: "integer" }),
  col("EGM", "egm", { kind: "code", codes: YN }),
  col("Flw Cntl", "flw_cntl", { kind: "code", codes: YN }),
  col("All Qty Avail", "all_qty_avail", { kind: "code", codes: YN }),
  col("Qty Reason", "qty_reason"),
]);

/**
 * The messenger layout. The header must be exactly the documented 21
 * columns in order: the family is known only from re-exports, so a file that
 * differs is a question for a person, not something to guess around.
 */
export const MESSENGER_LAYOUT: Layout = Object.freeze({
  columns: MESSENGER_COLUMNS,
  exactHeader: true,
});

/**
 * What a report's CSV looks like: its columns in published order, the
 * database column each lands in, and what each cell may contain. A report
 * family is a layout plus a table and a URL (see `report.ts`); the parser,
 * the classifier and the loader read everything from the layout, so a new
 * family adds a layout and changes none of them.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** How a cell is typed and checked. */
export type ColumnKind =
  /** Kept verbatim (after the column's normaliser, if any). */
  | "text"
  /** A non-negative whole number, or empty (missing: stored NULL, never 0). */
  | "quantity"
  /** A whole number that may be negative, or empty (e.g. miles). */
  | "integer"
  /** One of a closed list, or matching a pattern. */
  | "code";

/** One column of a report. */
export interface LayoutColumn {
  /** Header as published. */
  readonly header: string;
  /** Other spellings of the header that mean the same column (matched normalised). */
  readonly aliases?: readonly string[];
  /** Database column name. */
  readonly column: string;
  /** Cell type. */
  readonly kind: ColumnKind;
  /** For codes: the accepted values (after `normalise`). */
  readonly codes?: readonly string[];
  /** For codes without a closed list: the accepted shape. */
  readonly pattern?: RegExp;
  /** For codes with a pattern: what a reader is told was expected. */
  readonly expected?: string;
  /** Part of the natural key within one file: must be present. */
  readonly key?: boolean;
  /**
   * Turns the published cell into the stored one before it is checked
   * (trimming space padding, spelling a code the family-A way). Without it
   * the cell is stored verbatim.
   */
  readonly normalise?: (value: string) => string;
  /**
   * `false` for a column the file does not have under its own header: a
   * second reading of another column's cell (the purpose code beside the
   * purpose as spelled out, both from `Loc Purp Desc`). It is stored like any
   * column, but an export in the published form leaves it out, and an
   * {@linkcode Layout.exactHeader} check does not expect it.
   * @default {true}
   */
  readonly published?: boolean;
  /**
   * `true` for a column only some files of the family have (FGT's split
   * `TSQ (Rec)` / `TSQ (Del)`): where its header is absent every cell is
   * missing (`NULL`). A CSV export, one header for every file, leaves it
   * out; the JSON export and the table have it.
   * @default {false}
   */
  readonly optional?: boolean;
  /**
   * For a column some files publish in parts: the database columns whose sum
   * it is when its own header is absent (the file must then have every part).
   * A row with any part missing has this column missing too: a missing
   * quantity is never counted as 0.
   */
  readonly sumOf?: readonly string[];
}

/** A report's columns. */
export interface Layout {
  /** In published order. */
  readonly columns: readonly LayoutColumn[];
  /**
   * The header must be exactly the published columns, in order (names
   * matched normalised, aliases allowed): a file with a column added,
   * missing, renamed or moved fails, naming the column. Without it, columns
   * are found by name wherever they are and extra ones are ignored.
   * @default {false}
   */
  readonly exactHeader?: boolean;
}

/**
 * Normalise a header for matching: trim, collapse inner white space, case-fold.
 * A public loader silently dropped 205,000 rows because a header gained a
 * second space; matching on the normalised name prevents that without
 * accepting a renamed header.
 */
export function normaliseHeader(text: string): string {
  return text.trim().replace(/\s+/g, " ").toLowerCase();
}

/** Database columns of `layout`, in layout order. */
export function dbColumns(layout: Layout): string[] {
  return layout.columns.map((c) => c.column);
}

const published = new WeakMap<Layout, readonly LayoutColumn[]>();

/**
 * The columns every file has under their own header, in published order
 * (worked out once per layout: an export asks for every row). Neither a
 * second reading of another column's cell nor an optional column is one.
 */
export function publishedColumns(layout: Layout): readonly LayoutColumn[] {
  let p = published.get(layout);
  if (!p) {
    p = layout.columns.filter((c) => c.published !== false && c.optional !== true);
    published.set(layout, p);
  }
  return p;
}

const fingerprints = new WeakMap<Layout, string>();

/**
 * What a layout accepts, as 16 hex digits of a sha256 over every column's
 * headers, aliases, type, checks and normaliser (its source text), in
 * order. Two layouts that read a file alike have the same fingerprint; a
 * release or a source's `header_aliases` that reads files differently
 * changes it, so a verdict "these bytes fail" taken under the old one (see
 * the ledger's terminal failures) is not taken as the new one's.
 *
 * @example
 * ```ts
 * layoutFingerprint(FAMILY_A_LAYOUT); // "3f0c…" (16 hex digits)
 * ```
 */
export function layoutFingerprint(layout: Layout): string {
  let f = fingerprints.get(layout);
  if (f === undefined) {
    const text = JSON.stringify([
      layout.exactHeader === true,
      layout.columns.map((c) => [
        c.header,
        c.aliases ?? [],
        c.column,
        c.kind,
        c.codes ?? null,
        c.pattern?.source ?? null,
        c.key === true,
        c.normalise ? String(c.normalise) : null,
        c.published !== false,
        c.optional === true,
        c.sumOf ?? null,
      ]),
    ]);
    f = createHash("sha256").update(text).digest("hex").slice(0, 16);
    fingerprints.set(layout, f);
  }
  return f;
}

/** Database columns of the natural key within one file. */
export function keyColumns(layout: Layout): string[] {
  return layout.columns.filter((c) => c.key).map((c) => c.column);
}

/** Every normalised header name the layout accepts (aliases included). */
export function knownHeaders(layout: Layout): Set<string> {
  const out = new Set<string>();
  for (const c of layout.columns) {
    out.add(normaliseHeader(c.header));
    for (const a of c.aliases ?? []) out.add(normaliseHeader(a));
  }
  return out;
}

/**
 * Per-source header aliases: a source whose site spells a header its own way
 * (`sources[].header_aliases: { "Location Name": "Loc Name" }`) reads the
 * report with those spellings accepted too, without a new release and
 * without loosening the report for every other source.
 *
 * @module
 */
import { knownHeaders, type Layout, normaliseHeader } from "./layout.ts";
import type { Report } from "./report.ts";
import { reportFor } from "./registry.ts";

/** Header as a source publishes it → the report's header it means. */
export type HeaderAliases = Readonly<Record<string, string>>;

/**
 * What is wrong with `aliases` for `layout`, one message per alias (empty
 * when nothing is): each must name one of the report's headers, and none may
 * be a header the report already reads (it would mean two columns).
 *
 * @example
 * ```ts
 * aliasProblems(FAMILY_A_LAYOUT, { "Location Name": "Loc Name" }); // []
 * aliasProblems(FAMILY_A_LAYOUT, { "TSQ": "OAC" });
 * // [{ alias: "TSQ", message: '"TSQ" is already a header of the report' }]
 * ```
 */
export function aliasProblems(
  layout: Layout,
  aliases: HeaderAliases,
): { alias: string; message: string }[] {
  const known = knownHeaders(layout);
  const headers = [...new Set(layout.columns.map((c) => c.header))];
  const seen = new Map<string, string>();
  const out: { alias: string; message: string }[] = [];
  for (const [alias, target] of Object.entries(aliases)) {
    const name = normaliseHeader(alias);
    const col = layout.columns.find((c) => normaliseHeader(c.header) === normaliseHeader(target));
    let message: string | undefined;
    if (name === "") message = "an empty header cannot be an alias";
    else if (known.has(name)) {
      message = `${JSON.stringify(alias)} is already a header of the report`;
    } else if (seen.has(name)) message = `the same header as ${JSON.stringify(seen.get(name))}`;
    else if (!col) {
      message = `${JSON.stringify(target)} is not a header of the report ` +
        `(expected one of ${headers.map((h) => JSON.stringify(h)).join(", ")})`;
    }
    seen.set(name, alias);
    if (message !== undefined) out.push({ alias, message });
  }
  return out;
}

/** `layout` with `aliases` accepted as further spellings of their columns' headers. */
export function withAliases(layout: Layout, aliases: HeaderAliases): Layout {
  const extra = Object.entries(aliases);
  const columns = layout.columns.map((c) => {
    const mine = extra.filter(([, t]) => normaliseHeader(t) === normaliseHeader(c.header));
    if (mine.length === 0) return c;
    return Object.freeze({ ...c, aliases: [...(c.aliases ?? []), ...mine.map(([a]) => a)] });
  });
  return Object.freeze({ ...layout, columns: Object.freeze(columns) });
}

/** What {@linkcode sourceReport} reads of a configured source. */
export interface AliasedSource {
  /** Report id. */
  readonly report: string;
  /** Its header aliases, if it has any. */
  readonly headerAliases?: HeaderAliases;
}

/** One derived report per alias set: the parser compiles a layout once, by identity. */
const derived = new WeakMap<HeaderAliases, Report>();

/**
 * The report `source` reads: its registered report, with the source's header
 * aliases (if any) folded into the layout. Same id and table: only how the
 * header is matched differs.
 */
export function sourceReport(source: AliasedSource): Report {
  const report = reportFor(source.report);
  const aliases = source.headerAliases;
  if (aliases === undefined || Object.keys(aliases).length === 0) return report;
  let r = derived.get(aliases);
  if (r === undefined || r.id !== report.id) {
    r = Object.freeze({ ...report, layout: withAliases(report.layout, aliases) });
    derived.set(aliases, r);
  }
  return r;
}

/**
 * A report is a value: its layout, the table its rows land in, how to ask
 * the site for one (gas day, cycle), and which request parameters are the
 * program's own. The parser, the classifier, the loader and the
 * configuration take a `Report`; a report family is a folder beside
 * `family_a/` that registers one (see `registry.ts`).
 *
 * Every report table has the same frame around the layout's columns:
 * `asset, gas_day, cycle, source` (stamped from the request), the layout's
 * columns, then `load_id, first_loaded_at, updated_at`; its primary key is
 * `(asset, gas_day, cycle, source, <the layout's key columns>)`. Beside it,
 * `<table>_retired` keeps the row versions a newer file changed or dropped:
 * the same columns up to `load_id`, then `valid_from, valid_to, load_id_to`.
 *
 * @module
 */
import type { Cycle } from "../domain/cycles.ts";
import type { IsoDate } from "../domain/gas_day.ts";
import type { Layout } from "./layout.ts";

/** What a URL builder needs of a configured source. */
export interface ReportSource {
  /** Asset code, e.g. `TW`. */
  readonly asset: string;
  /** Scheme, host and optional port of the site. */
  readonly baseUrl: string;
  /** `searchType=` or the family's equivalent. */
  readonly searchType: string;
  /** Further request parameters, sent as given. */
  readonly params: Readonly<Record<string, string>>;
  /**
   * How the cycle is asked for: `code` sends `cycle=<code>` (`cycle=0`),
   * `name` sends `cycleDesc=<label>` (`cycleDesc=Intraday%201`).
   * @default the report's {@linkcode Report.cycleEncoding}
   */
  readonly cycleEncoding?: CycleEncoding;
}

/** How a request names its cycle: see {@linkcode ReportSource.cycleEncoding}. */
export type CycleEncoding = "code" | "name";

/** The ways a cycle can be asked for. */
export const CYCLE_ENCODINGS: readonly CycleEncoding[] = ["code", "name"];

/**
 * The query parameter naming `cycle` for `source` (its own encoding, else
 * `fallback`, the report's): `["cycle", "0"]` or `["cycleDesc", "Timely"]`.
 */
export function cycleParam(
  source: ReportSource,
  cycle: Cycle,
  fallback: CycleEncoding,
): [string, string] {
  return (source.cycleEncoding ?? fallback) === "code"
    ? ["cycle", String(cycle.code)]
    : ["cycleDesc", cycle.label];
}

/** One request of a report. */
export interface ReportRequest {
  /** Gas day. */
  readonly gasDay: IsoDate;
  /** Cycle. */
  readonly cycle: Cycle;
  /** Extra or overriding query parameters (from `--params`). */
  readonly params?: Readonly<Record<string, string>>;
}

/** A report the program can fetch and load. */
export interface Report {
  /** Its name in the configuration (`sources[].report`) and the ledger. */
  readonly id: string;
  /** Table its rows land in (in the configured schema). */
  readonly table: string;
  /** Its CSV columns. */
  readonly layout: Layout;
  /**
   * How its site takes the cycle unless a source says otherwise.
   * @default {"code"}
   */
  readonly cycleEncoding?: CycleEncoding;
  /** Request parameters only the program sets: refused in `params`, ignored in `--params`. */
  readonly reservedParams: readonly string[];
  /** The URL of one posting. */
  url(source: ReportSource, req: ReportRequest): string;
}

/** The table of a report's retired row versions (see the module doc). */
export function retiredTable(report: Report): string {
  return `${report.table}_retired`;
}

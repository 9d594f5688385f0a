/**
 * Request URLs for Energy Transfer's informational postings ("ipost").
 *
 * @module
 */
import { RESERVED_PARAMS, type SourceConfig } from "../config/schema.ts";
import type { Cycle } from "../domain/cycles.ts";
import { type IsoDate, toIpostDate } from "../domain/gas_day.ts";

/** Path of each report below the site, for family-A pipelines. */
const REPORT_PATHS: Record<SourceConfig["report"], (asset: string) => string> = {
  "operationally-available": (asset) =>
    `/ipost/${encodeURIComponent(asset)}/capacity/operationally-available`,
};

const RESERVED = new Set(RESERVED_PARAMS);

/** What to ask the source for. */
export interface IpostRequest {
  /** Gas day. */
  gasDay: IsoDate;
  /** Cycle. */
  cycle: Cycle;
  /** Extra or overriding query parameters (from `--params`). */
  params?: Readonly<Record<string, string>>;
}

/**
 * Build the URL of one report, exactly as the site expects it:
 * `f=csv&extension=csv&asset=TW&gasDay=01%2F17%2F2024&cycle=0&searchType=ALL&...`.
 *
 * `asset` is the bare code (the old system sent `asset=TW/capacity/`);
 * `gasDay` is `MM/DD/YYYY`, URL-encoded. Parameters given in `req.params`
 * override the source's; `f`, `extension`, `asset`, `gasDay` and `cycle` always
 * come from the request itself, whatever either says.
 */
export function buildIpostUrl(source: SourceConfig, req: IpostRequest): string {
  const q = new URLSearchParams();
  q.set("f", "csv");
  q.set("extension", "csv");
  q.set("asset", source.asset);
  q.set("gasDay", toIpostDate(req.gasDay));
  q.set("cycle", String(req.cycle.code));
  q.set("searchType", source.searchType);
  for (const params of [source.params, req.params ?? {}]) {
    for (const [k, v] of Object.entries(params)) if (!RESERVED.has(k)) q.set(k, v);
  }
  // URLSearchParams writes spaces as "+"; the site's own links use %20.
  return `${source.baseUrl}${REPORT_PATHS[source.report](source.asset)}?${
    q.toString().replaceAll("+", "%20")
  }`;
}

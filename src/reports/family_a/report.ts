/**
 * Family A's "operationally available capacity" report (TW, FGT, FEP, TGR:
 * Energy Transfer's `*transfer.energytransfer.com` sites), loaded into
 * `operational_capacity`.
 *
 * @module
 */
import { toIpostDate } from "../../domain/gas_day.ts";
import { registerReport } from "../registry.ts";
import { cycleParam, type Report, type ReportRequest, type ReportSource } from "../report.ts";
import { FAMILY_A_LAYOUT } from "./layout.ts";

/**
 * Request parameters that only the program sets, per request: a gas day or
 * cycle from anywhere else would mislabel every row of the file.
 */
const RESERVED: readonly string[] = ["f", "extension", "asset", "gasDay", "cycle", "cycleDesc"];

/**
 * The URL of one posting, exactly as the site expects it:
 * `/ipost/TW/capacity/operationally-available?f=csv&extension=csv&asset=TW&gasDay=01%2F17%2F2024&cycle=0&searchType=ALL&...`.
 *
 * `asset` is the bare code (the old system sent `asset=TW/capacity/`);
 * `gasDay` is `MM/DD/YYYY`, URL-encoded. Parameters given in `req.params`
 * override the source's; the reserved ones always come from the request
 * itself, whatever either says.
 */
export function familyAUrl(source: ReportSource, req: ReportRequest): string {
  const q = new URLSearchParams();
  q.set("f", "csv");
  q.set("extension", "csv");
  q.set("asset", source.asset);
  q.set("gasDay", toIpostDate(req.gasDay));
  q.set(...cycleParam(source, req.cycle, "code"));
  q.set("searchType", source.searchType);
  for (const params of [source.params, req.params ?? {}]) {
    for (const [k, v] of Object.entries(params)) if (!RESERVED.includes(k)) q.set(k, v);
  }
  const path = `/ipost/${encodeURIComponent(source.asset)}/capacity/operationally-available`;
  // URLSearchParams writes spaces as "+"; the site's own links use %20.
  return `${source.baseUrl}${path}?${q.toString().replaceAll("+", "%20")}`;
}

/** The report, registered. */
export const FAMILY_A: Report = registerReport({
  id: "operationally-available",
  table: "operational_capacity",
  layout: FAMILY_A_LAYOUT,
  cycleEncoding: "code",
  reservedParams: RESERVED,
  url: familyAUrl,
});

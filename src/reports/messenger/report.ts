/**
 * The messenger family's "operationally available capacity by location"
 * report (PEPL, TGC, ROVER, SER, GR), loaded into `messenger_capacity`.
 *
 * @module
 */
import { toIpostDate } from "../../domain/gas_day.ts";
import { registerReport } from "../registry.ts";
import { cycleParam, type Report, type ReportRequest, type ReportSource } from "../report.ts";
import { MESSENGER_LAYOUT } from "./layout.ts";

/** Request parameters only the program sets, per request (see family A's). */
const RESERVED: readonly string[] = ["f", "extension", "asset", "gasDay", "cycleDesc", "cycle"];

/**
 * The URL of one posting:
 * `/ipost/capacity/operationally-available-by-location?f=csv&extension=csv&asset=PEPL&gasDay=01%2F26%2F2021&cycleDesc=Timely&pointCd=&name=`.
 *
 * The path has no asset (the query names it); the cycle goes by name
 * (`cycleDesc=Intraday%201`) unless the source asks for codes. `searchType`
 * is not a parameter of this report: it is sent only when the source sets
 * it through `params`. Parameters in `req.params` override the source's;
 * the reserved ones always come from the request itself.
 */
export function messengerUrl(source: ReportSource, req: ReportRequest): string {
  const q = new URLSearchParams();
  q.set("f", "csv");
  q.set("extension", "csv");
  q.set("asset", source.asset);
  q.set("gasDay", toIpostDate(req.gasDay));
  q.set(...cycleParam(source, req.cycle, "name"));
  q.set("pointCd", "");
  q.set("name", "");
  for (const params of [source.params, req.params ?? {}]) {
    for (const [k, v] of Object.entries(params)) if (!RESERVED.includes(k)) q.set(k, v);
  }
  const path = "/ipost/capacity/operationally-available-by-location";
  // URLSearchParams writes spaces as "+"; the site's own links use %20.
  return `${source.baseUrl}${path}?${q.toString().replaceAll("+", "%20")}`;
}

/** The report, registered. */
export const MESSENGER: Report = registerReport({
  id: "operationally-available-by-location",
  table: "messenger_capacity",
  layout: MESSENGER_LAYOUT,
  cycleEncoding: "name",
  reservedParams: RESERVED,
  url: messengerUrl,
});

/**
 * `/location?asset=&loc=[&from=&to=]`: one location's OPC, TSQ and OAC over
 * gas days and cycles, as a chart (uPlot, drawn from the figures in the
 * page; each gas day's cycles in posting order) and as a table, and
 * the row versions later files revised. `/location.csv` is the export's CSV
 * of the same rows.
 *
 * @module
 */
import { CYCLES } from "../../domain/cycles.ts";
import { addDays, daysBetween, gasDayAt, type IsoDate } from "../../domain/gas_day.ts";
import { h, href, type Html, page, percent, qty } from "../html.ts";
import { locOf, ParamError, Params } from "../params.ts";
import {
  assetLastDay,
  locationRevisions,
  locationSeries,
  readOnly,
  type RevisionRow,
  type SeriesPoint,
} from "../queries.ts";
import { assetsOf, type WebDeps } from "../deps.ts";

/** Parameters of the page (and of its CSV). */
export const LOCATION_PARAMS = ["asset", "loc", "from", "to"] as const;

/** Gas days shown by default, and at most. */
export const LOCATION_DAYS = { default: 31, max: 366 } as const;

/** Revisions listed. */
const REVISIONS_LIMIT = 100;

/** A validated request. */
export interface LocationRequest {
  /** Asset. */
  asset: string;
  /** Location. */
  loc: string;
  /** First gas day. */
  from: IsoDate;
  /** Last gas day. */
  to: IsoDate;
}

/**
 * The parameters; the range defaults to the {@linkcode LOCATION_DAYS} days
 * ending on `lastDay()` (the asset's latest gas day).
 *
 * @throws {ParamError} naming the first bad parameter
 */
export async function locationRequest(
  deps: WebDeps,
  url: URL,
  lastDay: (asset: string) => Promise<IsoDate | undefined>,
): Promise<LocationRequest> {
  const p = new Params(url, LOCATION_PARAMS);
  const asset = p.known("asset", assetsOf(deps), "a configured asset") ??
    p.required("asset", "a configured asset");
  const loc = locOf(p);
  const to = p.raw("to") === undefined
    ? (await lastDay(asset)) ?? gasDayAt(deps.now(), deps.timezone)
    : p.date("to");
  const from = p.date("from", addDays(to, -(LOCATION_DAYS.default - 1)));
  if (from > to) throw new ParamError("from", `a date on or before to (${to})`, from);
  if (daysBetween(from, to) >= LOCATION_DAYS.max) {
    throw new ParamError(
      "from",
      `a date at most ${LOCATION_DAYS.max} days before to (${to})`,
      from,
    );
  }
  return { asset, loc, from, to };
}

/**
 * Where a (gas day, cycle) point sits on the chart's axis: days since
 * 1970-01-01 plus a sixth of a day per cycle in posting order, so a day's
 * cycles sit side by side and points ascend (expected posting times do not:
 * Final of one day is posted after Timely of the next).
 */
export function pointX(day: IsoDate, ord: number): number {
  return Date.parse(`${day}T00:00:00Z`) / 86_400_000 + (ord - 1) / 6;
}

/** The chart's figures for one flow direction: x ({@linkcode pointX}), then the three series. */
export interface ChartData {
  /** Flow direction. */
  flow: string;
  /** Point labels (`2024-01-17 Timely`). */
  labels: string[];
  /** Positions on the axis ({@linkcode pointX}). */
  x: number[];
  /** OPC. */
  opc: (number | null)[];
  /** TSQ. */
  tsq: (number | null)[];
  /** OAC. */
  oac: (number | null)[];
}

const num = (v: string | null) => (v === null ? null : Number(v));

/** The points of each flow direction, for the chart. Pure. */
export function chartData(points: SeriesPoint[]): ChartData[] {
  const byFlow = new Map<string, ChartData>();
  for (const p of points) {
    const ord = CYCLES.findIndex((c) => c.label === p.cycle) + 1;
    let d = byFlow.get(p.flow);
    if (!d) byFlow.set(p.flow, d = { flow: p.flow, labels: [], x: [], opc: [], tsq: [], oac: [] });
    d.labels.push(`${p.gas_day} ${p.cycle}`);
    d.x.push(pointX(p.gas_day, ord));
    d.opc.push(num(p.opc));
    d.tsq.push(num(p.tsq));
    d.oac.push(num(p.oac));
  }
  return [...byFlow.values()];
}

function seriesTable(points: SeriesPoint[]): Html {
  return h`<table class="series"><thead><tr><th>Gas day</th><th>Cycle</th><th>Flow</th><th>OPC</th><th>TSQ</th><th>OAC</th><th>Utilisation</th></tr></thead>
<tbody>${
    points.map((p) =>
      h`<tr><td>${p.gas_day}</td><td>${p.cycle}</td><td>${p.flow}</td><td class="num opc">${
        qty(p.opc)
      }</td><td class="num tsq">${qty(p.tsq)}</td><td class="num oac">${
        qty(p.oac)
      }</td><td class="num">${
        p.opc === null || p.tsq === null || Number(p.opc) === 0
          ? "—"
          : percent(Number(p.tsq) / Number(p.opc))
      }</td></tr>`
    )
  }</tbody></table>`;
}

function revisions(rows: RevisionRow[]): Html {
  if (rows.length === 0) {
    return h`<p>No revisions in these days: every posting is as first seen.</p>`;
  }
  return h`<table class="revisions"><thead><tr><th>Gas day</th><th>Cycle</th><th>Flow</th><th>OPC</th><th>TSQ</th><th>OAC</th><th>Posted from</th><th>Until</th></tr></thead>
<tbody>${
    rows.map((r) =>
      h`<tr><td>${r.gas_day}</td><td>${r.cycle}</td><td>${r.flow}</td><td class="num">${
        qty(r.opc)
      }</td><td class="num">${qty(r.tsq)}</td><td class="num">${
        qty(r.oac)
      }</td><td>${r.valid_from}</td><td>${r.valid_to}</td></tr>`
    )
  }</tbody></table>`;
}

/** The page's HTML. Pure. */
export function renderLocation(
  req: LocationRequest,
  points: SeriesPoint[],
  revised: RevisionRow[],
): Html {
  const last = points.at(-1);
  const title = `${req.asset} location ${req.loc}${last?.name ? ` ${last.name}` : ""}`;
  const charts = chartData(points).map((c) =>
    h`<figure class="chart-box"><figcaption>Flow ${c.flow}: OPC, TSQ and OAC (Dth/d) by gas day, its cycles in posting order</figcaption>
<div class="chart" data-series="${JSON.stringify(c)}"></div></figure>`
  );
  const csv = href("/location.csv", { ...req });
  const body = points.length === 0
    ? h`<p class="empty">No rows for location ${req.loc} from ${req.from} to ${req.to}.</p>`
    : h`<p class="summary">${
      last?.zone ?? ""
    } · ${points.length} postings from ${req.from} to ${req.to}
· <a href="${csv}" class="csv">Download CSV</a></p>
${charts}
<h2>Postings</h2>${seriesTable(points)}
<h2>Revisions</h2>${revisions(revised)}`;
  return page({
    title,
    chart: points.length > 0,
    body: h`<form method="get" action="/location" class="filters">
<input type="hidden" name="asset" value="${req.asset}"><input type="hidden" name="loc" value="${req.loc}">
<label>From <input type="date" name="from" value="${req.from}"></label>
<label>To <input type="date" name="to" value="${req.to}"></label>
<button type="submit">Show</button></form>
${body}`,
  });
}

/** Validate, load and render the page for `url`. */
export function locationPage(deps: WebDeps, url: URL): Promise<Html> {
  return readOnly(deps.db, async (q) => {
    const req = await locationRequest(deps, url, (a) => assetLastDay(q, deps.schema, a));
    const points = await locationSeries(q, deps.schema, req);
    const revised = await locationRevisions(q, deps.schema, { ...req, limit: REVISIONS_LIMIT });
    return renderLocation(req, points, revised);
  });
}

/**
 * `/capacity?asset=&gas_day=&cycle=`: every location of one (asset, gas day,
 * cycle) with DC, OPC, TSQ, OAC, a utilisation bar and the flow direction;
 * sorted and filtered on the server (zone, name, source), so it works
 * without JavaScript; locations whose OAC is under a share of OPC
 * highlighted; zone totals; the biggest changes against each location's
 * previous cycle. `/capacity.csv` with the same parameters is the export's
 * CSV of what is on screen.
 *
 * @module
 */
import { type Cycle, CYCLES } from "../../domain/cycles.ts";
import { addDays } from "../../domain/gas_day.ts";
import { change, EMPTY, h, href, type Html, page, percent, qty } from "../html.ts";
import { Params, sortOf } from "../params.ts";
import {
  biggestChanges,
  type ChangeRow,
  cyclesOfDay,
  type LocationRow,
  pairRows,
  type PairSelection,
  pairZones,
  readOnly,
  type SortColumn,
  SORTS,
  type ZoneTotal,
  zoneTotals,
} from "../queries.ts";
import { assetsOf, sourcesOf, type WebDeps } from "../deps.ts";

/** Parameters of the page (and of its CSV). */
export const CAPACITY_PARAMS = [
  "asset",
  "gas_day",
  "cycle",
  "source",
  "zone",
  "name",
  "sort",
  "dir",
  "below",
] as const;

/** Changes listed. */
const CHANGES_LIMIT = 15;

/** A validated request of the page. */
export interface CapacityRequest {
  /** What is selected, and in which order. */
  sel: PairSelection;
  /** The cycle. */
  cycle: Cycle;
  /** Highlight threshold (OAC / OPC). */
  below: number;
}

/**
 * The request's parameters, validated against the configuration (asset,
 * source) and the pair's zones (read by `zones`).
 *
 * @throws {ParamError} naming the first bad parameter
 */
export async function capacityRequest(
  deps: WebDeps,
  url: URL,
  zones: (sel: Pick<PairSelection, "asset" | "gasDay" | "cycle">) => Promise<string[]>,
): Promise<CapacityRequest> {
  const p = new Params(url, CAPACITY_PARAMS);
  const asset = p.known("asset", assetsOf(deps), "a configured asset") ??
    p.required("asset", "a configured asset");
  const gasDay = p.date("gas_day");
  const cycle = p.cycle("cycle");
  const source = p.known("source", sourcesOf(deps, asset), `a source of ${asset}`);
  const name = p.text("name");
  const { sort, desc } = sortOf(p);
  const below = p.share("below", deps.lowOacShare);
  const base = { asset, gasDay, cycle: cycle.label };
  const zone = p.raw("zone") === undefined
    ? undefined
    : p.known("zone", await zones(base), "a zone of this gas day and cycle");
  return { sel: { ...base, source, zone, name, sort, desc }, cycle, below };
}

/** What the page shows. */
export interface CapacityData {
  /** The locations. */
  rows: LocationRow[];
  /** Totals per zone. */
  totals: ZoneTotal[];
  /** The pair's zones. */
  zones: string[];
  /** Cycles of the gas day that have rows. */
  cycles: string[];
  /** The biggest changes, and how many locations changed. */
  changes: { changed: number; rows: ChangeRow[] };
}

/** Whether the row's OAC is under `below` of its OPC. */
export function isLow(r: Pick<LocationRow, "oac" | "opc">, below: number): boolean {
  if (r.oac === null || r.opc === null || Number(r.opc) <= 0) return false;
  return Number(r.oac) / Number(r.opc) < below;
}

function query(req: CapacityRequest, extra: Record<string, string | undefined> = {}) {
  const s = req.sel;
  return {
    asset: s.asset,
    gas_day: s.gasDay,
    cycle: req.cycle.id,
    source: s.source,
    zone: s.zone,
    name: s.name,
    sort: s.sort === "loc" ? undefined : s.sort,
    dir: s.desc ? "desc" : undefined,
    below: String(req.below),
    ...extra,
  };
}

function sortLink(req: CapacityRequest, col: SortColumn, label: string): Html {
  const active = req.sel.sort === col;
  const dir = active && !req.sel.desc ? "desc" : "asc";
  const mark = active ? (req.sel.desc ? " ▼" : " ▲") : "";
  return h`<th scope="col" class="${active ? "sorted" : ""}"><a href="${
    href("/capacity", query(req, { sort: col, dir }))
  }">${label}${mark}</a></th>`;
}

function locationRow(req: CapacityRequest, r: LocationRow, showSource: boolean): Html {
  const low = isLow(r, req.below);
  const u = r.utilisation === null ? null : Math.max(0, Math.min(1, Number(r.utilisation)));
  const link = href("/location", { asset: req.sel.asset, loc: r.loc, to: req.sel.gasDay });
  return h`<tr class="${low ? "low" : ""}" data-loc="${r.loc}" data-flow="${r.flow}">
<td><a href="${link}">${r.loc}</a></td><td class="name">${r.name ?? ""}</td><td>${r.zone ?? ""}</td>
<td>${r.flow}</td>${showSource ? h`<td>${r.source}</td>` : EMPTY}
<td class="num dc">${qty(r.dc)}</td><td class="num opc">${qty(r.opc)}</td><td class="num tsq">${
    qty(r.tsq)
  }</td><td class="num oac">${qty(r.oac)}</td>
<td class="util">${
    u === null
      ? "—"
      : h`<meter min="0" max="1" low="0.5" high="0.9" optimum="0" value="${u}"></meter> ${
        percent(r.utilisation)
      }`
  }</td></tr>`;
}

function table(req: CapacityRequest, rows: LocationRow[]): Html {
  const showSource = req.sel.source === undefined && new Set(rows.map((r) => r.source)).size > 1;
  const cols: [SortColumn, string][] = [["loc", "Loc"], ["name", "Name"], ["zone", "Zone"], [
    "flow",
    "Flow",
  ]];
  const nums: [SortColumn, string][] = [["dc", "DC"], ["opc", "OPC"], ["tsq", "TSQ"], [
    "oac",
    "OAC",
  ], ["utilisation", "Utilisation"]];
  return h`<table class="locations">
<thead><tr>${cols.map(([c, l]) => sortLink(req, c, l))}${showSource ? h`<th>Source</th>` : EMPTY}${
    nums.map(([c, l]) => sortLink(req, c, l))
  }</tr></thead>
<tbody>${rows.map((r) => locationRow(req, r, showSource))}</tbody></table>`;
}

function totals(t: ZoneTotal[]): Html {
  return h`<table class="totals"><thead><tr><th>Zone</th><th>Locations</th><th>DC</th><th>OPC</th><th>TSQ</th><th>OAC</th></tr></thead>
<tbody>${
    t.map((z) =>
      h`<tr data-zone="${z.zone ?? ""}"><td>${
        z.zone ?? "(none)"
      }</td><td class="num">${z.locations}</td><td class="num">${qty(z.dc)}</td><td class="num">${
        qty(z.opc)
      }</td><td class="num tsq">${qty(z.tsq)}</td><td class="num oac">${qty(z.oac)}</td></tr>`
    )
  }</tbody></table>`;
}

function changes(req: CapacityRequest, c: CapacityData["changes"]): Html {
  if (c.rows.length === 0) return h`<p>No location changed against its previous cycle.</p>`;
  return h`<p><span class="changed-count">${c.changed}</span> locations changed against their previous cycle; the biggest:</p>
<table class="changes"><thead><tr><th>Loc</th><th>Name</th><th>Flow</th><th>From</th><th>OPC</th><th>TSQ</th><th>OAC</th><th>OAC now</th></tr></thead>
<tbody>${
    c.rows.map((r) =>
      h`<tr data-loc="${r.loc}"><td><a href="${
        href("/location", { asset: req.sel.asset, loc: r.loc, to: req.sel.gasDay })
      }">${r.loc}</a></td><td>${
        r.name ?? ""
      }</td><td>${r.flow}</td><td>${r.prev_cycle}</td><td class="num">${
        change(r.opc_change)
      }</td><td class="num">${change(r.tsq_change)}</td><td class="num">${
        change(r.oac_change)
      }</td><td class="num">${qty(r.oac)}</td></tr>`
    )
  }</tbody></table>`;
}

function filters(deps: WebDeps, req: CapacityRequest, d: CapacityData): Html {
  const s = req.sel;
  const sources = sourcesOf(deps, s.asset);
  const opt = (v: string, label: string, on: boolean) =>
    h`<option value="${v}"${on ? h` selected` : EMPTY}>${label}</option>`;
  return h`<form method="get" action="/capacity" class="filters">
<input type="hidden" name="asset" value="${s.asset}"><input type="hidden" name="gas_day" value="${s.gasDay}">
<input type="hidden" name="cycle" value="${req.cycle.id}">
<label>Zone <select name="zone">${opt("", "all", s.zone === undefined)}${
    d.zones.map((z) => opt(z, z, z === s.zone))
  }</select></label>
<label>Name <input name="name" value="${s.name ?? ""}" maxlength="60"></label>
${
    sources.length > 1
      ? h`<label>Source <select name="source">${opt("", "all", s.source === undefined)}${
        sources.map((x) => opt(x, x, x === s.source))
      }</select></label>`
      : EMPTY
  }
<label>Sort <select name="sort">${SORTS.map((c) => opt(c, c, c === s.sort))}</select></label>
<label>Order <select name="dir">${opt("asc", "ascending", !s.desc)}${
    opt("desc", "descending", s.desc)
  }</select></label>
<label>Highlight OAC under <input name="below" value="${String(req.below)}" size="5"></label>
<button type="submit">Apply</button>
<a href="${href("/capacity.csv", query(req))}" class="csv">Download CSV</a>
</form>`;
}

function navigation(req: CapacityRequest, d: CapacityData): Html {
  const s = req.sel;
  const day = (n: number) => href("/capacity", { ...query(req), gas_day: addDays(s.gasDay, n) });
  const cycles = CYCLES.map((c) => {
    const has = d.cycles.includes(c.label);
    const here = c.id === req.cycle.id;
    return here
      ? h`<strong>${c.label}</strong>`
      : has
      ? h`<a href="${
        href("/capacity", { ...query(req), cycle: c.id, zone: undefined })
      }">${c.label}</a>`
      : h`<span class="muted">${c.label}</span>`;
  });
  return h`<nav class="pair-nav"><a href="${day(-1)}">← previous day</a> · ${
    cycles.map((c, i) => i === 0 ? c : h` · ${c}`)
  } · <a href="${day(1)}">next day →</a></nav>`;
}

/** The page's HTML. Pure. */
export function renderCapacity(deps: WebDeps, req: CapacityRequest, d: CapacityData): Html {
  const s = req.sel;
  const low = d.rows.filter((r) => isLow(r, req.below)).length;
  const body = d.rows.length === 0 && d.cycles.length === 0
    ? h`<p class="empty">Nothing loaded for ${s.asset} ${s.gasDay} ${s.cycle}.</p>`
    : h`<p class="summary"><span class="count">${d.rows.length}</span> locations shown;
<span class="low-count">${low}</span> with OAC under ${percent(req.below)} of OPC (highlighted).</p>
${table(req, d.rows)}
<h2>Zone totals</h2>${totals(d.totals)}
<h2>Biggest changes against the previous cycle</h2>${changes(req, d.changes)}`;
  return page({
    title: `${s.asset} ${s.gasDay} ${s.cycle}`,
    body: h`${navigation(req, d)}${filters(deps, req, d)}${body}`,
  });
}

/** Validate, load and render the page for `url`. */
export function capacityPage(deps: WebDeps, url: URL): Promise<Html> {
  return readOnly(deps.db, async (q) => {
    // The zones are read once: to validate `zone`, and as the filter's choices.
    let zones: Promise<string[]> | undefined;
    const zonesOf = (sel: Parameters<typeof pairZones>[2]) =>
      zones ??= pairZones(q, deps.schema, sel);
    const req = await capacityRequest(deps, url, zonesOf);
    const data: CapacityData = {
      rows: await pairRows(q, deps.schema, req.sel),
      totals: await zoneTotals(q, deps.schema, req.sel),
      zones: await zonesOf(req.sel),
      cycles: await cyclesOfDay(q, deps.schema, req.sel.asset, req.sel.gasDay),
      changes: await biggestChanges(q, deps.schema, req.sel, CHANGES_LIMIT),
    };
    return renderCapacity(deps, req, data);
  });
}

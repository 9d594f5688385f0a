/**
 * `/`: per configured source, the latest gas day and cycle loaded, the lag
 * between each cycle's expected posting time and its load, a gas day x cycle
 * grid (loaded, revised, failed, not posted), and the latest failures and
 * quarantined rows with their reasons.
 *
 * @module
 */
import { CYCLES } from "../../domain/cycles.ts";
import { addDays, gasDayAt, type IsoDate } from "../../domain/gas_day.ts";
import type { SourceConfig } from "../../config/schema.ts";
import { EMPTY, h, href, type Html, minutes, page } from "../html.ts";
import { Params } from "../params.ts";
import {
  type GridCell,
  lastKnownDay,
  latestLoad,
  readOnly,
  type SourceOverview,
  sourceOverview,
} from "../queries.ts";
import type { WebDeps } from "../deps.ts";

/** Parameters of the overview. */
export const OVERVIEW_PARAMS = ["days", "to"] as const;

/** Gas days in the grid by default, and at most. */
export const GRID_DAYS = { default: 10, max: 92 } as const;

/** Failures and quarantined rows listed per source. */
const LIST_LIMIT = 20;

/** State of one grid cell. */
export type CellState = "revised" | "loaded" | "failed" | "not-posted" | "pending" | "none";

/** What a cell shows: loaded (one version), revised (more), failed, not posted, or nothing known. */
export function cellState(c: GridCell | undefined): CellState {
  if (!c) return "none";
  if (c.versions > 1) return "revised";
  if (c.versions === 1) return "loaded";
  if (c.failed > 0 || c.poll_status === "failed") return "failed";
  if (c.poll_status === "not_posted") return "not-posted";
  if (c.poll_status === "pending") return "pending";
  return "none";
}

const LABEL: Record<CellState, string> = {
  revised: "revised",
  loaded: "loaded",
  failed: "failed",
  "not-posted": "not posted",
  pending: "pending",
  none: "—",
};

/** One source's section, as loaded. */
export interface SourceSection {
  /** The source. */
  source: Pick<SourceConfig, "name" | "asset" | "cycles">;
  /** Gas days of the grid, newest first. */
  days: IsoDate[];
  /** What the database knows. */
  data: SourceOverview;
}

function gridCell(s: SourceSection, c: GridCell | undefined): Html {
  const state = cellState(c);
  if (!c || (state !== "loaded" && state !== "revised")) {
    const why = c?.poll_error ?? (c?.failed ? "the load failed" : "");
    return h`<td class="cell ${state}" title="${why}">${LABEL[state]}</td>`;
  }
  const lag = c.lag_minutes;
  const link = href("/capacity", {
    asset: s.source.asset,
    gas_day: c.gas_day,
    cycle: CYCLES.find((y) => y.label === c.cycle)?.id,
    source: s.source.name,
  });
  const versions = state === "revised" ? ` (${c.versions})` : "";
  return h`<td class="cell ${state}" title="${
    lag === null ? "" : `first seen ${minutes(lag)} after the expected posting`
  }"><a href="${link}">${LABEL[state]}${versions}</a></td>`;
}

function grid(s: SourceSection): Html {
  const byKey = new Map(s.data.cells.map((c) => [`${c.gas_day}|${c.cycle}`, c]));
  const cycles = CYCLES.filter((c) => s.source.cycles.includes(c.id));
  const rows = s.days.map((d) =>
    h`<tr><th scope="row">${d}</th>${
      cycles.map((c) => gridCell(s, byKey.get(`${d}|${c.label}`)))
    }</tr>`
  );
  return h`<table class="grid" data-source="${s.source.name}">
<thead><tr><th>Gas day</th>${cycles.map((c) => h`<th>${c.label}</th>`)}</tr></thead>
<tbody>${rows}</tbody></table>`;
}

function latest(s: SourceSection): Html {
  const l = s.data.latest;
  if (!l) return h`<p class="latest">Nothing loaded yet.</p>`;
  const cycle = CYCLES.find((y) => y.label === l.cycle);
  const link = href("/capacity", {
    asset: s.source.asset,
    gas_day: l.gas_day,
    cycle: cycle?.id,
    source: s.source.name,
  });
  return h`<p class="latest">Latest loaded: <a href="${link}"><strong class="latest-day">${l.gas_day}</strong>
<strong class="latest-cycle">${l.cycle}</strong></a>, ${l.rows_read} rows; first seen ${l.first_seen_at}
(${minutes(l.lag_minutes)} after the expected posting, ${l.expected_at}).</p>`;
}

function lags(s: SourceSection): Html {
  const loaded = s.data.cells.filter((c) => c.first_seen_at)
    .sort((a, b) => Date.parse(b.first_seen_at!) - Date.parse(a.first_seen_at!))
    .slice(0, 12);
  if (loaded.length === 0) return EMPTY;
  return h`<details class="lags"><summary>Lag of the latest loads</summary>
<table><thead><tr><th>Gas day</th><th>Cycle</th><th>Expected</th><th>First seen</th><th>Lag</th></tr></thead>
<tbody>${
    loaded.map((c) =>
      h`<tr><td>${c.gas_day}</td><td>${c.cycle}</td><td>${c.expected_at}</td><td>${c.first_seen_at}</td><td class="num">${
        minutes(c.lag_minutes!)
      }</td></tr>`
    )
  }</tbody></table></details>`;
}

function problems(s: SourceSection): Html {
  const f = s.data.failures;
  const q = s.data.quarantined;
  const failures = f.length === 0
    ? h`<p>No failed loads in these days.</p>`
    : h`<table class="failures">
<thead><tr><th>Gas day</th><th>Cycle</th><th>When</th><th>Reason</th></tr></thead><tbody>${
      f.map((r) =>
        h`<tr><td>${r.gas_day}</td><td>${r.cycle}</td><td>${r.finished_at ?? "—"}</td><td>${
          r.error ?? "—"
        }${r.terminal ? " (the same bytes fail again)" : ""}</td></tr>`
      )
    }</tbody></table>`;
  const quarantined = q.length === 0
    ? h`<p>No quarantined rows in these days.</p>`
    : h`<p>${s.data.quarantinedTotal} quarantined rows; the latest:</p><table class="quarantine">
<thead><tr><th>Gas day</th><th>Cycle</th><th>Line</th><th>Reason</th><th>Record</th></tr></thead><tbody>${
      q.map((r) =>
        h`<tr><td>${r.gas_day}</td><td>${r.cycle}</td><td class="num">${r.line_no}</td><td>${r.reason}</td><td><code>${r.raw_line}</code></td></tr>`
      )
    }</tbody></table>`;
  return h`<h3>Failures</h3>${failures}<h3>Quarantined rows</h3>${quarantined}`;
}

/** The overview's HTML. Pure. */
export function renderOverview(deps: WebDeps, sections: SourceSection[], days: number): Html {
  const body = sections.map((s) =>
    h`<section class="source" id="source-${s.source.name}">
<h2>${s.source.name} <span class="muted">(${s.source.asset})</span></h2>
${latest(s)}
${grid(s)}
${lags(s)}
${problems(s)}
</section>`
  );
  return page({
    title: "Overview",
    body: h`<p class="muted">Gas days shown: ${days}. Now: ${deps.now().toISOString()}.
Cells link to the cycle's capacity; <span class="cell revised">revised</span> means a later file
changed the posting.</p>
<form method="get" action="/" class="filters"><label>Days <input name="days" type="number" min="1" max="${GRID_DAYS.max}" value="${days}"></label>
<button type="submit">Show</button></form>
${body}`,
  });
}

/** Load and render the overview for the request `url`. */
export async function overviewPage(deps: WebDeps, url: URL): Promise<Html> {
  const p = new Params(url, OVERVIEW_PARAMS);
  const days = p.int("days", 1, GRID_DAYS.max, GRID_DAYS.default);
  const given = p.raw("to") === undefined ? undefined : p.date("to");
  const today = gasDayAt(deps.now(), deps.timezone);
  const sections = await readOnly(deps.db, async (q) => {
    const out: SourceSection[] = [];
    for (const source of deps.sources) {
      // The grid ends on the last day known (tomorrow's Timely comes in today), else today.
      const to = given ?? (await lastKnownDay(q, deps.schema, source.name) ?? today);
      const from = addDays(to, -(days - 1));
      const data = await sourceOverview(q, deps.schema, {
        source: source.name,
        from,
        to,
        limit: LIST_LIMIT,
        zone: deps.timezone,
      });
      data.latest = await latestLoad(q, deps.schema, source.name, deps.timezone);
      out.push({ source, days: Array.from({ length: days }, (_, i) => addDays(to, -i)), data });
    }
    return out;
  });
  return renderOverview(deps, sections, days);
}

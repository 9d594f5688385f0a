/**
 * `/capacity.csv` and `/location.csv`: what the page with the same
 * parameters shows, as the export command writes it (the report's query from
 * `capacityReadQuery`, its header and rows from `csvHeader` and `csvRow`),
 * streamed from a read-only cursor batch by batch.
 *
 * @module
 */
import { CYCLES } from "../../domain/cycles.ts";
import {
  capacityReadQuery,
  type CapacityRow,
  csvHeader,
  csvRow,
} from "../../load/capacity_read.ts";
import { reportFor } from "../../reports/all.ts";
import type { Report } from "../../reports/report.ts";
import { locationCsvQuery, pairCsvQuery, pairZones, readOnly } from "../queries.ts";
import { assetLastDay } from "../queries.ts";
import { sourcesOf, type WebDeps } from "../deps.ts";
import { capacityRequest } from "./capacity.ts";
import { locationRequest } from "./location.ts";

/** Rows per cursor batch, as the export's. */
const CSV_BATCH_ROWS = 500;

/** A CSV download: its file name and its body. */
export interface CsvDownload {
  /** File name offered to the browser (letters, digits, `._-` only). */
  filename: string;
  /** The bytes, streamed. */
  body: ReadableStream<Uint8Array>;
}

/** The report of an asset's sources (the first configured one's). */
function reportOf(deps: WebDeps, asset: string): Report {
  const s = deps.sources.find((x) => x.asset === asset);
  return reportFor(s?.report ?? "operationally-available");
}

function stream(
  deps: WebDeps,
  report: Report,
  q: { text: string; params: unknown[] },
  withPair: boolean,
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let rows: AsyncIterator<CapacityRow[]> | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(enc.encode(csvHeader(report.layout, withPair)));
      rows = deps.db.cursor<CapacityRow>(q.text, q.params, CSV_BATCH_ROWS)[Symbol.asyncIterator]();
    },
    async pull(controller) {
      const next = await rows!.next();
      if (next.done) return controller.close();
      controller.enqueue(
        enc.encode(next.value.map((r) => csvRow(report.layout, r, withPair)).join("")),
      );
    },
    async cancel() {
      await rows?.return?.();
    },
  });
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_");

/** The pair page's CSV. Parameters are validated as the page's (before anything streams). */
export async function capacityCsv(deps: WebDeps, url: URL): Promise<CsvDownload> {
  const req = await readOnly(
    deps.db,
    (q) => capacityRequest(deps, url, (sel) => pairZones(q, deps.schema, sel)),
  );
  const s = req.sel;
  const report = reportOf(deps, s.asset);
  const exportQuery = capacityReadQuery(report, deps.schema, {
    from: s.gasDay,
    to: s.gasDay,
    cycles: [s.cycle],
    sources: s.source ? [s.source] : sourcesOf(deps, s.asset),
    assets: [s.asset],
  });
  const several = s.source === undefined && sourcesOf(deps, s.asset).length > 1;
  return {
    filename: safeName(`${s.asset}_${s.gasDay}_${req.cycle.id}.csv`),
    body: stream(deps, report, pairCsvQuery(exportQuery, s), several),
  };
}

/** The location page's CSV (every cycle of the range, with the pair columns). */
export async function locationCsv(deps: WebDeps, url: URL): Promise<CsvDownload> {
  const req = await readOnly(
    deps.db,
    (q) => locationRequest(deps, url, (a) => assetLastDay(q, deps.schema, a)),
  );
  const report = reportOf(deps, req.asset);
  const exportQuery = capacityReadQuery(report, deps.schema, {
    from: req.from,
    to: req.to,
    cycles: CYCLES.map((c) => c.label),
    sources: sourcesOf(deps, req.asset),
    assets: [req.asset],
  });
  return {
    filename: safeName(`${req.asset}_${req.loc}_${req.from}_${req.to}.csv`),
    body: stream(deps, report, locationCsvQuery(exportQuery, req.loc), true),
  };
}

/**
 * `tec-pipeline export`: the rows of a range of pairs, as the posted CSV or
 * as JSON, streamed from a server-side cursor to standard output or a file.
 *
 * Memory stays flat whatever the range: rows are read in batches of
 * {@linkcode EXPORT_BATCH_ROWS}, each batch is written (and the write
 * awaited, so a slow reader slows the read) before the next is asked for.
 * `--output FILE` writes a temporary file beside it and renames it over
 * `FILE` once complete: a failed or interrupted export leaves no file and
 * never a partial one. `--as-of T` reads the row versions valid at `T` from
 * the report's history view. `--report capacity` reads the cross-family
 * `capacity` view (the columns every report shares) instead of one report's
 * table, so sources of different reports come out of one export.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import type { Config, SourceConfig } from "../../config/schema.ts";
import { CYCLES, findCycle } from "../../domain/cycles.ts";
import { InvalidRequestError } from "../../domain/errors.ts";
import { daysBetween, explainBadDate, type IsoDate, parseGasDay } from "../../domain/gas_day.ts";
import {
  capacityReadQuery,
  type CapacityRow,
  type CapacitySelection,
  csvHeader,
  csvRow,
  jsonRow,
  type ReadRelation,
} from "../../load/capacity_read.ts";
import { findReport, reportFor, reportIds } from "../../reports/all.ts";
import { CAPACITY_VIEW } from "../../reports/capacity_view.ts";
import { WRITE_PATHS } from "../permissions.ts";
import type { Runtime } from "../runtime.ts";
import { Shutdown } from "../shutdown.ts";
import { EXIT } from "../exit.ts";
import { type CommandEnv, withDatabase } from "./context.ts";

/** Rows per cursor batch: large enough to amortise a round trip, small enough to stay flat. */
export const EXPORT_BATCH_ROWS = 500;

/** Output formats. */
export const EXPORT_FORMATS = ["csv", "json"] as const;
/** An output format. */
export type ExportFormat = typeof EXPORT_FORMATS[number];

/** The export's options as given on the command line (unvalidated). */
export interface ExportArgs {
  /** `--from`: first gas day. */
  from?: string;
  /** `--to`: last gas day. */
  to?: string;
  /** `--cycles`: comma-separated cycles (all six when absent). */
  cycles?: string;
  /** `--asset`: comma-separated asset codes (every configured one when absent). */
  asset?: string;
  /** `--source`: comma-separated source names (every configured one when absent). */
  source?: string;
  /**
   * `--report`: `capacity` (the cross-family view) or a report id (the
   * selected sources publishing it); the one the selected sources publish when absent.
   */
  report?: string;
  /** `--as-of`: an instant, or a local time in the configured time zone. */
  asOf?: string;
  /** `--format`: `csv` or `json`. */
  format?: string;
  /** `--output`: the file to write (standard output when absent). */
  output?: string;
}

/** A validated export. */
export interface ExportRequest {
  /** The report table (every selected source publishes it) or the `capacity` view read. */
  relation: ReadRelation;
  /** What is read. */
  selection: CapacitySelection;
  /**
   * Every row starts with its asset, gas day, cycle and source: when more
   * than one pair is selected, or the view is read (its rows are no file's).
   */
  withPair: boolean;
  /** How rows are written. */
  format: ExportFormat;
  /** File to write; standard output when undefined. */
  output?: string;
  /** Pairs (source, gas day, cycle) the selection spans. */
  pairs: number;
}

/** Where bytes go when there is no `--output` (standard output by default). */
export interface ByteWriter {
  /** Write some of `p`; resolves with how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
}

/** Options for {@linkcode runExport}. */
export interface ExportIo {
  /** Standard output. @default {Deno.stdout} */
  stdout?: ByteWriter;
}

/**
 * Validate the export's options against the configuration.
 *
 * @throws {InvalidRequestError} naming the option, the value and what was expected
 */
export function parseExportRequest(args: ExportArgs, config: Config): ExportRequest {
  const { from, to } = exportRange(args);
  const cycles = exportCycles(args.cycles);
  const { relation, sources } = exportRelation(
    args.report,
    exportSources(config.sources, args.asset, args.source),
  );
  if (args.format === undefined) {
    throw new InvalidRequestError(`export: --format is required (${EXPORT_FORMATS.join(" or ")})`);
  }
  if (!(EXPORT_FORMATS as readonly string[]).includes(args.format)) {
    throw new InvalidRequestError(
      `export --format: expected ${EXPORT_FORMATS.join(" or ")}, got ${
        JSON.stringify(args.format)
      }`,
    );
  }
  if (args.output === "") throw new InvalidRequestError("export --output: expected a file path");
  const asOf = args.asOf === undefined ? undefined : parseAsOf(args.asOf, config.timezone);
  const pairs = (daysBetween(from, to) + 1) * cycles.length * sources.length;
  return {
    relation,
    selection: {
      from,
      to,
      cycles,
      sources: sources.map((s) => s.name),
      assets: [...new Set(sources.map((s) => s.asset))],
      asOf,
    },
    withPair: pairs > 1 || relation === CAPACITY_VIEW,
    format: args.format as ExportFormat,
    output: args.output,
    pairs,
  };
}

/**
 * What `--report` reads, and the selected sources it keeps: the `capacity`
 * view (every source), a report's table (the sources publishing it), or,
 * without the option, the one report every selected source publishes.
 */
function exportRelation(
  text: string | undefined,
  selected: SourceConfig[],
): { relation: ReadRelation; sources: SourceConfig[] } {
  if (text === CAPACITY_VIEW.id) return { relation: CAPACITY_VIEW, sources: selected };
  const published = [...new Set(selected.map((s) => s.report))];
  if (text === undefined) {
    if (published.length > 1) {
      throw new InvalidRequestError(
        `export: the selected sources publish different reports (${published.join(", ")}); ` +
          "export one with --report, --source or --asset, or the columns they share with " +
          "--report capacity",
      );
    }
    return { relation: reportFor(published[0]), sources: selected };
  }
  const report = findReport(text);
  if (!report) {
    throw new InvalidRequestError(
      `export --report: expected ${[CAPACITY_VIEW.id, ...reportIds()].join(", ")}, got ${
        JSON.stringify(text)
      }`,
    );
  }
  const sources = selected.filter((s) => s.report === report.id);
  if (sources.length === 0) {
    throw new InvalidRequestError(
      `export --report: no selected source publishes ${report.id} (they publish ${
        published.join(", ")
      })`,
    );
  }
  return { relation: report, sources };
}

function exportRange(args: ExportArgs): { from: IsoDate; to: IsoDate } {
  const date = (name: string, v: string | undefined): IsoDate => {
    if (v === undefined) {
      throw new InvalidRequestError(`export: --${name} is required (YYYY-MM-DD)`);
    }
    const d = parseGasDay(v);
    if (!d) throw new InvalidRequestError(`export --${name}: ${explainBadDate(v)}`);
    return d;
  };
  const from = date("from", args.from);
  const to = date("to", args.to);
  if (to < from) throw new InvalidRequestError(`export: --to ${to} is before --from ${from}`);
  return { from, to };
}

/** The items of a comma-separated option; `undefined` when the option is absent. */
function listOption(name: string, text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const items = [...new Set(text.split(",").map((s) => s.trim()).filter((s) => s !== ""))];
  if (items.length === 0) throw new InvalidRequestError(`export --${name}: expected at least one`);
  return items;
}

/** Cycle labels in posting order (every cycle when `text` is absent). */
function exportCycles(text: string | undefined): string[] {
  const items = listOption("cycles", text);
  if (!items) return CYCLES.map((c) => c.label);
  const ids = new Set<string>();
  for (const item of items) {
    const c = findCycle(item);
    if (!c) {
      throw new InvalidRequestError(
        `export --cycles: ${
          JSON.stringify(item)
        } is not a cycle (timely, evening, intraday1, intraday2, intraday3, final or 0,1,3,4,7,5)`,
      );
    }
    ids.add(c.id);
  }
  return CYCLES.filter((c) => ids.has(c.id)).map((c) => c.label);
}

/**
 * The configured sources `--asset` and `--source` select (all of them when
 * neither is given). Disabled sources count: their rows are still in the table.
 */
function exportSources(
  sources: readonly SourceConfig[],
  assetText: string | undefined,
  sourceText: string | undefined,
): SourceConfig[] {
  const assets = listOption("asset", assetText);
  const names = listOption("source", sourceText);
  const known = (what: string, given: string[] | undefined, configured: string[]) => {
    for (const g of given ?? []) {
      if (!configured.includes(g)) {
        throw new InvalidRequestError(
          `export --${what}: ${JSON.stringify(g)} is not a configured ${what} (configured: ${
            [...new Set(configured)].join(", ")
          })`,
        );
      }
    }
  };
  known("asset", assets, sources.map((s) => s.asset));
  known("source", names, sources.map((s) => s.name));
  const chosen = sources.filter((s) =>
    (!assets || assets.includes(s.asset)) && (!names || names.includes(s.name))
  );
  if (chosen.length === 0) {
    throw new InvalidRequestError(
      `export: no configured source is both --source ${names!.join(",")} and --asset ${
        assets!.join(",")
      }`,
    );
  }
  return chosen;
}

const AS_OF =
  /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * `--as-of`: an ISO instant (`2024-01-16T23:20:00Z`, `2024-01-16T17:20-06:00`)
 * or a wall-clock time in `zone` (`2024-01-16T17:20` is Central time under
 * the default `America/Chicago`). A local time the clock skips (spring
 * forward) or shows twice (fall back) is refused: the offset says which.
 *
 * @returns the instant, ISO in UTC
 * @throws {InvalidRequestError} naming `--as-of` and what was expected
 */
export function parseAsOf(text: string, zone: string): string {
  const fail = (why: string): never => {
    throw new InvalidRequestError(`export --as-of: ${why}`);
  };
  const m = AS_OF.exec(text.trim());
  if (!m) {
    return fail(
      `expected an ISO instant (2024-01-16T23:20:00Z, 2024-01-16T17:20-06:00) or a local ` +
        `time in ${zone} (2024-01-16T17:20), got ${JSON.stringify(text)}`,
    );
  }
  const [, date, hh, mm, ss = "00", fraction = "", offset] = m;
  const badDate = explainBadDate(date);
  if (badDate) fail(badDate);
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) {
    fail(`${JSON.stringify(`${hh}:${mm}:${ss}`)} is not a time of day (00:00:00 to 23:59:59)`);
  }
  const wall = `${date}T${hh}:${mm}:${ss}${fraction}`;
  if (offset) {
    try {
      return Temporal.Instant.from(`${wall}${offset.toUpperCase()}`).toString();
    } catch {
      return fail(`${JSON.stringify(offset)} is not a UTC offset (Z, +HH:MM or -HH:MM)`);
    }
  }
  return localInstant(Temporal.PlainDateTime.from(wall), zone, fail);
}

/** The instant `local` shows in `zone`, refusing a skipped or repeated time. */
function localInstant(
  local: Temporal.PlainDateTime,
  zone: string,
  fail: (why: string) => never,
): string {
  try {
    return local.toZonedDateTime(zone, { disambiguation: "reject" }).toInstant().toString();
  } catch {
    const first = local.toZonedDateTime(zone, { disambiguation: "earlier" });
    const second = local.toZonedDateTime(zone, { disambiguation: "later" });
    const shown = local.toString({ smallestUnit: "minute" });
    if (Temporal.PlainDateTime.compare(first.toPlainDateTime(), local) === 0) {
      return fail(
        `${shown} happens twice in ${zone} (the clocks go back); give the offset: ` +
          `${shown}${first.offset} (the first) or ${shown}${second.offset} (the second)`,
      );
    }
    return fail(`${shown} does not exist in ${zone} (the clocks skip it going forward)`);
  }
}

/** Where the export's bytes go. */
interface Sink {
  /** `stdout`, or the file's path. */
  readonly name: string;
  write(bytes: Uint8Array): Promise<void>;
  /** Complete: the file takes its name. */
  commit(): Promise<void>;
  /** Failed: nothing is left behind. Idempotent. */
  abort(): Promise<void>;
}

/** The output cannot be written where it was asked: a usage error. */
class OutputError extends Error {}

async function writeAll(w: ByteWriter, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await w.write(bytes.subarray(off));
}

function stdoutSink(w: ByteWriter): Sink {
  return {
    name: "stdout",
    write: (bytes) => writeAll(w, bytes),
    commit: () => Promise.resolve(),
    abort: () => Promise.resolve(),
  };
}

/** Why `target` cannot be written, as one line, or `undefined` when it looks writable. */
async function outputProblem(target: string): Promise<string | undefined> {
  const dir = dirname(target);
  const { state } = await Deno.permissions.query({ name: "write", path: dir });
  if (state !== "granted") {
    const allowed = WRITE_PATHS.map((p) => resolve(p)).join(", ");
    return `outside what this program may write (allowed: ${allowed})`;
  }
  try {
    if ((await Deno.stat(target)).isDirectory) return "is a directory";
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) return (e as Error).message;
    try {
      if (!(await Deno.stat(dir)).isDirectory) return `${dir} is not a directory`;
    } catch {
      return `its directory ${dir} does not exist`;
    }
  }
  return undefined;
}

/** A temporary file beside `path`, renamed over it by `commit`, removed by `abort`. */
async function fileSink(path: string): Promise<Sink> {
  const target = resolve(path);
  const temp = join(dirname(target), `.${basename(target)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(temp, { write: true, createNew: true });
  } catch (e) {
    throw new OutputError(`export --output ${target}: cannot write there: ${(e as Error).message}`);
  }
  let open = true;
  const close = () => open && (open = false, file.close());
  return {
    name: target,
    write: (bytes) => writeAll(file, bytes),
    async commit() {
      await file.syncData();
      close();
      await Deno.rename(temp, target);
    },
    async abort() {
      close();
      await Deno.remove(temp).catch(() => {});
    },
  };
}

/** A stop request (signal) ended the export before its last row. */
class Interrupted extends Error {}

/** Write the header, every row and the closing bytes; resolves with the row count. */
async function writeRows(
  rt: Runtime,
  req: ExportRequest,
  sink: Sink,
  stop: AbortSignal,
): Promise<number> {
  const { relation, withPair } = req;
  const { text, params } = capacityReadQuery(relation, rt.config.database.schema, req.selection);
  const layout = relation.layout;
  const json = req.format === "json";
  const encoder = new TextEncoder();
  let rows = 0;
  await sink.write(encoder.encode(json ? "[" : csvHeader(layout, withPair)));
  for await (const batch of rt.db.cursor<CapacityRow>(text, params, EXPORT_BATCH_ROWS)) {
    if (stop.aborted) throw new Interrupted();
    let chunk = "";
    for (const row of batch) {
      chunk += json
        ? (rows === 0 ? "\n" : ",\n") + jsonRow(layout, row)
        : csvRow(layout, row, withPair);
      rows++;
    }
    await sink.write(encoder.encode(chunk));
  }
  if (json) await sink.write(encoder.encode(rows === 0 ? "]\n" : "\n]\n"));
  return rows;
}

/** The selection, for log lines. */
function describe(req: ExportRequest, output: string): Record<string, unknown> {
  const s = req.selection;
  return {
    relation: req.relation.table,
    from: s.from,
    to: s.to,
    cycles: s.cycles.length,
    sources: s.sources.join(","),
    as_of: s.asOf,
    format: req.format,
    output,
  };
}

function openSink(req: ExportRequest, io: ExportIo): Promise<Sink> {
  return req.output === undefined
    ? Promise.resolve(stdoutSink(io.stdout ?? Deno.stdout))
    : fileSink(req.output);
}

/** Stream the export to its output; resolves with the exit status. */
async function exportTo(env: CommandEnv, rt: Runtime, req: ExportRequest, io: ExportIo) {
  const started = performance.now();
  const shutdown = new Shutdown({
    log: env.log,
    timeoutSeconds: env.config.daemon.shutdownTimeoutSeconds,
    stop: env.stop,
  });
  // An export has nothing to finish: a stop cancels the read on the server at once,
  // even one waiting for its first batch (behind a lock, say).
  shutdown.signal.addEventListener(
    "abort",
    () => void rt.db.close({ timeoutSeconds: 0 }).catch(() => {}),
    { once: true },
  );
  let sink: Sink | undefined;
  let code: number = EXIT.failed;
  try {
    sink = await openSink(req, io);
    const rows = await writeRows(rt, req, sink, shutdown.signal);
    await sink.commit();
    env.log.info("export.done", {
      ...describe(req, sink.name),
      rows,
      duration_ms: Math.round(performance.now() - started),
    });
    return code = EXIT.ok;
  } catch (e) {
    return code = failed(env, req, sink, e, shutdown.signal.aborted);
  } finally {
    if (code !== EXIT.ok) await sink?.abort();
    shutdown.dispose();
  }
}

/**
 * The exit status of an export that did not complete, and its log line. After
 * a stop request, a failure is the stop's doing (the hard stop closes the
 * database under a read that never reached its next batch): interrupted.
 */
function failed(
  env: CommandEnv,
  req: ExportRequest,
  sink: Sink | undefined,
  e: unknown,
  stopped: boolean,
): number {
  if (e instanceof OutputError) {
    env.printError(`tec-pipeline: ${e.message}`);
    return EXIT.usage;
  }
  const fields = describe(req, sink?.name ?? req.output ?? "stdout");
  if (e instanceof Interrupted || stopped) {
    env.log.warn("export.interrupted", {
      ...fields,
      resume: req.output === undefined
        ? "the output is incomplete: run the export again"
        : "no file was written: run the export again",
    });
    return EXIT.interrupted;
  }
  env.log.error("export.failed", { ...fields, reason: (e as Error).message });
  return EXIT.failed;
}

/**
 * Run an export: 0 when every row is written, 1 when the database or the
 * output fails, 2 when the output cannot be written where asked, 4 when
 * stopped by a signal. Whatever the outcome, `--output`'s temporary file is
 * gone at the end; the file itself appears only on success.
 */
export async function runExport(
  env: CommandEnv,
  req: ExportRequest,
  io: ExportIo = {},
): Promise<number> {
  // Before the database: a path that cannot be written is a usage error, whatever the server.
  if (req.output !== undefined) {
    const target = resolve(req.output);
    const problem = await outputProblem(target);
    if (problem) {
      env.printError(`tec-pipeline: export --output ${target}: ${problem}`);
      return EXIT.usage;
    }
  }
  return await withDatabase(env, (rt) => exportTo(env, rt, req, io));
}

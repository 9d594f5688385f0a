/**
 * One (source, gas day, cycle): fetch into the archive, decide whether it is
 * posted, load it. Every outcome is reported, none is thrown away: a failure is
 * an outcome with its reason, so callers (one-shot, daemon, backfill) decide
 * what to retry.
 *
 * @module
 */
import type { Config, SourceConfig } from "../config/schema.ts";
import type { Database } from "../db/database.ts";
import type { Cycle } from "../domain/cycles.ts";
import type { IsoDate } from "../domain/gas_day.ts";
import type { Logger } from "../log/logger.ts";
import { ArchiveError, hashFile, type RawArchive } from "../archive/raw_archive.ts";
import { safeUrl } from "../log/redact.ts";
import { isTerminal } from "../domain/errors.ts";
import { classifyBody, SNIFF_BYTES, truncationReason } from "../source/classify.ts";
import { fetchPosting, type NotModified } from "../source/fetcher.ts";
import { currentValidators, touchVersion, type Validators } from "../load/ledger.ts";
import { LoadError, loadFile, type LoadOutcome } from "../load/load_file.ts";
import type { Report } from "../reports/report.ts";
import { sourceReport } from "../reports/all.ts";
import type { LoadCounts, SameBytes } from "../load/ledger.ts";
import type { FailureJournal } from "../load/failure_journal.ts";

/** Hooks for metrics; every member optional. */
export interface PairObserver {
  /** After each HTTP attempt for `job` (its source names the metrics' `source` and `asset`). */
  fetchAttempt?(job: PairJob, outcome: string, seconds: number): void;
  /** After each pair, whatever its outcome. */
  outcome?(job: PairJob, outcome: PairOutcome): void;
  /**
   * The daemon found a pair's first data, `seconds` after its nominal
   * posting time (its posting latency).
   */
  firstSeen?(job: PairJob, seconds: number): void;
}

/** What the pipeline needs, built once per process. */
export interface PipelineContext {
  /** Validated configuration. */
  config: Config;
  /** Database. */
  db: Database;
  /** Raw archive. */
  archive: RawArchive;
  /** Logger. */
  log: Logger;
  /** Aborts fetches in flight (shutdown). */
  signal?: AbortSignal;
  /** `fetch` implementation (injectable). */
  fetch?: typeof fetch;
  /** Metrics hooks. */
  observer?: PairObserver;
  /** Awaited before every HTTP request (the daemon's per-host rate limit). */
  beforeRequest?: (url: string, signal?: AbortSignal) => Promise<void>;
  /**
   * Told when a host asks to slow down (429, or 503 with `Retry-After`) and
   * for how long, so the per-host rate limit holds back every worker on it.
   */
  throttle?: (url: string, delayMs: number) => void;
  /**
   * A throttled fetch ends at once (a retryable failure) instead of waiting
   * out the pause in line: the daemon, whose queues serve other operators
   * meanwhile and look at the pair again after the pause.
   * @default false
   */
  deferThrottled?: boolean;
  /** Sleep used between retries (the daemon's clock). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Keeps failures the ledger could not take until the database answers again. */
  journal?: FailureJournal;
}

/** One unit of work. */
export interface PairJob {
  /** Source to fetch from. */
  source: SourceConfig;
  /** Gas day. */
  gasDay: IsoDate;
  /** Cycle. */
  cycle: Cycle;
  /** Extra request parameters. */
  params?: Record<string, string>;
  /** Reload even if the same bytes were loaded last. */
  force?: boolean;
  /** Pair lock policy (see {@linkcode loadFile}). */
  lock?: "wait" | "skip";
  /** Terminal failures older than this ledger id are no verdict (see `LoadRequest.failuresFrom`). */
  failuresFrom?: number;
}

/** How a pair ended. */
export type PairStatus = "loaded" | "unchanged" | "not_posted" | "failed" | "locked";

/** Result of one pair. */
export interface PairOutcome {
  /** How it ended. */
  status: PairStatus;
  /** Human-readable reason (not posted, failed). */
  reason?: string;
  /** sha256 of the body, when one was received. */
  sha256?: string;
  /** Ledger id (loaded, unchanged, failed load). */
  loadId?: number;
  /** Counts, when loaded. */
  counts?: LoadCounts;
  /** Wall time, in seconds (fetch and load). */
  seconds: number;
  /** Time spent in the database load, in seconds (when a load ran). */
  loadSeconds?: number;
  /**
   * Loaded, but another (gas day, cycle) of the source had these very bytes:
   * the site may have ignored the parameters (see `PriorState.sameBytes` in `ledger.ts`).
   */
  sameBytes?: SameBytes;
  /**
   * Whether a failure is worth retrying soon; false when its error is a
   * `TerminalError` (a permanent HTTP refusal, an oversize body, a file whose
   * header cannot be used), which only new bytes or the slow re-check change.
   */
  retryable?: boolean;
}

/** Where bytes to load come from. */
export interface BodySource {
  /** URL (or `file:` URL) for the ledger. */
  url: string;
  /** Path of the bytes on disk. */
  path: string;
  /** sha256. */
  sha256: string;
  /** Size. */
  bytes: number;
  /** First bytes. */
  prefix: Uint8Array;
  /** `Content-Type`, if known. */
  contentType?: string | null;
  /** When it was fetched (default: when the load starts, e.g. a replay). */
  seenAt?: Date;
  /** The validators the site sent with it (`ETag`, `Last-Modified`). */
  validators?: Validators;
}

/** Fetch and load one pair. */
export async function processPair(ctx: PipelineContext, job: PairJob): Promise<PairOutcome> {
  const started = performance.now();
  const report = sourceReport(job.source);
  const url = report.url(job.source, { gasDay: job.gasDay, cycle: job.cycle, params: job.params });
  // What the ledger, the archive and the logs see: never a credential of the URL.
  const shown = safeUrl(url);
  let body: BodySource | NotModified;
  const last = await lastValidators(ctx, job);
  try {
    body = await fetchBody(ctx, job, report, url, last);
  } catch (e) {
    if (ctx.signal?.aborted) throw e;
    const outcome: PairOutcome = {
      status: "failed",
      reason: (e as Error).message,
      seconds: secondsSince(started),
      retryable: !isTerminal(e),
    };
    pairLogger(ctx.log, job).error(e instanceof ArchiveError ? "archive.failed" : "fetch.failed", {
      url: shown,
      reason: outcome.reason,
    });
    ctx.observer?.outcome?.(job, outcome);
    return outcome;
  }
  if ("notModified" in body) {
    const outcome = await notModified(ctx, job, body, last!.loadId, started);
    ctx.observer?.outcome?.(job, outcome);
    return outcome;
  }
  const outcome = await loadBody(ctx, job, body, started);
  ctx.observer?.outcome?.(job, outcome);
  return outcome;
}

/**
 * The validators of the pair's current version, for a conditional fetch:
 * none when forced, when `http.conditional_requests` is off, or when the
 * ledger cannot say (the fetch is then plain).
 */
async function lastValidators(
  ctx: PipelineContext,
  job: PairJob,
): Promise<(Validators & { loadId: number }) | undefined> {
  if (job.force || ctx.config.http.conditionalRequests === false) return undefined;
  return await currentValidators(ctx.db, ctx.config.database.schema, {
    source: job.source.name,
    report: job.source.report,
    asset: job.source.asset,
    gasDay: job.gasDay,
    cycle: job.cycle.label,
  }).catch(() => undefined);
}

/** A 304: the pair's current version was seen again (its last sighting moves, nothing is loaded). */
async function notModified(
  ctx: PipelineContext,
  job: PairJob,
  answer: NotModified,
  loadId: number,
  started: number,
): Promise<PairOutcome> {
  const seconds = secondsSince(started);
  try {
    const v = validatorsOf(answer.headers);
    await touchVersion(ctx.db, ctx.config.database.schema, loadId, answer.fetchedAt, v);
  } catch (e) {
    return { status: "failed", reason: (e as Error).message, seconds, retryable: true };
  }
  pairLogger(ctx.log, job).info("load.not_modified", {
    load_id: loadId,
    duration_ms: Math.round(seconds * 1000),
  });
  return { status: "unchanged", loadId, seconds };
}

/** `ETag` and `Last-Modified` of a response, when present. */
function validatorsOf(headers: Record<string, string>): Validators {
  const v: Validators = {};
  if (headers["etag"]) v.etag = headers["etag"];
  if (headers["last-modified"]) v.lastModified = headers["last-modified"];
  return v;
}

/** Fetch the pair's posting into the archive and record the request. */
async function fetchBody(
  ctx: PipelineContext,
  job: PairJob,
  report: Report,
  url: string,
  last?: Validators,
): Promise<BodySource | NotModified> {
  const log = pairLogger(ctx.log, job);
  const shown = safeUrl(url);
  const fetched = await fetchPosting({
    url,
    conditional: last,
    http: ctx.config.http,
    archive: ctx.archive,
    signal: ctx.signal,
    fetch: ctx.fetch,
    sleep: ctx.sleep,
    beforeAttempt: ctx.beforeRequest,
    retryThrottled: !ctx.deferThrottled,
    onThrottled: (u, delayMs) => {
      log.warn("fetch.throttled", { delay_ms: delayMs });
      ctx.throttle?.(u, delayMs);
    },
    onAttempt: (a) => ctx.observer?.fetchAttempt?.(job, a.outcome, a.seconds),
    onRetry: (r) =>
      log.warn("fetch.retry", { attempt: r.attempt, delay_ms: r.delayMs, reason: r.reason }),
    // A capacity CSV cut short must not load as a smaller file: fetch it again.
    complete: (b) => truncationReason({ layout: report.layout, ...b, totalBytes: b.bytes }),
  });
  if ("notModified" in fetched) return fetched;
  await ctx.archive.recordRequest(fetched.sha256, {
    url: shown,
    source: job.source.name,
    asset: job.source.asset,
    gasDay: job.gasDay,
    cycle: job.cycle.code,
    status: fetched.status,
    headers: fetched.headers,
    fetchedAt: fetched.fetchedAt.toISOString(),
  });
  return {
    url: shown,
    path: fetched.path,
    sha256: fetched.sha256,
    bytes: fetched.bytes,
    prefix: fetched.prefix,
    contentType: fetched.headers["content-type"],
    seenAt: fetched.fetchedAt,
    validators: validatorsOf(fetched.headers),
  };
}

/** How {@linkcode replayFile} presents the bytes. */
export interface ReplayOptions {
  /** URL for the ledger. Default: the file's `file://` URL. */
  url?: string;
  /** When the bytes were fetched. Default: now (a replay is a new sighting). */
  seenAt?: Date;
  /** The sha256 the bytes must have (an archived body's name); a mismatch throws `ArchiveError`. */
  sha256?: string;
}

/**
 * Load a local file, or an archived body, exactly as if it had been fetched
 * for `job`.
 */
export async function replayFile(
  ctx: PipelineContext,
  job: PairJob,
  path: string,
  o: ReplayOptions = {},
): Promise<PairOutcome> {
  const started = performance.now();
  const h = await hashFile(path, SNIFF_BYTES);
  if (o.sha256 !== undefined && h.sha256 !== o.sha256) {
    throw new ArchiveError(path, `its bytes hash to ${h.sha256}, not to its name: corrupt`);
  }
  const body: BodySource = {
    url: safeUrl(o.url ?? `file://${path}`),
    path,
    ...h,
    seenAt: o.seenAt,
  };
  const outcome = await loadBody(ctx, job, body, started);
  ctx.observer?.outcome?.(job, outcome);
  return outcome;
}

async function loadBody(
  ctx: PipelineContext,
  job: PairJob,
  body: BodySource,
  started: number,
): Promise<PairOutcome> {
  const log = pairLogger(ctx.log, job).child({ sha256: body.sha256.slice(0, 12) });
  const report = sourceReport(job.source);
  const kind = classifyBody({
    layout: report.layout,
    prefix: body.prefix,
    totalBytes: body.bytes,
    contentType: body.contentType,
  });
  if (kind.kind === "not_posted") {
    log.info("not_posted", { reason: kind.reason, bytes: body.bytes });
    return notPosted(kind.reason, body, secondsSince(started));
  }
  const loadStarted = performance.now();
  log.debug("load.start", { bytes: body.bytes });
  try {
    const r = await loadFile(ctx.db, {
      schema: ctx.config.database.schema,
      report,
      source: job.source.name,
      asset: job.source.asset,
      gasDay: job.gasDay,
      cycle: job.cycle,
      url: body.url,
      sha256: body.sha256,
      bytes: body.bytes,
      seenAt: body.seenAt,
      validators: body.validators,
      open: async () => (await Deno.open(body.path, { read: true })).readable,
      force: job.force,
      lock: job.lock,
      failuresFrom: job.failuresFrom,
      onUnrecorded: ctx.journal && ((k, f) => ctx.journal!.append(k, f)),
    });
    const timing = { seconds: secondsSince(started), loadSeconds: secondsSince(loadStarted) };
    return outcomeOf(r, { log, job, body, table: report.table, ...timing });
  } catch (e) {
    const loadId = e instanceof LoadError ? e.loadId : undefined;
    log.error("load.failed", {
      load_id: loadId,
      reason: (e as Error).message,
      duration_ms: Math.round(secondsSince(started) * 1000),
    });
    return {
      status: "failed",
      reason: (e as Error).message,
      sha256: body.sha256,
      loadId,
      seconds: secondsSince(started),
      retryable: !isTerminal(e),
    };
  }
}

function notPosted(reason: string, body: BodySource, seconds: number): PairOutcome {
  return { status: "not_posted", reason, sha256: body.sha256, seconds };
}

interface LoadedContext {
  log: Logger;
  job: PairJob;
  body: BodySource;
  table: string;
  seconds: number;
  loadSeconds: number;
}

/** A load's result as the pair's outcome, with its log line. */
function outcomeOf(r: LoadOutcome, c: LoadedContext): PairOutcome {
  const { log, body, seconds } = c;
  const base = { sha256: body.sha256, seconds };
  switch (r.status) {
    case "loaded":
      logLoaded(r, c);
      return {
        ...base,
        status: "loaded",
        loadId: r.loadId,
        counts: r.counts,
        loadSeconds: c.loadSeconds,
        ...(r.sameBytes && { sameBytes: r.sameBytes }),
      };
    case "unchanged":
      log.info("load.unchanged", { load_id: r.loadId, duration_ms: Math.round(seconds * 1000) });
      return { ...base, status: "unchanged", loadId: r.loadId };
    case "empty":
      log.info("not_posted", { reason: "header only, no rows", bytes: body.bytes });
      return notPosted("header only, no rows", body, seconds);
    case "locked":
      log.info("load.locked", { reason: "another process is loading this pair" });
      return { ...base, status: "locked" };
    case "rejected":
      // Known bad bytes: the failure is already on record, nothing was written.
      log.warn("load.rejected", { load_id: r.loadId, reason: r.reason });
      return { ...base, status: "failed", reason: r.reason, loadId: r.loadId, retryable: false };
  }
}

function logLoaded(r: Extract<LoadOutcome, { status: "loaded" }>, c: LoadedContext): void {
  const { log } = c;
  if (r.extraHeaders.length > 0) log.warn("load.extra_headers", { ignored: r.extraHeaders });
  log.info("load.done", {
    table: c.table,
    load_id: r.loadId,
    rows: r.counts.rowsRead,
    inserted: r.counts.inserted,
    updated: r.counts.updated,
    unchanged: r.counts.unchanged,
    quarantined: r.counts.quarantined,
    deleted: r.counts.deleted,
    bytes: c.body.bytes,
    duration_ms: Math.round(c.seconds * 1000),
    forced: c.job.force ?? false,
  });
  if (r.counts.quarantined > 0) {
    log.warn("load.quarantined", { load_id: r.loadId, rows: r.counts.quarantined });
  }
  if (r.sameBytes) {
    // Said once per version: a re-check of the same bytes is "unchanged" and silent.
    log.warn("load.parameters_ignored", {
      load_id: r.loadId,
      same_as_load_id: r.sameBytes.loadId,
      same_as_gas_day: r.sameBytes.gasDay,
      same_as_cycle: r.sameBytes.cycle,
      reason: "another gas day or cycle of this source returned the same bytes: the site may " +
        "have ignored the parameters; these rows may be stamped with a day or cycle they are not",
    });
  }
}

function pairLogger(log: Logger, job: PairJob): Logger {
  return log.child({
    source: job.source.name,
    asset: job.source.asset,
    gas_day: job.gasDay,
    cycle: job.cycle.label,
  });
}

function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}

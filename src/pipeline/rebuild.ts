/**
 * Re-derive the versions, the history and the current table from the raw
 * archive: every archived request of the range, pair by pair, in fetch
 * order, loaded exactly as when it was fetched. It is how an installation
 * from before versions gets its history, and how a user re-parses after a
 * layout fix.
 *
 * Each pair is one transaction: its versions are marked `replaced`, its rows
 * (current and retired) deleted, and its requests loaded again as savepoints
 * of that transaction, so a pair is either rebuilt whole or left as it was.
 * Running it twice gives the same table and history (only new ledger ids):
 * it is idempotent. A pair with a version whose bytes the archive does not
 * have (a `--replay` of a local file, a pruned archive) is left untouched and
 * reported, never rebuilt without it.
 *
 * @module
 */
import type { SourceConfig } from "../config/schema.ts";
import { within } from "../db/nested.ts";
import { findCycle } from "../domain/cycles.ts";
import type { IsoDate } from "../domain/gas_day.ts";
import { type PairKey, pairLockName } from "../domain/pair.ts";
import { nextLoadId, replaceVersions, unarchivedVersions } from "../load/ledger.ts";
import { clearPairSql } from "../load/staging_sql.ts";
import { sourceReport } from "../reports/all.ts";
import type { ArchivedRequest } from "../archive/raw_archive.ts";
import { type PairOutcome, type PipelineContext, replayFile } from "./process_pair.ts";
import {
  dropRun,
  enqueue,
  type QueuedPair,
  queuedPairs,
  type QueuedRequest,
  sweepStaleRuns,
} from "./rebuild_queue.ts";

/** What to rebuild: gas days in `[from, to]` (both optional, inclusive). */
export interface RebuildOptions {
  /** First gas day. Default: the oldest archived. */
  from?: IsoDate;
  /** Last gas day. Default: the newest archived. */
  to?: IsoDate;
  /** Stops the rebuild between pairs (those done stay done). */
  signal?: AbortSignal;
  /** Told after each pair. */
  onPair?: (p: PairRebuilt) => void;
}

/** What became of one pair. */
export interface PairRebuilt {
  /** The pair. */
  pair: PairKey;
  /** Its files' outcomes, in fetch order (empty when it was left as it was). */
  files: PairOutcome[];
  /** Why the pair was left as it was, if it was. */
  skipped?: string;
}

/** Totals of a rebuild. */
export interface RebuildSummary {
  /** Request records queued (in range, of a configured source). */
  requests: number;
  /** Request log lines that are not records (each logged with its file and line). */
  unreadable: number;
  /** Sources named in the archive but not configured (their requests are not rebuilt). */
  unknownSources: string[];
  /** Pairs rebuilt. */
  rebuilt: number;
  /** Pairs left as they were (see {@linkcode PairRebuilt.skipped}). */
  skipped: number;
  /** Files by outcome. */
  files: Record<PairOutcome["status"], number>;
  /** Stopped by `signal` before every pair was done. */
  interrupted: boolean;
}

/**
 * Rebuild the range. Errors of a pair (a corrupt body, a database failure)
 * leave that pair as it was and are reported in its {@linkcode PairRebuilt};
 * only a failure to read the archive or to queue it throws.
 */
export async function rebuild(
  ctx: PipelineContext,
  o: RebuildOptions = {},
): Promise<RebuildSummary> {
  const schema = ctx.config.database.schema;
  const runId = crypto.randomUUID();
  const summary: RebuildSummary = {
    requests: 0,
    unreadable: 0,
    unknownSources: [],
    rebuilt: 0,
    skipped: 0,
    files: { loaded: 0, unchanged: 0, not_posted: 0, failed: 0, locked: 0 },
    interrupted: false,
  };
  await sweepStaleRuns(ctx.db, schema);
  // Terminal failures recorded before the rebuild are no verdict on its loads.
  const failuresFrom = await nextLoadId(ctx.db, schema);
  try {
    await ctx.db.transaction((tx) => enqueue(tx, schema, runId, inRange(ctx, o, summary)));
    for await (const queued of queuedPairs(ctx.db, schema, runId)) {
      if (o.signal?.aborted) {
        summary.interrupted = true;
        break;
      }
      const done = await rebuildPair(ctx, queued, failuresFrom);
      if (done.skipped) summary.skipped++;
      else summary.rebuilt++;
      for (const f of done.files) summary.files[f.status]++;
      o.onPair?.(done);
    }
  } finally {
    await dropRun(ctx.db, schema, runId).catch(() => {});
  }
  return summary;
}

/** The archive's request records in range, of configured sources, as queue rows. */
async function* inRange(
  ctx: PipelineContext,
  o: RebuildOptions,
  summary: RebuildSummary,
): AsyncGenerator<QueuedRequest> {
  const known = new Set(ctx.config.sources.map((s) => s.name));
  const unknown = new Set<string>();
  for await (const a of ctx.archive.allRequests()) {
    const q = queueRow(a);
    if (typeof q === "string") {
      summary.unreadable++;
      ctx.log.warn("rebuild.unreadable_request", { reason: q });
      continue;
    }
    if ((o.from && q.gasDay < o.from) || (o.to && q.gasDay > o.to)) continue;
    if (!known.has(q.source)) {
      if (!unknown.has(q.source)) ctx.log.warn("rebuild.unknown_source", { source: q.source });
      unknown.add(q.source);
      continue;
    }
    summary.requests++;
    yield q;
  }
  summary.unknownSources = [...unknown].sort();
}

function queueRow(a: ArchivedRequest): QueuedRequest | string {
  if (a.unreadable !== undefined) return a.unreadable;
  const r = a.record;
  const cycle = findCycle(String(r.cycle));
  if (!cycle) return `request of ${a.sha256}: cycle code ${r.cycle} is not a cycle`;
  return {
    source: r.source,
    gasDay: r.gasDay,
    cycle: cycle.label,
    fetchedAt: r.fetchedAt,
    sha256: a.sha256,
    url: r.url,
  };
}

/** Rebuild one pair in one transaction, or leave it as it was and say why. */
async function rebuildPair(
  ctx: PipelineContext,
  q: QueuedPair,
  failuresFrom: number,
): Promise<PairRebuilt> {
  const source = ctx.config.sources.find((s) => s.name === q.source)!;
  const report = sourceReport(source);
  const pair: PairKey = {
    source: q.source,
    report: report.id,
    asset: source.asset,
    gasDay: q.gasDay,
    cycle: q.cycle,
  };
  const log = ctx.log.child({ source: q.source, gas_day: q.gasDay, cycle: q.cycle });
  try {
    return await ctx.db.transaction(async (tx) => {
      const schema = ctx.config.database.schema;
      await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [pairLockName(pair)]);
      const lost = await unarchivedVersions(tx, schema, pair, q.requests.map((r) => r.sha256));
      if (lost.length > 0) {
        const ids = lost.map((l) => `${l.load_id} (${l.url})`).join(", ");
        return { pair, files: [], skipped: `versions not in the archive: ${ids}` };
      }
      await replaceVersions(tx, schema, pair);
      const params = [pair.asset, pair.gasDay, pair.cycle, pair.source];
      await Promise.all(clearPairSql(schema, report).map((sql) => tx.execute(sql, params)));
      const inner = { ...ctx, db: within(tx), journal: undefined, observer: undefined };
      const files: PairOutcome[] = [];
      for (const r of q.requests) files.push(await replay(inner, source, q, r, failuresFrom));
      return { pair, files };
    });
  } catch (e) {
    const reason = (e as Error).message;
    log.error("rebuild.pair_failed", { reason });
    return { pair, files: [], skipped: reason };
  }
}

/** One archived request loaded again; a failure that may pass rolls the pair back. */
async function replay(
  ctx: PipelineContext,
  source: SourceConfig,
  q: QueuedPair,
  r: QueuedPair["requests"][number],
  failuresFrom: number,
): Promise<PairOutcome> {
  const job = { source, gasDay: q.gasDay, cycle: findCycle(q.cycle)!, failuresFrom };
  const outcome = await replayFile(ctx, job, ctx.archive.bodyPath(r.sha256), {
    url: r.url,
    seenAt: r.fetchedAt,
    sha256: r.sha256,
  });
  // A terminal failure is what the live load recorded too; any other would
  // leave the pair short of a version.
  if (outcome.status === "failed" && outcome.retryable !== false) {
    throw new Error(
      `${r.sha256.slice(0, 12)} fetched ${r.fetchedAt.toISOString()}: ${outcome.reason}`,
    );
  }
  return outcome;
}

/**
 * Backfill: fetch and load a planned range, resumably (pairs already loaded
 * are skipped, and any re-fetched bytes already loaded cost no write), at the
 * daemon's concurrency and per-host rate.
 *
 * @module
 */
import type { Runtime } from "../app/runtime.ts";
import { quoteIdent } from "../db/database.ts";
import type { Clock } from "../daemon/clock.ts";
import { HostRateLimiter } from "../daemon/rate_limit.ts";
import { type PairJob, type PairOutcome, processPair } from "../pipeline/process_pair.ts";
import { mapPool } from "../pipeline/pool.ts";
import { figures, formatDuration, renderBar } from "./progress.ts";

/** Options for {@linkcode runBackfill}. */
export interface BackfillOptions {
  /** Services. */
  rt: Runtime;
  /** The plan. */
  jobs: PairJob[];
  /** Fetch pairs that are already loaded too. */
  refetch: boolean;
  /** Clock. */
  clock: Clock;
  /** Where the terminal bar goes; when absent, progress is logged every `logEverySeconds`. */
  terminal?: (line: string) => void;
  /** Seconds between progress log lines (default 5). */
  logEverySeconds?: number;
  /** Aborting it stops starting new pairs. */
  stop?: AbortSignal;
}

/** What a backfill did. */
export interface BackfillResult {
  /** Outcomes of the pairs fetched. */
  outcomes: PairOutcome[];
  /** Pairs skipped because they were already loaded. */
  skipped: number;
}

function pairKey(asset: string, gasDay: string, cycle: string): string {
  return `${asset}|${gasDay}|${cycle}`;
}

/** Run a backfill. */
export async function runBackfill(o: BackfillOptions): Promise<BackfillResult> {
  const { rt, clock } = o;
  let todo = o.jobs;
  let skipped = 0;
  if (!o.refetch && todo.length > 0) {
    const days = todo.map((j) => j.gasDay).sort();
    const loaded = new Set(
      (await rt.db.query<{ k: string }>(
        `SELECT DISTINCT asset || '|' || to_char(gas_day, 'YYYY-MM-DD') || '|' || cycle AS k
         FROM ${quoteIdent(rt.config.database.schema)}.load_ledger
         WHERE status = 'loaded' AND gas_day BETWEEN $1 AND $2`,
        [days[0], days[days.length - 1]],
      )).map((r) => r.k),
    );
    todo = todo.filter((j) => !loaded.has(pairKey(j.source.asset, j.gasDay, j.cycle.label)));
    skipped = o.jobs.length - todo.length;
  }
  rt.log.info("backfill.start", {
    pairs: o.jobs.length,
    to_fetch: todo.length,
    already_loaded: skipped,
  });
  const limiter = new HostRateLimiter(rt.config.daemon.requestsPerMinute, clock);
  const started = clock.now().getTime();
  let done = 0;
  let lastLog = started;
  const every = (o.logEverySeconds ?? 5) * 1000;
  const report = (final = false) => {
    const f = figures(done, todo.length, (clock.now().getTime() - started) / 1000);
    if (o.terminal) o.terminal(`\r${renderBar(f)}${final ? "\n" : ""}`);
    else if (final || clock.now().getTime() - lastLog >= every) {
      lastLog = clock.now().getTime();
      rt.log.info("backfill.progress", {
        done: f.done,
        total: f.total,
        rate_per_s: Number(f.rate.toFixed(2)),
        eta: formatDuration(f.etaSeconds),
      });
    }
  };
  const ctx = {
    ...rt,
    beforeRequest: (url: string, signal?: AbortSignal) => limiter.acquire(url, signal),
    sleep: (ms: number, signal?: AbortSignal) => clock.sleep(ms, signal),
  };
  const outcomes: PairOutcome[] = [];
  await mapPool(todo, rt.config.daemon.concurrency, async (job) => {
    if (o.stop?.aborted) return;
    outcomes.push(await processPair(ctx, job));
    done++;
    report();
  });
  report(true);
  return { outcomes, skipped };
}

/**
 * `tec-pipeline backfill`: fetch and load a planned range, resumably (pairs
 * already loaded are skipped; re-fetched bytes already loaded cost no write),
 * at the daemon's concurrency and per-host request budget.
 *
 * Progress: on a terminal a bar (redrawn every second, log lines printed above
 * it); otherwise a `backfill.progress` line every few seconds. A first
 * SIGINT/SIGTERM stops starting pairs, lets the ones in flight finish, prints
 * the summary (done, remaining, how to resume) and exits 4.
 *
 * @module
 */
import { backfillPlanText } from "../../backfill/plan.ts";
import { budgetRate, figures, formatDuration, renderBar } from "../../backfill/progress.ts";
import { openDatabase } from "../../db/open.ts";
import { loadedPairKey, loadedPairs } from "../../load/ledger.ts";
import { type PairJob, type PairOutcome, processPair } from "../../pipeline/process_pair.ts";
import { mapPool } from "../../domain/async.ts";
import type { Config } from "../../config/schema.ts";
import type { Database } from "../../db/database.ts";
import { Shutdown } from "../shutdown.ts";
import { EXIT, exitStatus, summarise } from "../exit.ts";
import { type CommandEnv, pipelineContext, withDatabase } from "./context.ts";
import { operatorsOf } from "../../daemon/operators.ts";

/** Options for {@linkcode runBackfill}. */
export interface BackfillOptions {
  /** The plan. */
  jobs: PairJob[];
  /** Fetch pairs that are already loaded too (`--force`). */
  refetch: boolean;
  /** Seconds between progress log lines when not on a terminal. @default {5} */
  logEverySeconds?: number;
}

/** Pairs of the plan not loaded yet (all of them with `refetch`). */
async function toFetch(db: Database, config: Config, jobs: PairJob[]): Promise<PairJob[]> {
  if (jobs.length === 0) return jobs;
  const days = jobs.map((j) => j.gasDay).sort();
  const loaded = await loadedPairs(db, config.database.schema, {
    from: days[0],
    to: days[days.length - 1],
  });
  return jobs.filter((j) => !loaded.has(loadedPairKey(j.source.name, j.gasDay, j.cycle.label)));
}

/** The configured pace of a plan, in pairs per second. */
function planRate(config: Config, jobs: readonly PairJob[]): number {
  // The budget is per operator: sources on several hosts of one operator share it.
  const operators = operatorsOf([...new Set(jobs.map((j) => j.source))]);
  return budgetRate(config.daemon.requestsPerMinute, operators, config.daemon.concurrency);
}

/** Run a backfill; resolves with the exit status. */
export function runBackfill(env: CommandEnv, o: BackfillOptions): Promise<number> {
  return withDatabase(env, async (rt) => {
    const todo = o.refetch ? o.jobs : await toFetch(rt.db, rt.config, o.jobs);
    const skipped = o.jobs.length - todo.length;
    env.log.info("backfill.start", {
      pairs: o.jobs.length,
      to_fetch: todo.length,
      already_loaded: skipped,
    });
    const shutdown = new Shutdown({
      log: env.log,
      timeoutSeconds: env.config.daemon.shutdownTimeoutSeconds,
      stop: env.stop,
      onTimeout: () => rt.db.close({ timeoutSeconds: 0 }).catch(() => {}),
    });
    const progress = startProgress(env, todo.length, planRate(rt.config, todo), o.logEverySeconds);
    const outcomes: PairOutcome[] = [];
    try {
      const ctx = pipelineContext(rt, { signal: shutdown.hard, clock: env.clock });
      await mapPool(todo, rt.config.daemon.concurrency, async (job) => {
        if (shutdown.signal.aborted) return;
        try {
          outcomes.push(await processPair(ctx, job));
        } catch (e) {
          env.log.warn("backfill.pair_interrupted", {
            gas_day: job.gasDay,
            cycle: job.cycle.label,
            reason: (e as Error).message,
          });
        }
        progress.tick(outcomes.length);
      });
    } finally {
      progress.stop(outcomes.length);
      shutdown.dispose();
    }
    const summary = { ...summarise(outcomes), already_loaded: skipped };
    if (outcomes.length < todo.length) {
      env.log.warn("backfill.interrupted", {
        ...summary,
        remaining: todo.length - outcomes.length,
        resume: "run the same backfill command again: pairs already loaded are skipped",
      });
      return EXIT.interrupted;
    }
    env.log.info("backfill.done", summary);
    return exitStatus(outcomes);
  });
}

interface Progress {
  tick(done: number): void;
  stop(done: number): void;
}

function startProgress(
  env: CommandEnv,
  total: number,
  rate: number,
  logEverySeconds = 5,
): Progress {
  const started = env.clock.now().getTime();
  const f = (done: number) =>
    figures(done, total, (env.clock.now().getTime() - started) / 1000, rate);
  let done = 0;
  const term = env.terminal;
  if (term) {
    term.set(renderBar(f(0)));
    const timer = setInterval(() => term.set(renderBar(f(done))), 1000);
    return {
      tick: (n) => term.set(renderBar(f(done = n))),
      stop: (n) => {
        clearInterval(timer);
        term.set(renderBar(f(n)));
        term.done();
      },
    };
  }
  let lastLog = started;
  const logLine = (n: number) => {
    lastLog = env.clock.now().getTime();
    const x = f(n);
    env.log.info("backfill.progress", {
      done: x.done,
      total: x.total,
      rate_per_s: Number(x.rate.toFixed(2)),
      eta: formatDuration(x.etaSeconds),
    });
  };
  return {
    tick: (n) => {
      if (env.clock.now().getTime() - lastLog >= logEverySeconds * 1000) logLine(n);
    },
    stop: logLine,
  };
}

/**
 * `backfill --dry-run`: the plan, and when the database answers (read only,
 * nothing is created or migrated), what is already loaded, what would be
 * fetched and how long that takes at the configured budget.
 */
export async function dryRun(env: CommandEnv, jobs: PairJob[]): Promise<number> {
  env.print(backfillPlanText(jobs));
  const rate = planRate(env.config, jobs);
  let db: Database | undefined;
  try {
    db = await dryRunDatabase(env.config);
    const todo = !db
      ? jobs
      : await toFetch(db, env.config, jobs).catch((e: Error & { code?: string }) => {
        // No ledger table yet: nothing is loaded.
        if (e.code === "42P01" || e.code === "3F000") return jobs;
        throw e;
      });
    env.print(
      `already loaded: ${jobs.length - todo.length}; to fetch: ${todo.length}; ` +
        `about ${formatDuration(todo.length / rate)} at ${env.config.daemon.requestsPerMinute} ` +
        `requests/min per host`,
    );
  } catch (e) {
    env.print(
      `database not reachable (${(e as Error).message}): all ${jobs.length} pairs counted as ` +
        `to fetch, about ${formatDuration(jobs.length / rate)} at the configured budget`,
    );
  } finally {
    await db?.close({ timeoutSeconds: 1 }).catch(() => {});
  }
  return EXIT.ok;
}

/**
 * The database to read the plan against, without creating anything: an
 * embedded store that does not exist yet holds nothing (`undefined`).
 */
async function dryRunDatabase(config: Config): Promise<Database | undefined> {
  const c = config.database;
  if (c.engine === "embedded") {
    const exists = await Deno.stat(c.embeddedDir ?? "").then(() => true, () => false);
    return exists ? await openDatabase(c) : undefined;
  }
  return await openDatabase({ ...c, maxConnections: 1, connectTimeoutSeconds: 3 });
}

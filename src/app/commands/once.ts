/**
 * `tec-pipeline --once`: one pass, then an exit status a script can act on.
 *
 * With an explicit gas day or cycle in `--params`, every combination is
 * fetched and loaded. Without either, the pass is what the daemon's calendar
 * says is due now (its window: recent gas days, tomorrow's Timely and Evening,
 * yesterday's Final), through the daemon's own sweep, so a cron `--once`
 * keeps a database current, shares the daemon's back-off and claims, and
 * exits 0 once everything due is loaded.
 *
 * A first SIGINT/SIGTERM stops starting pairs; the ones in flight commit or
 * roll back; a summary says what is left, and the exit status is 4.
 *
 * @module
 */
import type { PairJob, PairOutcome } from "../../pipeline/process_pair.ts";
import { processPair } from "../../pipeline/process_pair.ts";
import { mapPool } from "../../domain/async.ts";
import { restrictedSources, type Restriction } from "../../pipeline/selection.ts";
import { calendarOptions, sweep, type SweepContext, type SweepReport } from "../../daemon/sweep.ts";
import { type PollStatus, windowStatuses } from "../../daemon/poll_state.ts";
import { duePairs } from "../../schedule/calendar.ts";
import { flushJournal, type Runtime } from "../runtime.ts";
import { Shutdown } from "../shutdown.ts";
import { EXIT, exitStatus, summarise } from "../exit.ts";
import { type CommandEnv, pipelineContext, requestBudget, withDatabase } from "./context.ts";

function shutdownFor(env: CommandEnv, rt: Runtime): Shutdown {
  return new Shutdown({
    log: env.log,
    timeoutSeconds: env.config.daemon.shutdownTimeoutSeconds,
    stop: env.stop,
    onTimeout: () => rt.db.close({ timeoutSeconds: 0 }).catch(() => {}),
  });
}

/** Fetch and load every job once. */
export function runJobs(env: CommandEnv, jobs: PairJob[]): Promise<number> {
  return withDatabase(env, async (rt) => {
    const shutdown = shutdownFor(env, rt);
    try {
      const ctx = pipelineContext(rt, { signal: shutdown.hard, clock: env.clock });
      const outcomes: PairOutcome[] = [];
      await mapPool(jobs, env.config.daemon.concurrency, async (job) => {
        if (shutdown.signal.aborted) return;
        try {
          outcomes.push(await processPair(ctx, job));
        } catch (e) {
          // Only a hard stop escapes processPair: the pair is left for the next run.
          env.log.warn("run.pair_interrupted", {
            gas_day: job.gasDay,
            cycle: job.cycle.label,
            reason: (e as Error).message,
          });
        }
      });
      await flushJournal(rt);
      const summary = summarise(outcomes);
      if (outcomes.length < jobs.length) {
        env.log.warn("run.interrupted", {
          ...summary,
          remaining: jobs.length - outcomes.length,
          resume: "run the same command again: pairs already loaded are skipped as unchanged",
        });
        return EXIT.interrupted;
      }
      env.log.info("run.done", summary);
      return exitStatus(outcomes);
    } finally {
      shutdown.dispose();
    }
  });
}

/**
 * One daemon sweep of the window, then the exit status of everything due in
 * it (looked at now or earlier): 1 if any is failing, 3 if any is not posted
 * yet, else 0.
 */
export function runWindow(env: CommandEnv, restrict: Restriction): Promise<number> {
  return withDatabase(env, async (rt) => {
    const shutdown = shutdownFor(env, rt);
    try {
      const budget = requestBudget(rt, env.clock);
      const pipeline = pipelineContext(rt, {
        signal: shutdown.hard,
        clock: env.clock,
        limiter: budget,
      });
      const report = await sweepAll({
        pipeline,
        clock: env.clock,
        restrict,
        stop: shutdown.signal,
        budget,
      });
      const window = await windowState(rt, restrict, env.clock.now());
      const fields = { due: report.due, looked_at: report.claimed, ...report.outcomes, ...window };
      if (shutdown.signal.aborted && report.deferred > 0) {
        env.log.warn("run.interrupted", {
          ...fields,
          remaining: report.deferred,
          resume: "run the same command again: what is loaded is not fetched before its re-check",
        });
        return EXIT.interrupted;
      }
      env.log.info("run.done", fields);
      if (window.failed > 0) return EXIT.failed;
      if (window.not_posted + window.pending > 0) return EXIT.notPosted;
      return EXIT.ok;
    } finally {
      shutdown.dispose();
    }
  });
}

async function windowState(
  rt: Runtime,
  restrict: Restriction,
  now: Date,
): Promise<Record<PollStatus, number>> {
  const counts: Record<PollStatus, number> = { pending: 0, not_posted: 0, failed: 0, loaded: 0 };
  for (const { source, cycles } of restrictedSources(rt.config.sources, restrict)) {
    const due = duePairs(now, calendarOptions(rt, cycles, source));
    const states = await windowStatuses(rt.db, {
      schema: rt.config.database.schema,
      source: source.name,
      pairs: due.map((p) => ({ gasDay: p.gasDay, cycle: p.cycle.label })),
    });
    for (const p of due) counts[states.get(`${p.gasDay}|${p.cycle.label}`) ?? "pending"]++;
  }
  return counts;
}

/**
 * Sweeps until the window's due pairs are all looked at: one sweep claims per
 * operator only what its budget serves in a lease. Counts add up; `due` is
 * the first sweep's.
 */
async function sweepAll(s: SweepContext): Promise<SweepReport> {
  const total = await sweep(s);
  for (let last = total; last.left > 0 && !s.stop.aborted;) {
    last = await sweep(s);
    total.claimed += last.claimed;
    total.deferred += last.deferred;
    total.left = last.left;
    for (const [k, n] of Object.entries(last.outcomes)) {
      total.outcomes[k] = (total.outcomes[k] ?? 0) + n;
    }
  }
  return total;
}

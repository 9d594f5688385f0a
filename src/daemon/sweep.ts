/**
 * One sweep: find the pairs the calendar says are due, claim the ones whose
 * next look has come, look at them (bounded concurrency, per-host rate limit)
 * and store how each ended.
 *
 * @module
 */
import { findCycle } from "../domain/cycles.ts";
import { addDays, gasDayAt } from "../domain/gas_day.ts";
import { type CalendarOptions, duePairs } from "../schedule/calendar.ts";
import {
  type PairJob,
  type PairOutcome,
  type PipelineContext,
  processPair,
} from "../pipeline/process_pair.ts";
import { mapPool } from "../pipeline/pool.ts";
import type { Clock } from "./clock.ts";
import { claimDue, type Claimed, recordLook, releaseClaim } from "./poll_state.ts";
import { attemptsAfter, nextDelaySeconds, statusAfter } from "./poll_policy.ts";
import { restrictedSources, type Restriction } from "./restrict.ts";

/** Everything a sweep needs. */
export interface SweepContext {
  /** Pipeline services (config, db, archive, log, hard-abort signal...). */
  pipeline: PipelineContext;
  /** The daemon's clock. */
  clock: Clock;
  /** `--params` restrictions. */
  restrict: Restriction;
  /** Once aborted, no new look starts (looks in flight finish). */
  stop: AbortSignal;
}

/** Counts of one sweep. */
export interface SweepReport {
  /** Pairs the calendar says are due (all sources). */
  due: number;
  /** Pairs claimed for a look now. */
  claimed: number;
  /** Looks by outcome. */
  outcomes: Record<string, number>;
  /** Claimed pairs left for later because of shutdown. */
  deferred: number;
}

/** Calendar options of the configuration for some cycles. */
export function calendarOptions(
  ctx: Pick<PipelineContext, "config">,
  cycles: CalendarOptions["cycles"],
): CalendarOptions {
  const d = ctx.config.daemon;
  return {
    zone: ctx.config.timezone,
    historyDays: d.historyDays,
    graceMinutes: d.graceMinutes,
    cycles,
  };
}

/** Seconds a claim lasts: long enough for every attempt of a fetch and a large load. */
export function leaseSeconds(ctx: PipelineContext): number {
  const h = ctx.config.http;
  return Math.ceil(h.retryAttempts * (h.timeoutSeconds + h.backoffMaxMs / 1000)) + 600;
}

/** Run one sweep. */
export async function sweep(s: SweepContext): Promise<SweepReport> {
  const { pipeline: ctx, clock } = s;
  const schema = ctx.config.database.schema;
  const now = clock.now();
  const report: SweepReport = { due: 0, claimed: 0, outcomes: {}, deferred: 0 };
  const work: { job: PairJob; claim: Claimed }[] = [];
  for (const { source, cycles } of restrictedSources(ctx.config.sources, s.restrict)) {
    const due = duePairs(now, calendarOptions(ctx, cycles));
    report.due += due.length;
    const claimed = await claimDue(ctx.db, {
      schema,
      source: source.name,
      asset: source.asset,
      pairs: due.map((p) => ({ gasDay: p.gasDay, cycle: p.cycle.label })),
      now,
      leaseSeconds: leaseSeconds(ctx),
    });
    for (const claim of claimed) {
      const cycle = findCycle(claim.cycle)!;
      work.push({
        claim,
        job: { source, gasDay: claim.gasDay, cycle, params: s.restrict.request, lock: "skip" },
      });
    }
  }
  report.claimed = work.length;
  // Oldest first: a gas day about to leave the window goes before tomorrow's.
  work.sort((a, b) => a.job.gasDay.localeCompare(b.job.gasDay));
  await mapPool(work, ctx.config.daemon.concurrency, async ({ job, claim }) => {
    const where = { schema, source: job.source.name, gasDay: job.gasDay, cycle: job.cycle.label };
    if (s.stop.aborted) {
      // Hand the claim back so the next start (or another replica) takes it at once.
      report.deferred++;
      await releaseClaim(ctx.db, { ...where, now: clock.now() }).catch(() => {});
      return;
    }
    let outcome: PairOutcome;
    try {
      outcome = await processPair(ctx, job);
    } catch (e) {
      // Aborted by shutdown, or the database went away: the lease expires and
      // the pair is looked at again; nothing is marked done.
      ctx.log.warn("sweep.look_interrupted", {
        gas_day: job.gasDay,
        cycle: job.cycle.label,
        reason: (e as Error).message,
      });
      return;
    }
    report.outcomes[outcome.status] = (report.outcomes[outcome.status] ?? 0) + 1;
    const look = {
      status: outcome.status,
      retryable: outcome.retryable,
      previousAttempts: claim.attempts,
    };
    const next = new Date(clock.now().getTime() + nextDelaySeconds(look, ctx.config.daemon) * 1000);
    await recordLook(ctx.db, {
      ...where,
      status: statusAfter(outcome.status, claim.status),
      attempts: attemptsAfter(look),
      checkedAt: clock.now(),
      nextCheckAt: next,
      sha256: outcome.sha256,
      error: outcome.reason,
    }).catch((e) =>
      ctx.log.warn("sweep.record_failed", {
        gas_day: job.gasDay,
        cycle: job.cycle.label,
        reason: (e as Error).message,
      })
    );
  });
  return report;
}

/** The first gas day of the polling window at `now`. */
export function windowStart(ctx: Pick<PipelineContext, "config">, now: Date): string {
  return addDays(gasDayAt(now, ctx.config.timezone), -ctx.config.daemon.historyDays);
}

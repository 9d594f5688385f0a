/**
 * One sweep: find the pairs the calendar says are due, claim the ones whose
 * next look has come (short leases, renewed while the sweep runs; per
 * operator no more than its budget serves within one lease), look at them
 * from one queue per operator served round-robin (see `operator_queues.ts`)
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
import type { Clock } from "./clock.ts";
import {
  claimDueMany,
  type Claimed,
  type ManyPair,
  recordLook,
  releaseClaim,
} from "./poll_state.ts";
import { startRenewal } from "./lease.ts";
import { attemptsAfter, type LookResult, nextDelaySeconds, statusAfter } from "./poll_policy.ts";
import { restrictedSources, type Restriction } from "../pipeline/selection.ts";
import type { SourceConfig } from "../config/schema.ts";
import type { RequestBudget } from "./rate_limit.ts";
import { operatorResolver } from "./operators.ts";
import { serveQueues } from "./operator_queues.ts";

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
  /**
   * The per-operator request budget behind the pipeline's `beforeRequest`
   * hook: the queues take each look's first slot from it before a worker
   * starts the look.
   */
  budget: RequestBudget;
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
  /** Pairs due now but left for the next sweep: more than their operator's budget serves in a lease. */
  left: number;
}

/** Calendar options of the configuration for some cycles (of `source`, with its posting times). */
export function calendarOptions(
  ctx: Pick<PipelineContext, "config">,
  cycles: CalendarOptions["cycles"],
  source?: Pick<SourceConfig, "postingTimes">,
): CalendarOptions {
  const d = ctx.config.daemon;
  return {
    zone: ctx.config.timezone,
    historyDays: d.historyDays,
    graceMinutes: d.graceMinutes,
    cycles,
    ...(source?.postingTimes && { postingTimes: source.postingTimes }),
  };
}

/** Seconds a claim lasts unless renewed (`daemon.claim_lease_seconds`); renewed while its sweep runs. */
export function leaseSeconds(ctx: Pick<PipelineContext, "config">): number {
  return ctx.config.daemon.claimLeaseSeconds;
}

/**
 * Pairs an operator's queue claims per sweep: what its budget serves within
 * one lease (at least one), so a poller never holds more than it can start
 * before its lease would lapse, and the rest stays free for another replica.
 */
export function claimsPerOperator(ctx: Pick<PipelineContext, "config">): number {
  const d = ctx.config.daemon;
  return Math.max(1, Math.ceil(d.requestsPerMinute * d.claimLeaseSeconds / 60));
}

/** A claimed pair and the job that looks at it. */
interface Work {
  job: PairJob;
  claim: Claimed;
  /** Its operator (the queue it waits in). */
  operator: string;
  /** Its nominal posting time (the calendar's). */
  postedAt?: Date;
}

/**
 * Run one sweep. Its claims carry a token of their own, renewed every third
 * of a lease until the sweep ends, so they live exactly as long as this
 * process does: a killed daemon's pairs are due again one lease later.
 */
export async function sweep(s: SweepContext): Promise<SweepReport> {
  const ctx = s.pipeline;
  const token = crypto.randomUUID();
  const renewal = startRenewal({
    db: ctx.db,
    schema: ctx.config.database.schema,
    token,
    leaseSeconds: leaseSeconds(ctx),
    now: () => s.clock.now(),
    log: ctx.log,
  });
  try {
    const report: SweepReport = { due: 0, claimed: 0, outcomes: {}, deferred: 0, left: 0 };
    const work = await claimAll(s, token, report);
    report.claimed = work.length;
    await serveQueues({
      queues: byOperator(work),
      workers: ctx.config.daemon.concurrency,
      tryTake: (_, w) => s.budget.tryAcquire(w.job.source.baseUrl),
      take: (_, w, signal) => s.budget.acquire(w.job.source.baseUrl, signal),
      run: (w) => lookAt(s, token, w, report),
      clock: s.clock,
      stop: s.stop,
      drop: async (w) => {
        // Hand the claim back so the next start (or another replica) takes it at once.
        report.deferred++;
        await releaseClaim(ctx.db, { ...claimWhere(s, token, w), now: s.clock.now() })
          .catch(() => {});
      },
    });
    return report;
  } finally {
    await renewal.stop();
  }
}

/** Claim, with `token`, every pair the calendar says is due and nobody holds: one statement. */
async function claimAll(s: SweepContext, token: string, report: SweepReport): Promise<Work[]> {
  const ctx = s.pipeline;
  const now = s.clock.now();
  const operatorOf = operatorResolver(ctx.config.sources);
  const bySource = new Map<string, SourceConfig>();
  const postedAt = new Map<string, Date>();
  const pairs: ManyPair[] = [];
  for (const { source, cycles } of restrictedSources(ctx.config.sources, s.restrict)) {
    bySource.set(source.name, source);
    const due = duePairs(now, calendarOptions(ctx, cycles, source));
    report.due += due.length;
    for (const p of due) {
      postedAt.set(`${source.name}|${p.gasDay}|${p.cycle.label}`, p.postedAt);
      pairs.push({
        source: source.name,
        report: source.report,
        asset: source.asset,
        gasDay: p.gasDay,
        cycle: p.cycle.label,
        expectedAt: p.postedAt,
        operator: operatorOf(source.baseUrl),
      });
    }
  }
  // Oldest first: a gas day about to leave the window goes before tomorrow's.
  pairs.sort((a, b) => a.gasDay.localeCompare(b.gasDay));
  const { claimed, left } = await claimDueMany(ctx.db, {
    schema: ctx.config.database.schema,
    pairs,
    now,
    leaseSeconds: leaseSeconds(ctx),
    token,
    perOperator: claimsPerOperator(ctx),
  });
  report.left = left;
  return claimed.map((claim) => {
    const source = bySource.get(claim.source)!;
    const cycle = findCycle(claim.cycle)!;
    return {
      claim,
      operator: operatorOf(source.baseUrl),
      job: { source, gasDay: claim.gasDay, cycle, params: s.restrict.request, lock: "skip" },
      postedAt: postedAt.get(`${claim.source}|${claim.gasDay}|${claim.cycle}`),
    };
  });
}

/** Claimed work by operator, each queue in claim order. */
function byOperator(work: readonly Work[]): Map<string, Work[]> {
  const queues = new Map<string, Work[]>();
  for (const w of work) {
    const list = queues.get(w.operator) ?? [];
    list.push(w);
    queues.set(w.operator, list);
  }
  return queues;
}

/** The poll-state row of a claimed pair. */
function claimWhere(s: SweepContext, token: string, w: Work) {
  return {
    schema: s.pipeline.config.database.schema,
    source: w.job.source.name,
    gasDay: w.job.gasDay,
    cycle: w.job.cycle.label,
    token,
  };
}

/**
 * The pipeline for one look whose first request's slot the queue already
 * took: that request goes at once, any retry asks the budget again; a
 * throttled fetch ends at once (the queue serves other operators during the
 * pause, and the poll policy looks at the pair again after it).
 */
function lookContext(ctx: PipelineContext): PipelineContext {
  let paid = true;
  return {
    ...ctx,
    deferThrottled: true,
    beforeRequest: (url, signal) => {
      if (!paid) return ctx.beforeRequest?.(url, signal) ?? Promise.resolve();
      paid = false;
      return Promise.resolve();
    },
  };
}

/** Look at one claimed pair and store how it ended. */
async function lookAt(s: SweepContext, token: string, w: Work, report: SweepReport) {
  const { pipeline: ctx, clock } = s;
  const { job, claim } = w;
  const where = claimWhere(s, token, w);
  const fields = { source: job.source.name, gas_day: job.gasDay, cycle: job.cycle.label };
  let outcome: PairOutcome;
  try {
    outcome = await processPair(lookContext(ctx), job);
  } catch (e) {
    // Aborted by shutdown: nothing is marked done, and once this process has
    // stopped renewing, the lease lapses and the pair is looked at again.
    ctx.log.warn("sweep.look_interrupted", { ...fields, reason: (e as Error).message });
    return;
  }
  report.outcomes[outcome.status] = (report.outcomes[outcome.status] ?? 0) + 1;
  const look = lookResult(w, outcome, clock.now());
  const next = new Date(clock.now().getTime() + nextDelaySeconds(look, ctx.config.daemon) * 1000);
  const seenData = outcome.status === "loaded" || outcome.status === "unchanged";
  if (
    outcome.status === "loaded" && claim.firstSeenAt === null &&
    look.sincePostingSeconds !== undefined
  ) {
    // The pair's first data: how long after its nominal posting time it landed.
    ctx.observer?.firstSeen?.(job, look.sincePostingSeconds);
  }
  const record = () =>
    recordLook(ctx.db, {
      ...where,
      status: statusAfter(outcome.status, claim.status),
      attempts: attemptsAfter(look),
      checkedAt: clock.now(),
      nextCheckAt: next,
      sha256: outcome.sha256,
      error: outcome.reason,
      seenData,
    });
  // The database may be what just failed (a restart, a dropped connection):
  // try again for a little while, or the pair waits for its lease to lapse.
  await retryBriefly(record, clock, s.stop).then(
    (ours) => {
      // The lease lapsed (renewals failed) and another poller holds the pair:
      // its own look will be stored.
      if (!ours) ctx.log.warn("sweep.claim_lost", fields);
    },
    (e) => ctx.log.warn("sweep.record_failed", { ...fields, reason: (e as Error).message }),
  );
}

/** How a look ended, for the poll policy: with the pair's timing relative to its posting time. */
function lookResult(w: Work, outcome: PairOutcome, now: Date): LookResult {
  const look: LookResult = {
    status: outcome.status,
    retryable: outcome.retryable,
    previousAttempts: w.claim.attempts,
  };
  if (w.postedAt === undefined) return look;
  const posted = w.postedAt.getTime();
  look.sincePostingSeconds = (now.getTime() - posted) / 1000;
  // A pair never looked at before was first checked by this claim.
  if (w.claim.status !== "pending") {
    look.firstLookSincePostingSeconds = (new Date(w.claim.firstCheckedAt).getTime() - posted) /
      1000;
  }
  return look;
}

/** Attempts of {@linkcode retryBriefly}, 0.5 s apart and doubling: about 15 s in all. */
const RECORD_ATTEMPTS = 5;

async function retryBriefly<T>(fn: () => Promise<T>, clock: Clock, stop: AbortSignal): Promise<T> {
  for (let attempt = 1, delay = 500;; attempt++, delay *= 2) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= RECORD_ATTEMPTS || stop.aborted) throw e;
      await clock.sleep(delay, stop).catch(() => {});
    }
  }
}

/** The first gas day of the polling window at `now`. */
export function windowStart(ctx: Pick<PipelineContext, "config">, now: Date): string {
  return addDays(gasDayAt(now, ctx.config.timezone), -ctx.config.daemon.historyDays);
}

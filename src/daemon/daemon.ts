/**
 * The daemon: a catch-up sweep at start, then a sweep at every tick of the
 * cron schedule (in the gas-day zone), and in between whenever a re-probe or a
 * newly due posting falls before the next tick. All state is in PostgreSQL, so
 * a restart resumes where the last run stopped.
 *
 * @module
 */
import { nextTick } from "../schedule/cron.ts";
import { restrictedSources } from "../pipeline/selection.ts";
import {
  calendarOptions,
  sweep,
  type SweepContext,
  type SweepReport,
  windowStart,
} from "./sweep.ts";
import { earliestNextCheckOf } from "./poll_state.ts";
import { nextDueAt } from "../schedule/calendar.ts";

/** What the daemon is doing, for the health endpoint. */
export interface DaemonStatus {
  /** When the loop last did anything (a sweep ended or a wait began). */
  heartbeat?: Date;
  /** When the last sweep ended. */
  lastSweepAt?: Date;
  /** Its counts. */
  lastSweep?: SweepReport;
  /** When the next sweep is planned. */
  nextSweepAt?: Date;
  /** Why it is planned then. */
  nextReason?: string;
  /** The last sweep error, if the last sweep failed. */
  lastError?: string;
}

/** Shortest pause between sweeps, whatever the schedule says. */
const MIN_PAUSE_MS = 1000;

/** When the next sweep should run, and why. */
export async function nextWake(
  s: SweepContext,
  last?: Pick<SweepReport, "left">,
): Promise<{ at: Date; reason: string }> {
  const ctx = s.pipeline;
  const now = s.clock.now();
  // The last sweep claimed what its budgets serve in a lease: the rest is due now.
  if (last?.left) return { at: new Date(now.getTime() + MIN_PAUSE_MS), reason: "queue" };
  const tick = nextTick(ctx.config.daemon.schedule, ctx.config.timezone, now);
  let at = tick;
  let reason = "schedule";
  const sources = restrictedSources(ctx.config.sources, s.restrict);
  for (const { source, cycles } of sources) {
    const due = nextDueAt(now, calendarOptions(ctx, cycles, source));
    if (due && due < at) [at, reason] = [due, "posting due"];
  }
  // One statement for every source (twenty sources, one round trip per wake).
  const check = await earliestNextCheckOf(ctx.db, {
    schema: ctx.config.database.schema,
    sources: sources.map((x) => x.source.name),
    fromDay: windowStart(ctx, now),
    now,
  }).catch(() => undefined);
  if (check && check < at) [at, reason] = [check, "re-probe"];
  return { at: new Date(Math.max(at.getTime(), now.getTime() + MIN_PAUSE_MS)), reason };
}

/**
 * Run until `s.stop` aborts. A failed sweep (database down, say) is logged
 * and the loop goes on; the returned promise resolves once the sweep in
 * flight, if any, has finished.
 */
export async function runDaemon(s: SweepContext, status: DaemonStatus = {}): Promise<void> {
  const { log } = s.pipeline;
  log.info("daemon.start", {
    schedule: s.pipeline.config.daemon.schedule,
    zone: s.pipeline.config.timezone,
    history_days: s.pipeline.config.daemon.historyDays,
    sources: restrictedSources(s.pipeline.config.sources, s.restrict).map((x) =>
      `${x.source.name}:${x.cycles.join(",")}`
    ),
  });
  while (!s.stop.aborted) {
    const started = s.clock.now();
    try {
      // Failures that happened while the database was away reach the ledger first.
      const late = await s.pipeline.journal?.flush(
        s.pipeline.db,
        s.pipeline.config.database.schema,
      );
      if (late) log.info("ledger.recorded_late", { failures: late });
      const report = await sweep(s);
      status.lastSweep = report;
      status.lastError = undefined;
      log.info("sweep.done", {
        due: report.due,
        claimed: report.claimed,
        ...report.outcomes,
        deferred: report.deferred || undefined,
        left: report.left || undefined,
        duration_ms: s.clock.now().getTime() - started.getTime(),
      });
    } catch (e) {
      status.lastError = (e as Error).message;
      log.error("sweep.failed", { reason: (e as Error).message });
    }
    status.lastSweepAt = s.clock.now();
    status.heartbeat = status.lastSweepAt;
    if (s.stop.aborted) break;
    let wake: { at: Date; reason: string };
    try {
      wake = await nextWake(s, status.lastError === undefined ? status.lastSweep : undefined);
    } catch (e) {
      wake = {
        at: new Date(s.clock.now().getTime() + 60_000),
        reason: `error: ${(e as Error).message}`,
      };
    }
    status.nextSweepAt = wake.at;
    status.nextReason = wake.reason;
    status.heartbeat = s.clock.now();
    log.info("sweep.next", { at: wake.at.toISOString(), reason: wake.reason });
    await s.clock.sleep(wake.at.getTime() - s.clock.now().getTime(), s.stop).catch(() => {});
  }
  log.info("daemon.stopped", {});
}

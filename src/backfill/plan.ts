/**
 * The backfill plan: every (source, gas day, cycle) of a date range. Pure.
 *
 * @module
 */
import type { SourceConfig } from "../config/schema.ts";
import { type CycleId, findCycle } from "../domain/cycles.ts";
import {
  addDays,
  daysBetween,
  explainBadDate,
  type IsoDate,
  parseGasDay,
} from "../domain/gas_day.ts";
import { InvalidRequestError } from "../domain/errors.ts";
import type { PairJob } from "../pipeline/process_pair.ts";

/** Longest range accepted in one backfill (ten years). */
export const MAX_BACKFILL_DAYS = 3660;

/** Parsed backfill arguments. */
export interface BackfillRange {
  /** First gas day. */
  from: IsoDate;
  /** Last gas day (inclusive). */
  to: IsoDate;
  /** Cycles to fetch (each source's configured ones when undefined). */
  cycles?: CycleId[];
}

/**
 * Validate `--from`, `--to` and `--cycles`.
 *
 * @throws {InvalidRequestError} naming the option, the value and what was expected
 */
export function parseBackfillRange(
  a: { from?: string; to?: string; cycles?: string },
): BackfillRange {
  const date = (name: string, v: string | undefined): IsoDate => {
    if (v === undefined) {
      throw new InvalidRequestError(`backfill: --${name} is required (YYYY-MM-DD)`);
    }
    const d = parseGasDay(v);
    if (!d) throw new InvalidRequestError(`backfill --${name}: ${explainBadDate(v)}`);
    return d;
  };
  const from = date("from", a.from);
  const to = date("to", a.to);
  if (to < from) throw new InvalidRequestError(`backfill: --to ${to} is before --from ${from}`);
  if (daysBetween(from, to) >= MAX_BACKFILL_DAYS) {
    throw new InvalidRequestError(
      `backfill: at most ${MAX_BACKFILL_DAYS} days at once, got ${daysBetween(from, to) + 1}`,
    );
  }
  let cycles: CycleId[] | undefined;
  if (a.cycles !== undefined) {
    cycles = [];
    for (const item of a.cycles.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
      const c = findCycle(item);
      if (!c) {
        throw new InvalidRequestError(
          `backfill --cycles: ${
            JSON.stringify(item)
          } is not a cycle (timely, evening, intraday1, intraday2, intraday3, final or 0,1,3,4,7,5)`,
        );
      }
      if (!cycles.includes(c.id)) cycles.push(c.id);
    }
    if (cycles.length === 0) {
      throw new InvalidRequestError("backfill --cycles: expected at least one cycle");
    }
  }
  return { from, to, cycles };
}

/** Every job of the range: oldest gas day first, cycles in posting order. */
export function planBackfill(
  range: BackfillRange,
  sources: readonly { source: SourceConfig; cycles: CycleId[] }[],
  opts: { request: Record<string, string>; force: boolean },
): PairJob[] {
  const jobs: PairJob[] = [];
  for (let day = range.from; day <= range.to; day = addDays(day, 1)) {
    for (const { source, cycles } of sources) {
      for (const id of cycles) {
        if (range.cycles && !range.cycles.includes(id)) continue;
        jobs.push({
          source,
          gasDay: day,
          cycle: findCycle(id)!,
          params: opts.request,
          force: opts.force,
        });
      }
    }
  }
  return jobs;
}

/** The `--dry-run` text: one line per gas day, then the totals. */
export function backfillPlanText(jobs: readonly PairJob[]): string {
  const byDay = new Map<string, string[]>();
  for (const j of jobs) {
    const k = `${j.gasDay} ${j.source.name}`;
    byDay.set(k, [...(byDay.get(k) ?? []), j.cycle.label]);
  }
  const lines = [...byDay].map(([k, cycles]) => `${k}: ${cycles.join(", ")}`);
  lines.push(
    `${jobs.length} pairs, ${jobs.length} requests at least (one per pair; retries extra)`,
  );
  return lines.join("\n");
}

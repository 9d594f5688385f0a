/**
 * When each (gas day, cycle) posting is expected, and which ones are due now.
 *
 * Times follow the NAESB WGQ timeline in a named zone (Central Clock Time by
 * default). They are wall-clock times resolved through `Temporal` for every
 * gas day, so a daylight-saving change moves the UTC instant, never the local
 * time.
 * The module is pure: "now" is always an argument, so a scheduler, a test and a
 * back-fill all get the same answer for the same instant.
 *
 * The window, used by {@link duePairs} and {@link nextDueAt}: with `G` the gas
 * day in progress at `now` and `h = historyDays`, the window holds the gas days
 * `G - h` through `G + 1`, every cycle of each, i.e. `h + 2` gas days. `G + 1`
 * is there so that tomorrow's Timely and Evening, posted the evening before,
 * are fetched as soon as they are due; its later cycles cannot be due while `G`
 * is in progress under the default times. Keeping `h` past days re-fetches
 * postings that the pipeline may revise, and is what lets a Final (posted after
 * its gas day ends) be fetched at all: with `h = 0` no Final is ever due inside
 * the window, which {@link validateCalendarOptions} reports.
 *
 * @module
 */

import { CYCLES } from "../domain/cycles.ts";
import type { Cycle, CycleId } from "../domain/cycles.ts";
import {
  addDays,
  GAS_DAY_START_HOUR,
  gasDayAt,
  isTimeZone,
  largestShiftMinutes,
  parseGasDay,
  zonedInstant,
} from "../domain/gas_day.ts";
import type { IsoDate } from "../domain/gas_day.ts";

/** Local wall-clock time of a posting, relative to the gas day it belongs to. */
export interface PostingTime {
  /** Calendar days from the gas day's date: `-1` the day before, `1` the day after. */
  readonly dayOffset: number;
  /** Local hour, 0-23. */
  readonly hour: number;
  /** Local minute, 0-59. */
  readonly minute: number;
}

/** Options shared by every function of the calendar; usually built from config. */
export interface CalendarOptions {
  /** IANA time zone of the timeline, e.g. `America/Chicago`. */
  zone: string;
  /** Past gas days kept in the window besides the current one (integer, 0 or more). */
  historyDays: number;
  /** Minutes added to each expected posting time before a pair counts as due. */
  graceMinutes: number;
  /** Cycles to schedule; all of {@link CYCLES} when omitted. Duplicates are ignored. */
  cycles?: readonly CycleId[];
  /** Per-cycle replacements for {@link DEFAULT_POSTING_TIMES}. */
  postingTimes?: Partial<Record<CycleId, PostingTime>>;
}

/** One posting of one gas day that should have appeared by `dueAt`. */
export interface DuePair {
  /** The gas day the posting is for (the date on which it starts). */
  gasDay: IsoDate;
  /** The cycle, as listed in {@link CYCLES}. */
  cycle: Cycle;
  /** Expected posting time plus the grace. */
  dueAt: Date;
  /** Expected (nominal) posting time. */
  postedAt: Date;
}

/**
 * Expected posting times of the NAESB WGQ timeline (domain notes, section 2).
 *
 * Final has no published deadline; it is "seen by late morning of the next
 * day", hence 11:00 on the day after the gas day.
 */
export const DEFAULT_POSTING_TIMES: Readonly<Record<CycleId, PostingTime>> = Object.freeze({
  timely: Object.freeze({ dayOffset: -1, hour: 17, minute: 0 }),
  evening: Object.freeze({ dayOffset: -1, hour: 21, minute: 0 }),
  intraday1: Object.freeze({ dayOffset: 0, hour: 13, minute: 0 }),
  intraday2: Object.freeze({ dayOffset: 0, hour: 17, minute: 30 }),
  intraday3: Object.freeze({ dayOffset: 0, hour: 22, minute: 0 }),
  final: Object.freeze({ dayOffset: 1, hour: 11, minute: 0 }),
});

/**
 * Defaults for the options config may leave out. `historyDays: 3` is the
 * history of the system this project replaces.
 */
export const DEFAULT_CALENDAR_OPTIONS: Readonly<CalendarOptions> = Object.freeze({
  zone: "America/Chicago",
  historyDays: 3,
  graceMinutes: 15,
});

const CYCLE_IDS: readonly string[] = CYCLES.map((c) => c.id);
const MINUTES_PER_DAY = 1440;

/**
 * The instant of the expected posting of `cycleId` for `gasDay`, without grace.
 *
 * A local time skipped by a spring-forward change resolves as in
 * `zonedInstant` (one hour later); the default times never fall in one.
 *
 * @param gasDay the gas day as `YYYY-MM-DD`.
 * @param cycleId the cycle.
 * @param opts the zone and optional posting-time overrides.
 * @throws {RangeError} when `gasDay` is not a real `YYYY-MM-DD` date, the zone
 *   is unknown or the cycle's posting time is invalid.
 */
export function expectedPostingTime(
  gasDay: IsoDate,
  cycleId: CycleId,
  opts: Pick<CalendarOptions, "zone" | "postingTimes">,
): Date {
  if (parseGasDay(gasDay) !== gasDay) {
    throw new RangeError(`gasDay: ${JSON.stringify(gasDay)} is not a YYYY-MM-DD date`);
  }
  if (!CYCLE_IDS.includes(cycleId)) {
    throw new RangeError(`cycleId: unknown cycle ${JSON.stringify(cycleId)}`);
  }
  if (typeof opts.zone !== "string" || !isTimeZone(opts.zone)) {
    throw new RangeError(`zone: ${JSON.stringify(opts.zone)} is not a known IANA time zone`);
  }
  const pt = postingTimeOf(cycleId, opts);
  const problems = postingTimeProblems(`postingTimes.${cycleId}`, pt);
  if (problems.length > 0) throw new RangeError(problems.join("; "));
  return zonedInstant(addDays(gasDay, pt.dayOffset), pt.hour, pt.minute, opts.zone);
}

/**
 * Pairs of the window (see the module documentation) whose `dueAt` is at or
 * before `now`: oldest gas day first, then by expected posting time within a
 * gas day (ties in {@link CYCLES} order). Only `opts.cycles` when given.
 *
 * @throws {RangeError} listing every problem when the options are invalid.
 */
export function duePairs(now: Date, opts: CalendarOptions): DuePair[] {
  assertValid(opts);
  const current = gasDayAt(now, opts.zone);
  const pairs: Candidate[] = [];
  for (let back = opts.historyDays; back >= -1; back--) {
    for (const c of candidatesFor(addDays(current, -back), opts)) {
      if (c.dueAt.getTime() <= now.getTime()) pairs.push(c);
    }
  }
  pairs.sort(comparePairs);
  return pairs.map(({ gasDay, cycle, dueAt, postedAt }) => ({ gasDay, cycle, dueAt, postedAt }));
}

/**
 * The earliest `dueAt` strictly after `now` of a pair that will be inside the
 * window at that moment: the next time {@link duePairs} gains a pair. Looks at
 * the gas days `G - historyDays` through `G + 2`, which holds the answer when the
 * options pass {@link validateCalendarOptions}.
 *
 * @returns the instant, or `undefined` when no pair qualifies.
 * @throws {RangeError} listing every problem when the options are invalid.
 */
export function nextDueAt(now: Date, opts: CalendarOptions): Date | undefined {
  assertValid(opts);
  const current = gasDayAt(now, opts.zone);
  let best: number | undefined;
  for (let back = opts.historyDays; back >= -2; back--) {
    const day = addDays(current, -back);
    for (const c of candidatesFor(day, opts)) {
      const t = c.dueAt.getTime();
      if (t <= now.getTime() || (best !== undefined && t >= best)) continue;
      // A pair may fall out of the window before it becomes due; it is then never
      // returned by duePairs, so announcing it would be a lie.
      const then = gasDayAt(c.dueAt, opts.zone);
      if (day >= addDays(then, -opts.historyDays) && day <= addDays(then, 1)) best = t;
    }
  }
  return best === undefined ? undefined : new Date(best);
}

/**
 * Every problem with `opts`, each naming the key, the value and what was
 * expected; an empty list means the options are usable. Checks value types too,
 * since options usually come from a config file.
 *
 * Besides ranges, it reports a polled cycle that could never be due inside the
 * window: one whose due time (posting time plus grace) falls more than
 * `historyDays` gas days after its own gas day (e.g. Final with `historyDays: 0`),
 * or before the previous gas day starts. A daylight-saving change inside the
 * grace moves the local due time by up to the zone's largest shift (an hour in
 * Chicago), so when the grace is not 0 a due time that close to 9:00 am is
 * judged by its worse side.
 */
export function validateCalendarOptions(opts: CalendarOptions): string[] {
  const problems: string[] = [];
  if (typeof opts.zone !== "string" || !isTimeZone(opts.zone)) {
    problems.push(
      `zone: ${
        JSON.stringify(opts.zone)
      } is not a known IANA time zone; expected a name such as "America/Chicago"`,
    );
  }
  const historyOk = isNonNegativeInteger(opts.historyDays);
  if (!historyOk) {
    problems.push(
      `historyDays: ${String(opts.historyDays)} is invalid; expected an integer 0 or more`,
    );
  }
  const graceOk = typeof opts.graceMinutes === "number" && Number.isFinite(opts.graceMinutes) &&
    opts.graceMinutes >= 0;
  if (!graceOk) {
    problems.push(
      `graceMinutes: ${String(opts.graceMinutes)} is invalid; expected a number 0 or more`,
    );
  }
  const polled = polledCycles(opts, problems);
  const badTimes = postingTimesProblems(opts, problems);
  if (historyOk && graceOk) {
    for (const id of polled) if (!badTimes.has(id)) reachProblems(id, opts, problems);
  }
  return problems;
}

/** The cycles `opts` polls; problems with the list go to `problems`. */
function polledCycles(opts: CalendarOptions, problems: string[]): Set<CycleId> {
  const polled = new Set<CycleId>();
  if (opts.cycles === undefined) {
    for (const c of CYCLES) polled.add(c.id);
  } else if (!Array.isArray(opts.cycles)) {
    problems.push(`cycles: expected a list of cycle ids (${CYCLE_IDS.join(", ")})`);
  } else if (opts.cycles.length === 0) {
    problems.push(`cycles: the list is empty; expected at least one of ${CYCLE_IDS.join(", ")}`);
  } else {
    for (const id of opts.cycles) {
      if (CYCLE_IDS.includes(id)) polled.add(id);
      else {
        problems.push(
          `cycles: ${JSON.stringify(id)} is not a cycle id; expected one of ${
            CYCLE_IDS.join(", ")
          }`,
        );
      }
    }
  }
  return polled;
}

/** Problems with `opts.postingTimes` go to `problems`; returns the cycles whose time is bad. */
function postingTimesProblems(opts: CalendarOptions, problems: string[]): Set<string> {
  const badTimes = new Set<string>();
  if (opts.postingTimes === undefined) return badTimes;
  if (typeof opts.postingTimes !== "object" || opts.postingTimes === null) {
    problems.push("postingTimes: expected a map from cycle id to {dayOffset, hour, minute}");
    return badTimes;
  }
  for (const [id, pt] of Object.entries(opts.postingTimes)) {
    if (!CYCLE_IDS.includes(id)) {
      problems.push(
        `postingTimes: ${JSON.stringify(id)} is not a cycle id; expected one of ${
          CYCLE_IDS.join(", ")
        }`,
      );
      continue;
    }
    const found = postingTimeProblems(`postingTimes.${id}`, pt);
    if (found.length > 0) badTimes.add(id);
    problems.push(...found);
  }
  return badTimes;
}

/** Whether cycle `id` can become due inside the window; problems go to `problems`. */
function reachProblems(id: CycleId, opts: CalendarOptions, problems: string[]): void {
  // The grace is a duration, not a wall-clock span: across a spring-forward
  // night 10.5 h after 22:00 CST is 09:30 CDT, already the next gas day.
  // The zone's own largest shift (an hour, or half an hour on Lord Howe);
  // an unknown zone is already a problem, judged by the usual hour.
  const zoneOk = typeof opts.zone === "string" && isTimeZone(opts.zone);
  const slack = opts.graceMinutes > 0 ? (zoneOk ? largestShiftMinutes(opts.zone) : 60) : 0;
  const pt = postingTimeOf(id, opts);
  const latest = dueLagDays(pt, opts.graceMinutes + slack);
  const earliest = dueLagDays(pt, opts.graceMinutes - slack);
  if (latest > opts.historyDays) {
    problems.push(
      `historyDays: ${opts.historyDays} is too small for cycle "${id}", which can become due ` +
        `${latest} gas day(s) after its own (posting time + grace` +
        `${slack > 0 ? `, allowing ${slack} min for a daylight-saving change` : ""}); ` +
        `expected at least ${latest}`,
    );
  }
  if (earliest < -1) {
    problems.push(
      `postingTimes.${id}: with the grace it can fall due before the previous gas day ` +
        `starts; expected no earlier than dayOffset -1 at ${GAS_DAY_START_HOUR}:00`,
    );
  }
}

interface Candidate extends DuePair {
  postedAt: Date;
  order: number;
}

function assertValid(opts: CalendarOptions): void {
  const problems = validateCalendarOptions(opts);
  if (problems.length > 0) {
    throw new RangeError(`invalid calendar options: ${problems.join("; ")}`);
  }
}

function candidatesFor(gasDay: IsoDate, opts: CalendarOptions): Candidate[] {
  const wanted = opts.cycles === undefined ? undefined : new Set<string>(opts.cycles);
  const out: Candidate[] = [];
  CYCLES.forEach((cycle, order) => {
    if (wanted !== undefined && !wanted.has(cycle.id)) return;
    const postedAt = expectedPostingTime(gasDay, cycle.id, opts);
    const dueAt = new Date(postedAt.getTime() + opts.graceMinutes * 60_000);
    out.push({ gasDay, cycle, dueAt, postedAt, order });
  });
  return out;
}

function comparePairs(a: Candidate, b: Candidate): number {
  if (a.gasDay !== b.gasDay) return a.gasDay < b.gasDay ? -1 : 1;
  return a.postedAt.getTime() - b.postedAt.getTime() || a.order - b.order;
}

function postingTimeOf(
  id: CycleId,
  opts: Pick<CalendarOptions, "postingTimes">,
): PostingTime {
  return opts.postingTimes?.[id] ?? DEFAULT_POSTING_TIMES[id];
}

/** Gas days between a pair's own gas day and the one in progress when it falls due. */
function dueLagDays(pt: PostingTime, graceMinutes: number): number {
  const sinceStart = pt.dayOffset * MINUTES_PER_DAY + pt.hour * 60 + pt.minute + graceMinutes -
    GAS_DAY_START_HOUR * 60;
  return Math.floor(sinceStart / MINUTES_PER_DAY);
}

function postingTimeProblems(key: string, pt: unknown): string[] {
  if (typeof pt !== "object" || pt === null) {
    return [`${key}: expected an object {dayOffset, hour, minute}`];
  }
  const { dayOffset, hour, minute } = pt as Record<string, unknown>;
  const problems: string[] = [];
  if (!Number.isInteger(dayOffset)) {
    problems.push(`${key}.dayOffset: ${String(dayOffset)} is invalid; expected an integer`);
  }
  if (!isIntegerIn(hour, 0, 23)) {
    problems.push(`${key}.hour: ${String(hour)} is out of range; expected an integer 0-23`);
  }
  if (!isIntegerIn(minute, 0, 59)) {
    problems.push(`${key}.minute: ${String(minute)} is out of range; expected an integer 0-59`);
  }
  return problems;
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
}

function isNonNegativeInteger(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0;
}

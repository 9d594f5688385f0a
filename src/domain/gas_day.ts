/**
 * Gas days and wall-clock time in a named time zone.
 *
 * A gas day is named by the calendar date on which it starts; it runs from
 * 9:00 am to 9:00 am Central Clock Time (`America/Chicago`, daylight saving
 * applies). Everything here works on IANA zone names through `Temporal` (built
 * into Deno), never on a fixed UTC offset: the system we replace used naive
 * host time (UTC in Docker).
 *
 * Gas days are plain `YYYY-MM-DD` strings so that they survive JSON, SQL and
 * logs unchanged and never pick up a host time zone.
 *
 * @module
 */

/** A calendar date as `YYYY-MM-DD`. */
export type IsoDate = string;

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const US_RE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** Hour (local, in the gas-day zone) at which a gas day starts. */
export const GAS_DAY_START_HOUR = 9;

/** The year, month and day written in `text`, if it has one of the two forms. */
function dateFields(text: string): [number, number, number] | undefined {
  const t = text.trim();
  const iso = ISO_RE.exec(t);
  if (iso) return [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  const us = US_RE.exec(t);
  if (us) return [Number(us[3]), Number(us[1]), Number(us[2])];
  return undefined;
}

/**
 * Parse a gas day written `YYYY-MM-DD` or `MM/DD/YYYY`.
 *
 * @returns the date as `YYYY-MM-DD`, or `undefined` if the text is not a real
 * date ({@linkcode explainBadDate} says why).
 */
export function parseGasDay(text: string): IsoDate | undefined {
  const fields = dateFields(text);
  if (!fields) return undefined;
  const [y, m, d] = fields;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return undefined;
  }
  return date.toISOString().slice(0, 10);
}

const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/**
 * Why {@linkcode parseGasDay} rejects `text`, as one line without a key:
 * `"2024-02-30" is not a date: February 2024 has 29 days`, or
 * `expected a date as YYYY-MM-DD or MM/DD/YYYY, got "2024/02/30"` when the
 * text has neither form.
 *
 * @returns the explanation, or `undefined` when `text` is a date
 */
export function explainBadDate(text: string): string | undefined {
  if (parseGasDay(text) !== undefined) return undefined;
  const fields = dateFields(text);
  if (!fields) return `expected a date as YYYY-MM-DD or MM/DD/YYYY, got ${JSON.stringify(text)}`;
  const [y, m, d] = fields;
  const why = (reason: string) => `${JSON.stringify(text.trim())} is not a date: ${reason}`;
  if (m < 1 || m > 12) {
    const order = ISO_RE.test(text.trim()) ? "" : "; MM/DD/YYYY puts the month first";
    return why(`there is no month ${m} (months are 1 to 12${order})`);
  }
  // Date.UTC reads years 0-99 as 1900-1999, so parseGasDay cannot take them.
  if (y < 100) return why(`year ${y} is before the year 100`);
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d < 1) return why("days of the month start at 1");
  return why(`${MONTH_NAMES[m - 1]} ${y} has ${days} days`);
}

/** Format a gas day the way ipost expects it in the query string: `MM/DD/YYYY`. */
export function toIpostDate(day: IsoDate): string {
  const [y, m, d] = day.split("-");
  return `${m}/${d}/${y}`;
}

/** The date `n` days after `day` (negative `n` goes back). */
export function addDays(day: IsoDate, n: number): IsoDate {
  return Temporal.PlainDate.from(day).add({ days: n }).toString();
}

/** Number of days from `a` to `b` (positive when `b` is later). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return Temporal.PlainDate.from(a).until(b, { largestUnit: "days" }).days;
}

const NAMED_ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)+$/;
const FIXED_OFFSET = /^[+-]|^(Etc\/)?(GMT|UTC|UT)[+-]\d/i;
const ZERO_ZONES = ["UTC", "GMT"];

/**
 * Why `zone` is not an IANA zone name this runtime knows, as one line
 * without a key; `undefined` when it is one.
 *
 * `Intl` also takes fixed offsets (`+05:00`, `-0600`, `Etc/GMT+6`) and
 * abbreviations it resolves by guesswork (`CST`, `EST` as America/Panama,
 * `BST` as Asia/Dhaka); none of them follows the daylight-saving changes the
 * gas day does, so only `Region/City` names and `UTC`/`GMT` pass.
 */
export function timeZoneProblem(zone: string): string | undefined {
  const got = JSON.stringify(zone);
  const expected = "expected an IANA time zone name such as America/Chicago";
  if (zone === "") return `${expected}, got ""`;
  if (FIXED_OFFSET.test(zone)) {
    return `${expected}, got ${got}, a fixed UTC offset: the gas day follows daylight ` +
      "saving time, which needs a named zone (UTC is fine)";
  }
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    return `${expected}, got ${got}`;
  }
  if (!ZERO_ZONES.includes(zone.toUpperCase()) && !NAMED_ZONE.test(zone)) {
    return `${expected} (Region/City, or UTC), got ${got}: an abbreviation or legacy ` +
      "name is ambiguous and may not follow daylight saving time";
  }
  return undefined;
}

/**
 * Whether `zone` is an IANA zone name this runtime knows (see
 * {@linkcode timeZoneProblem}). cron-parser accepts unknown zones and fails
 * later with an unclear message, so every zone from outside is checked here
 * first.
 */
export function isTimeZone(zone: string): boolean {
  return timeZoneProblem(zone) === undefined;
}

/** Wall-clock fields of an instant in a zone. */
export interface WallTime {
  /** Local calendar date. */
  date: IsoDate;
  /** Local hour, 0-23. */
  hour: number;
  /** Local minute, 0-59. */
  minute: number;
}

function zoned(instant: Date, zone: string): Temporal.ZonedDateTime {
  return Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO(zone);
}

/** The wall-clock date and time of `instant` in `zone`. */
export function wallTime(instant: Date, zone: string): WallTime {
  const z = zoned(instant, zone);
  return { date: z.toPlainDate().toString(), hour: z.hour, minute: z.minute };
}

/** Offset of `zone` from UTC at `instant`, in minutes (Chicago in winter: -360). */
export function zoneOffsetMinutes(instant: Date, zone: string): number {
  return zoned(instant, zone).offsetNanoseconds / 60e9;
}

/**
 * The instant at which the wall clock in `zone` shows `day` `hour`:`minute`.
 *
 * A time that does not exist (skipped by a spring-forward change) is moved
 * forward by the length of the gap (an hour in Chicago, half an hour on Lord
 * Howe Island); an ambiguous time (repeated at fall-back) maps to its first
 * occurrence: Temporal's `"compatible"` disambiguation, as RFC 5545 has it.
 */
export function zonedInstant(day: IsoDate, hour: number, minute: number, zone: string): Date {
  const local = Temporal.PlainDate.from(day).toPlainDateTime({ hour, minute });
  return new Date(local.toZonedDateTime(zone, { disambiguation: "compatible" }).epochMilliseconds);
}

/** The gas day in progress at `instant`: days start at 9:00 am in `zone`. */
export function gasDayAt(instant: Date, zone: string): IsoDate {
  const w = wallTime(instant, zone);
  return w.hour < GAS_DAY_START_HOUR ? addDays(w.date, -1) : w.date;
}

const shifts = new Map<string, number>();

/**
 * The largest change of `zone`'s UTC offset, in minutes, at any transition
 * from 2000 to 2050 (0 for a zone without daylight saving time; 60 in most
 * zones that have it, 30 on Lord Howe Island, 120 at Troll station).
 */
export function largestShiftMinutes(zone: string): number {
  let largest = shifts.get(zone);
  if (largest !== undefined) return largest;
  largest = 0;
  let z: Temporal.ZonedDateTime | null = Temporal.ZonedDateTime.from({
    year: 2000,
    month: 1,
    day: 1,
    timeZone: zone,
  });
  const end = Temporal.Instant.from("2050-01-01T00:00:00Z");
  while (z !== null && Temporal.Instant.compare(z.toInstant(), end) < 0) {
    const next: Temporal.ZonedDateTime | null = z.getTimeZoneTransition("next");
    if (next === null) break;
    const before = next.subtract({ nanoseconds: 1 }).offsetNanoseconds;
    largest = Math.max(largest, Math.abs(next.offsetNanoseconds - before) / 60e9);
    z = next;
  }
  shifts.set(zone, largest);
  return largest;
}

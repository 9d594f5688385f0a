/**
 * The sweep schedule: a cron expression evaluated in the gas-day zone.
 *
 * Accepted: 5 fields (minute hour day-of-month month day-of-week), or 6 with a
 * leading seconds field (the soak test sweeps every 15 s); each field a list of
 * `*`, `n`, `a-b`, each optionally stepped `/s`, with month and weekday names
 * (`jan`, `mon`); or one of {@linkcode CRON_MACROS}. cron-parser alone takes
 * far more (a 4-field `*\/5 * * *` as "every minute of every fifth hour",
 * `*\/61` as "hourly", `H`, `L`, `#`), so the form is checked here first.
 *
 * @module
 */
import { CronExpressionParser } from "cron-parser";

/** The `@` shorthands accepted besides the field form. */
export const CRON_MACROS: readonly string[] = [
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@hourly",
];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const SECOND: Field = { name: "second", min: 0, max: 59 };
const FIELDS: readonly Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
  },
  // 0 and 7 are both Sunday.
  { name: "day-of-week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

/** What a schedule must look like, for messages. */
export const CRON_EXPECTED =
  'a cron expression of 5 fields (minute hour day-of-month month day-of-week, or 6 with seconds first) such as "*/5 * * * *"';

const ITEM = /^(\*|[0-9]+|[a-z]+)(?:-([0-9]+|[a-z]+))?(?:\/([0-9]+))?$/i;

/** The number `text` stands for in `field`, or a problem. */
function fieldValue(field: Field, text: string): number | string {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  const n = named >= 0 ? named + field.min : /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (Number.isNaN(n)) return `${field.name} ${JSON.stringify(text)} is not a number or name`;
  if (n < field.min || n > field.max) {
    return `${field.name} ${text} is out of range ${field.min}-${field.max}`;
  }
  return n;
}

/** The problem with one comma-separated item of `field`, if any. */
function itemProblem(field: Field, item: string): string | undefined {
  const m = ITEM.exec(item);
  if (!m || (m[1] === "*" && m[2] !== undefined)) {
    return `${field.name} ${JSON.stringify(item)} is not *, n, a-b or a step like */5`;
  }
  const [, lo, hi, step] = m;
  const a = lo === "*" ? field.min : fieldValue(field, lo);
  if (typeof a === "string") return a;
  if (hi !== undefined) {
    const b = fieldValue(field, hi);
    if (typeof b === "string") return b;
    if (b < a) return `${field.name} range ${lo}-${hi} runs backwards`;
  }
  // A step beyond the field's largest value repeats nothing: cron-parser
  // would read */61 as "at minute 0", an hourly sweep nobody asked for.
  if (step !== undefined && (Number(step) < 1 || Number(step) > field.max)) {
    return `${field.name} step ${step} is out of range 1-${field.max}`;
  }
  return undefined;
}

/** The problem with the form of `expr` (field count, values, steps), if any. */
function formProblem(expr: string): string | undefined {
  const text = expr.trim();
  if (text === "") return "empty";
  if (text.startsWith("@")) {
    return CRON_MACROS.includes(text)
      ? undefined
      : `unknown shorthand (expected one of ${CRON_MACROS.join(", ")})`;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) return `${parts.length} fields`;
  const fields = parts.length === 6 ? [SECOND, ...FIELDS] : FIELDS;
  for (let i = 0; i < parts.length; i++) {
    for (const item of parts[i].split(",")) {
      const p = itemProblem(fields[i], item);
      if (p) return p;
    }
  }
  return undefined;
}

/**
 * Check a cron expression and zone the way the daemon will use them (the zone
 * is checked separately: cron-parser accepts unknown zones and fails late).
 *
 * @returns a one-line problem description naming the value and the expected
 * form, or `undefined` when usable
 */
export function cronProblem(expr: string, zone: string): string | undefined {
  const got = `got ${JSON.stringify(expr)}`;
  const form = formProblem(expr);
  if (form) return `expected ${CRON_EXPECTED}, ${got} (${form})`;
  try {
    nextTick(expr, zone, new Date());
    return undefined;
  } catch (e) {
    // What is left is a well-formed expression that never fires (Feb 30).
    return `expected ${CRON_EXPECTED}, ${got} (${(e as Error).message.split("\n")[0]})`;
  }
}

/** The first tick of `expr` in `zone` strictly after `now`. */
export function nextTick(expr: string, zone: string, now: Date): Date {
  return CronExpressionParser.parse(expr, { tz: zone, currentDate: now }).next().toDate();
}

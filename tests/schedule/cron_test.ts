import assert from "node:assert/strict";
import { CRON_EXPECTED, CRON_MACROS, cronProblem, nextTick } from "../../src/schedule/cron.ts";

const ZONE = "America/Chicago";

/** The problem for `expr`, asserting it names the value and the expected form. */
function problem(expr: string): string {
  const p = cronProblem(expr, ZONE);
  assert.ok(p !== undefined, `${JSON.stringify(expr)} was accepted`);
  assert.ok(p.includes(`got ${JSON.stringify(expr)}`), p);
  assert.ok(p.startsWith(`expected ${CRON_EXPECTED}, `), p);
  assert.ok(!p.includes("\n"), p);
  return p;
}

Deno.test("cron: 5-field expressions, names, lists, ranges and steps are accepted", () => {
  for (
    const ok of [
      "*/5 * * * *",
      "0 9 * * *",
      "0,30 8-17 * * mon-fri",
      "0 0 1 jan,JUL *",
      "15 */2 1-15/3 * 0",
      "0 0 * * 7",
      "5/15 * * * *",
      " */5  *  * * * ",
    ]
  ) {
    assert.equal(cronProblem(ok, ZONE), undefined, ok);
  }
});

Deno.test("cron: 6 fields are read with seconds first", () => {
  assert.equal(cronProblem("*/15 * * * * *", ZONE), undefined);
  const now = new Date("2024-01-17T12:00:05Z");
  assert.equal(nextTick("*/15 * * * * *", ZONE, now).toISOString(), "2024-01-17T12:00:15.000Z");
  assert.match(problem("60 * * * * *"), /\(second 60 is out of range 0-59\)$/);
});

Deno.test("cron: the wrong number of fields is an error stating the count", () => {
  // cron-parser reads this as "every minute of every fifth hour".
  assert.match(problem("*/5 * * *"), /\(4 fields\)$/);
  assert.match(problem("*"), /\(1 fields\)$/);
  assert.match(problem("0 0 0 * * * 2024"), /\(7 fields\)$/);
});

Deno.test("cron: an empty or blank schedule is an error", () => {
  assert.match(problem(""), /\(empty\)$/);
  assert.match(problem("   "), /\(empty\)$/);
});

Deno.test("cron: out-of-range values and steps name the field and its range", () => {
  const cases: [string, string][] = [
    ["61 * * * *", "minute 61 is out of range 0-59"],
    ["*/61 * * * *", "minute step 61 is out of range 1-59"],
    ["*/0 * * * *", "minute step 0 is out of range 1-59"],
    ["0 24 * * *", "hour 24 is out of range 0-23"],
    ["0 0 0 * *", "day-of-month 0 is out of range 1-31"],
    ["0 0 32 * *", "day-of-month 32 is out of range 1-31"],
    ["0 0 * 13 *", "month 13 is out of range 1-12"],
    ["0 0 * * 8", "day-of-week 8 is out of range 0-7"],
    ["0 1-20/25 * * *", "hour step 25 is out of range 1-23"],
    ["50-10 * * * *", "minute range 50-10 runs backwards"],
  ];
  for (const [expr, why] of cases) assert.ok(problem(expr).endsWith(`(${why})`), expr);
});

Deno.test("cron: syntax beyond plain cron is refused, naming the item", () => {
  assert.match(problem("H * * * *"), /minute "H" is not a number or name/);
  assert.match(problem("0 0 L * *"), /day-of-month "L" is not a number or name/);
  assert.match(problem("0 0 * * 1#2"), /day-of-week "1#2" is not \*, n, a-b/);
  assert.match(problem("0 0 * foo *"), /month "foo" is not a number or name/);
  assert.match(problem("1,,2 * * * *"), /minute "" is not \*, n, a-b/);
  assert.match(problem("*-5 * * * *"), /minute "\*-5" is not \*, n, a-b/);
});

Deno.test("cron: the classic shorthands are accepted, others refused", () => {
  for (const m of CRON_MACROS) assert.equal(cronProblem(m, ZONE), undefined, m);
  assert.match(problem("@HOURLY"), /unknown shorthand/);
  assert.match(problem("@reboot"), /unknown shorthand \(expected one of @yearly/);
});

Deno.test("cron: a well-formed expression that never fires is refused", () => {
  assert.match(problem("0 0 30 2 *"), /\(.*day of month.*\)$/i);
});

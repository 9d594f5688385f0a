import assert from "node:assert/strict";
import {
  type CalendarOptions,
  DEFAULT_CALENDAR_OPTIONS,
  DEFAULT_POSTING_TIMES,
  type DuePair,
  duePairs,
  expectedPostingTime,
  nextDueAt,
  validateCalendarOptions,
} from "../../src/schedule/calendar.ts";

// Offsets used in the arithmetic below: Chicago is CST = UTC-6 in winter and
// CDT = UTC-5 in summer; in 2026 CDT runs from Sun 2026-03-08 02:00 CST to
// Sun 2026-11-01 02:00 CDT.

const CHICAGO: CalendarOptions = { zone: "America/Chicago", historyDays: 3, graceMinutes: 15 };

function opts(overrides: Partial<CalendarOptions> = {}): CalendarOptions {
  return { ...CHICAGO, ...overrides };
}

function at(iso: string): Date {
  return new Date(iso);
}

/** `gasDay cycleId dueAt` lines: compact and readable in a failed assertion. */
function describe(pairs: DuePair[]): string[] {
  return pairs.map((p) => `${p.gasDay} ${p.cycle.id} ${p.dueAt.toISOString()}`);
}

function iso(d: Date | undefined): string | undefined {
  return d?.toISOString();
}

Deno.test("expectedPostingTime: winter gas day, every cycle in CST", () => {
  const o = opts();
  const cases: [string, string][] = [
    ["timely", "2026-01-14T23:00:00.000Z"], // 01-14 17:00 CST + 6h
    ["evening", "2026-01-15T03:00:00.000Z"], // 01-14 21:00 CST + 6h
    ["intraday1", "2026-01-15T19:00:00.000Z"], // 01-15 13:00 CST + 6h
    ["intraday2", "2026-01-15T23:30:00.000Z"], // 01-15 17:30 CST + 6h
    ["intraday3", "2026-01-16T04:00:00.000Z"], // 01-15 22:00 CST + 6h
    ["final", "2026-01-16T17:00:00.000Z"], // 01-16 11:00 CST + 6h
  ];
  for (const [cycle, want] of cases) {
    assert.equal(
      expectedPostingTime("2026-01-15", cycle as keyof typeof DEFAULT_POSTING_TIMES, o)
        .toISOString(),
      want,
      cycle,
    );
  }
});

Deno.test("expectedPostingTime: summer gas day uses CDT, not a fixed offset", () => {
  const o = opts();
  // 07-14 17:00 CDT + 5h
  assert.equal(iso(expectedPostingTime("2026-07-15", "timely", o)), "2026-07-14T22:00:00.000Z");
  // 07-16 11:00 CDT + 5h
  assert.equal(iso(expectedPostingTime("2026-07-15", "final", o)), "2026-07-16T16:00:00.000Z");
});

Deno.test("expectedPostingTime: spring-forward 2026-03-08 changes the offset mid gas day", () => {
  const o = opts();
  // Timely/Evening of 03-08 are posted on 03-07, still CST.
  assert.equal(iso(expectedPostingTime("2026-03-08", "timely", o)), "2026-03-07T23:00:00.000Z"); // 17:00 CST + 6h
  assert.equal(iso(expectedPostingTime("2026-03-08", "evening", o)), "2026-03-08T03:00:00.000Z"); // 21:00 CST + 6h
  // Intraday 1 on 03-08 is after 02:00, so CDT.
  assert.equal(iso(expectedPostingTime("2026-03-08", "intraday1", o)), "2026-03-08T18:00:00.000Z"); // 13:00 CDT + 5h
  // Final of the 23-hour gas day 03-07 lands on 03-08: 11:00 CDT + 5h, not 17:00Z.
  assert.equal(iso(expectedPostingTime("2026-03-07", "final", o)), "2026-03-08T16:00:00.000Z");
});

Deno.test("expectedPostingTime: fall-back 2026-11-01", () => {
  const o = opts();
  assert.equal(iso(expectedPostingTime("2026-11-01", "timely", o)), "2026-10-31T22:00:00.000Z"); // 10-31 17:00 CDT + 5h
  assert.equal(iso(expectedPostingTime("2026-11-01", "evening", o)), "2026-11-01T02:00:00.000Z"); // 10-31 21:00 CDT + 5h
  assert.equal(iso(expectedPostingTime("2026-11-01", "intraday1", o)), "2026-11-01T19:00:00.000Z"); // 13:00 CST + 6h
  // Final of the 25-hour gas day 10-31: 11-01 11:00 CST + 6h.
  assert.equal(iso(expectedPostingTime("2026-10-31", "final", o)), "2026-11-01T17:00:00.000Z");
});

Deno.test("expectedPostingTime: overrides apply and the default table is untouched", () => {
  const o = opts({ postingTimes: { final: { dayOffset: 1, hour: 9, minute: 0 } } });
  // 01-15 09:00 CST + 6h
  assert.equal(iso(expectedPostingTime("2026-01-14", "final", o)), "2026-01-15T15:00:00.000Z");
  assert.deepEqual(DEFAULT_POSTING_TIMES.final, { dayOffset: 1, hour: 11, minute: 0 });
  assert.equal(iso(expectedPostingTime("2026-01-14", "final", opts())), "2026-01-15T17:00:00.000Z");
});

Deno.test("expectedPostingTime: rejects a malformed gas day and a bad zone", () => {
  assert.throws(() => expectedPostingTime("2026-02-30", "timely", opts()), RangeError);
  assert.throws(() => expectedPostingTime("01/15/2026", "timely", opts()), RangeError);
  assert.throws(
    () => expectedPostingTime("2026-01-15", "timely", { zone: "America/Chicgo" }),
    /zone/,
  );
});

Deno.test("duePairs: gas day boundary at 9:00 am Central (08:59 vs 09:00 CST)", () => {
  const o = opts({ historyDays: 0, cycles: ["intraday3"] });
  // 2026-01-16T14:59Z = 01-16 08:59 CST: gas day 01-15 is still in progress, so its
  // Intraday 3 (01-15 22:00 CST + 15 min = 01-16T04:15Z) is in the window.
  assert.deepEqual(describe(duePairs(at("2026-01-16T14:59:00Z"), o)), [
    "2026-01-15 intraday3 2026-01-16T04:15:00.000Z",
  ]);
  // 15:00Z = 09:00 CST: gas day 01-16 starts, 01-15 leaves a 0-day history.
  assert.deepEqual(describe(duePairs(at("2026-01-16T15:00:00Z"), o)), []);
});

Deno.test("duePairs: boundary on spring-forward day uses CDT (14:00Z, not 15:00Z)", () => {
  const o = opts({ historyDays: 0, cycles: ["timely"] });
  // 2026-03-08T13:59Z = 08:59 CDT: gas day 03-07, window 03-07..03-08.
  // Timely 03-07 = 03-06 17:00 CST + 6h + 15 min; Timely 03-08 = 03-07 17:00 CST + 6h + 15 min.
  assert.deepEqual(describe(duePairs(at("2026-03-08T13:59:00Z"), o)), [
    "2026-03-07 timely 2026-03-06T23:15:00.000Z",
    "2026-03-08 timely 2026-03-07T23:15:00.000Z",
  ]);
  // 14:00Z = 09:00 CDT: gas day 03-08, window 03-08..03-09; Timely 03-09 is due at
  // 03-08 17:00 CDT + 5h + 15 min = 22:15Z, later than now.
  assert.deepEqual(describe(duePairs(at("2026-03-08T14:00:00Z"), o)), [
    "2026-03-08 timely 2026-03-07T23:15:00.000Z",
  ]);
});

Deno.test("duePairs: boundary on fall-back day uses CST (15:00Z, not 14:00Z)", () => {
  const o = opts({ historyDays: 0, cycles: ["intraday3"] });
  // Intraday 3 of 10-31: 10-31 22:00 CDT + 5h + 15 min = 11-01T03:15Z.
  const id3 = "2026-10-31 intraday3 2026-11-01T03:15:00.000Z";
  // 14:30Z = 08:30 CST (a fixed CDT offset would say 09:30): still gas day 10-31.
  assert.deepEqual(describe(duePairs(at("2026-11-01T14:30:00Z"), o)), [id3]);
  // 14:59Z = 08:59 CST: still 10-31.
  assert.deepEqual(describe(duePairs(at("2026-11-01T14:59:00Z"), o)), [id3]);
  // 15:00Z = 09:00 CST: gas day 11-01; 10-31 is out of a 0-day history.
  assert.deepEqual(describe(duePairs(at("2026-11-01T15:00:00Z"), o)), []);
});

Deno.test("duePairs: Final becomes due on the next day, at posting + grace inclusive", () => {
  const o = opts({ historyDays: 1, cycles: ["final"] });
  // 01-15T17:14:59Z is gas day 01-15, window 01-14..01-16. Final of 01-14 is due at
  // 01-15 11:00 CST + 6h + 15 min = 01-15T17:15Z; Final of 01-13 is outside the window.
  assert.deepEqual(describe(duePairs(at("2026-01-15T17:14:59Z"), o)), []);
  assert.deepEqual(describe(duePairs(at("2026-01-15T17:15:00Z"), o)), [
    "2026-01-14 final 2026-01-15T17:15:00.000Z",
  ]);
});

Deno.test("duePairs: tomorrow's Timely and Evening are due the evening before", () => {
  const o = opts({ historyDays: 0, cycles: ["timely", "evening"] });
  // Now in gas day 01-14 (CST). Timely 01-15 = 01-14 17:00 CST + 6h + 15 min = 23:15Z.
  assert.deepEqual(describe(duePairs(at("2026-01-14T23:14:00Z"), o)), [
    "2026-01-14 timely 2026-01-13T23:15:00.000Z",
    "2026-01-14 evening 2026-01-14T03:15:00.000Z",
  ]);
  assert.deepEqual(describe(duePairs(at("2026-01-14T23:15:00Z"), o)).slice(2), [
    "2026-01-15 timely 2026-01-14T23:15:00.000Z",
  ]);
  // Evening 01-15 = 01-14 21:00 CST + 6h + 15 min = 01-15T03:15Z, before the gas day starts.
  assert.deepEqual(describe(duePairs(at("2026-01-15T03:15:00Z"), o)).slice(2), [
    "2026-01-15 timely 2026-01-14T23:15:00.000Z",
    "2026-01-15 evening 2026-01-15T03:15:00.000Z",
  ]);
});

Deno.test("duePairs: historyDays window edges", () => {
  const o = opts({ historyDays: 2 });
  // 2026-01-15T18:00Z = 12:00 CST, gas day 01-15: window 01-13..01-16.
  const noon = describe(duePairs(at("2026-01-15T18:00:00Z"), o));
  // 01-13: all 6 (its Final was due 01-14T17:15Z); 01-14: all 6 (Final due
  // 01-15T17:15Z <= 18:00Z); 01-15: Timely, Evening (Intraday 1 due 19:15Z);
  // 01-16: none (Timely due 01-15T23:15Z).
  assert.equal(noon.length, 14);
  assert.equal(noon[0], "2026-01-13 timely 2026-01-12T23:15:00.000Z");
  assert.equal(noon[11], "2026-01-14 final 2026-01-15T17:15:00.000Z");
  assert.deepEqual(noon.slice(12), [
    "2026-01-15 timely 2026-01-14T23:15:00.000Z",
    "2026-01-15 evening 2026-01-15T03:15:00.000Z",
  ]);
  assert.ok(!noon.some((l) => l.startsWith("2026-01-12")), "01-12 is past the history");

  // 14:59Z = 08:59 CST, gas day 01-14: window 01-12..01-15.
  // 01-12: 6, 01-13: 6, 01-14: 5 (Final due 01-15T17:15Z), 01-15: Timely, Evening.
  const early = describe(duePairs(at("2026-01-15T14:59:00Z"), o));
  assert.equal(early.length, 19);
  assert.equal(early[0], "2026-01-12 timely 2026-01-11T23:15:00.000Z");
  assert.equal(early[5], "2026-01-12 final 2026-01-13T17:15:00.000Z");
  assert.ok(!early.includes("2026-01-14 final 2026-01-15T17:15:00.000Z"));
});

Deno.test("duePairs: cycles restriction, posting order, Cycle objects from the table", () => {
  const o = opts({ historyDays: 1, cycles: ["final", "intraday1", "final"] });
  // 2026-01-15T18:00Z, gas day 01-15, window 01-14..01-16.
  const pairs = duePairs(at("2026-01-15T18:00:00Z"), o);
  assert.deepEqual(describe(pairs), [
    "2026-01-14 intraday1 2026-01-14T19:15:00.000Z", // 13:00 CST + 6h + 15 min
    "2026-01-14 final 2026-01-15T17:15:00.000Z", // 01-15 11:00 CST + 6h + 15 min
  ]);
  assert.equal(pairs[1].cycle.code, 5);
  assert.equal(pairs[0].cycle.label, "Intraday 1");
});

Deno.test("duePairs: grace is an absolute delay after the posting time", () => {
  const now = at("2026-01-15T19:00:00Z"); // exactly Intraday 1 of 01-15 (13:00 CST + 6h)
  const lastOf = (graceMinutes: number) =>
    describe(duePairs(now, opts({ historyDays: 0, cycles: ["intraday1"], graceMinutes }))).at(-1);
  assert.equal(lastOf(0), "2026-01-15 intraday1 2026-01-15T19:00:00.000Z");
  assert.equal(lastOf(1), undefined);
});

Deno.test("duePairs: within a gas day, order follows overridden posting times", () => {
  // Intraday 1 moved to 12:00 the day before, ahead of Timely (17:00 the day before),
  // the reverse of the table order.
  const o = opts({
    historyDays: 0,
    cycles: ["timely", "intraday1"],
    postingTimes: { intraday1: { dayOffset: -1, hour: 12, minute: 0 } },
  });
  // 2026-01-15T18:15Z = 12:15 CST, gas day 01-15, window 01-15..01-16.
  assert.deepEqual(describe(duePairs(at("2026-01-15T18:15:00Z"), o)), [
    "2026-01-15 intraday1 2026-01-14T18:15:00.000Z", // 01-14 12:00 CST + 6h + 15 min
    "2026-01-15 timely 2026-01-14T23:15:00.000Z", // 01-14 17:00 CST + 6h + 15 min
    "2026-01-16 intraday1 2026-01-15T18:15:00.000Z", // 01-15 12:00 CST + 6h + 15 min
  ]);
});

Deno.test("nextDueAt: next instant, strictly after now, including tomorrow's Timely", () => {
  const o = opts();
  // 12:00 CST on 01-15: Intraday 1 of 01-15 at 13:00 CST + 6h + 15 min.
  assert.equal(iso(nextDueAt(at("2026-01-15T18:00:00Z"), o)), "2026-01-15T19:15:00.000Z");
  // At that instant it is no longer "next": Timely 01-16 (01-15 17:00 CST + 6h + 15 min)
  // precedes Intraday 2 of 01-15 (23:45Z).
  assert.equal(iso(nextDueAt(at("2026-01-15T19:15:00Z"), o)), "2026-01-15T23:15:00.000Z");
  // After Intraday 3 of 01-15 (01-16T04:15Z): Final of 01-15, 01-16 11:00 CST + 6h + 15 min.
  assert.equal(iso(nextDueAt(at("2026-01-16T04:15:00Z"), o)), "2026-01-16T17:15:00.000Z");
});

Deno.test("nextDueAt: across spring-forward and with a cycles restriction", () => {
  const o = opts({ cycles: ["evening", "intraday1"] });
  // 03-07 17:30 CST: Evening of 03-08 at 03-07 21:00 CST + 6h + 15 min.
  assert.equal(iso(nextDueAt(at("2026-03-07T23:30:00Z"), o)), "2026-03-08T03:15:00.000Z");
  // Then Intraday 1 of 03-08, 13:00 CDT + 5h + 15 min.
  assert.equal(iso(nextDueAt(at("2026-03-08T03:15:00Z"), o)), "2026-03-08T18:15:00.000Z");
});

Deno.test("nextDueAt: the next due pair is always a member of duePairs at that instant", () => {
  const o = opts({ historyDays: 1 });
  let now = at("2026-10-29T12:00:00Z");
  for (let i = 0; i < 40; i++) {
    const next = nextDueAt(now, o);
    assert.ok(next, `a next due time after ${now.toISOString()}`);
    const fresh = (p: DuePair) => p.dueAt.getTime() === next.getTime();
    assert.ok(duePairs(next, o).some(fresh), `a pair falls due at ${next.toISOString()}`);
    assert.ok(!duePairs(new Date(next.getTime() - 1), o).some(fresh));
    now = next;
  }
  // 40 steps of at most 6 per day starting 10-29 must cross the fall-back day.
  assert.ok(now > at("2026-11-02T00:00:00Z"), now.toISOString());
});

Deno.test("why the reach check allows an hour: a grace spanning spring-forward", () => {
  // Intraday 3 of 03-07: 22:00 CST + 6h = 03-08T04:00Z; + 630 min = 14:30Z = 09:30 CDT,
  // already gas day 03-08 although 22:00 + 10.5 h reads 08:30 on the wall.
  const o = opts({ historyDays: 1, cycles: ["intraday3"], graceMinutes: 630 });
  assert.deepEqual(describe(duePairs(at("2026-03-08T14:30:00Z"), o)), [
    "2026-03-07 intraday3 2026-03-08T14:30:00.000Z",
  ]);
  assert.match(validateCalendarOptions({ ...o, historyDays: 0 })[0], /^historyDays: 0/);
});

Deno.test("nextDueAt: looks two gas days ahead when only Timely is polled", () => {
  const o = opts({ cycles: ["timely"] });
  // At 01-15 17:15 CST, Timely of 01-16 has just fallen due; the next is Timely of
  // 01-17 at 01-16 17:00 CST + 6h + 15 min, two gas days past the current one.
  assert.equal(iso(nextDueAt(at("2026-01-15T23:15:00Z"), o)), "2026-01-16T23:15:00.000Z");
});

Deno.test("validateCalendarOptions: defaults and realistic configs are clean", () => {
  assert.deepEqual(validateCalendarOptions({ ...DEFAULT_CALENDAR_OPTIONS }), []);
  assert.deepEqual(validateCalendarOptions(opts({ historyDays: 0, cycles: ["timely"] })), []);
  assert.deepEqual(
    validateCalendarOptions(
      opts({ zone: "UTC", postingTimes: { final: DEFAULT_POSTING_TIMES.final } }),
    ),
    [],
  );
});

Deno.test("validateCalendarOptions: bad zone rejected, and duePairs refuses it", () => {
  const bad = opts({ zone: "America/Chicgo" });
  const problems = validateCalendarOptions(bad);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^zone: "America\/Chicgo" is not a known IANA time zone/);
  assert.throws(() => duePairs(at("2026-01-15T18:00:00Z"), bad), /America\/Chicgo/);
  assert.throws(() => nextDueAt(at("2026-01-15T18:00:00Z"), bad), RangeError);
  assert.match(validateCalendarOptions(opts({ zone: "" }))[0], /^zone: /);
});

Deno.test("validateCalendarOptions: each problem names its key", () => {
  const problems = validateCalendarOptions({
    zone: "America/Chicago",
    historyDays: -1,
    graceMinutes: Number.NaN,
    cycles: ["timely", "intraday9" as "timely"],
    postingTimes: {
      timely: { dayOffset: -1, hour: 24, minute: 0 },
      evening: { dayOffset: 0.5, hour: 21, minute: 60 },
    },
  });
  const keys = problems.map((p) => p.slice(0, p.indexOf(":")));
  assert.deepEqual(keys.sort(), [
    "cycles",
    "graceMinutes",
    "historyDays",
    "postingTimes.evening.dayOffset",
    "postingTimes.evening.minute",
    "postingTimes.timely.hour",
  ]);
  assert.ok(problems.some((p) => p.includes("expected an integer 0-23")));
  assert.ok(problems.some((p) => p.includes('"intraday9"')));
});

Deno.test("validateCalendarOptions: cycles that the window could never reach", () => {
  // Final of D becomes due on gas day D+1, so a 0-day history never sees it.
  const noHistory = validateCalendarOptions(opts({ historyDays: 0 }));
  assert.deepEqual(noHistory.length, 1);
  assert.match(noHistory[0], /^historyDays: 0 is too small for cycle "final".*at least 1$/);
  assert.throws(() => duePairs(at("2026-01-15T18:00:00Z"), opts({ historyDays: 0 })), /final/);
  // Intraday 3 at 22:00 + 600 min grace = 08:00 next day on the wall, but a
  // spring-forward change inside the grace makes it 09:00, gas day D+1; 599 min can
  // reach 08:59 at most.
  const id3 = (graceMinutes: number) =>
    validateCalendarOptions(opts({ historyDays: 0, cycles: ["intraday3"], graceMinutes }));
  assert.match(id3(600)[0], /^historyDays: 0 is too small for cycle "intraday3"/);
  assert.deepEqual(id3(599), []);
  // With no grace the posting time is its own wall time and nothing can shift it:
  // Final moved to 08:59 on D+1 is still inside gas day D.
  const lateFinal = { dayOffset: 1, hour: 8, minute: 59 };
  assert.deepEqual(
    validateCalendarOptions(
      opts({ historyDays: 0, graceMinutes: 0, postingTimes: { final: lateFinal } }),
    ),
    [],
  );
  // Two days early is before the window looks ahead.
  assert.match(
    validateCalendarOptions(
      opts({ postingTimes: { timely: { dayOffset: -2, hour: 17, minute: 0 } } }),
    )[
      0
    ],
    /^postingTimes\.timely: /,
  );
  assert.match(validateCalendarOptions(opts({ cycles: [] }))[0], /^cycles: the list is empty/);
});

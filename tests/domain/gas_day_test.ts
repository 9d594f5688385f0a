import assert from "node:assert/strict";
import {
  addDays,
  daysBetween,
  explainBadDate,
  GAS_DAY_START_HOUR,
  gasDayAt,
  isTimeZone,
  largestShiftMinutes,
  parseGasDay,
  timeZoneProblem,
  toIpostDate,
  wallTime,
  zonedInstant,
  zoneOffsetMinutes,
} from "../../src/domain/gas_day.ts";

const CHICAGO = "America/Chicago";

Deno.test("parseGasDay: YYYY-MM-DD and MM/DD/YYYY", () => {
  assert.equal(parseGasDay("2024-01-17"), "2024-01-17");
  assert.equal(parseGasDay("01/17/2024"), "2024-01-17");
  assert.equal(parseGasDay("1/7/2024"), "2024-01-07");
  assert.equal(parseGasDay(" 2024-01-17 "), "2024-01-17");
  assert.equal(parseGasDay("2024-02-29"), "2024-02-29");
  assert.equal(parseGasDay("02/29/2024"), "2024-02-29");
  assert.equal(parseGasDay("2000-02-29"), "2000-02-29");
});

Deno.test("parseGasDay: impossible or malformed dates are undefined", () => {
  for (
    const bad of [
      "2024-02-30",
      "2023-02-29",
      "1900-02-29",
      "2024-13-01",
      "2024-00-10",
      "2024-04-31",
      "13/01/2024",
      "00/10/2024",
      "2024-1-17",
      "17.01.2024",
      "2024/01/17",
      "01/17/24",
      "",
      "tomorrow",
    ]
  ) {
    assert.equal(parseGasDay(bad), undefined, bad);
  }
});

Deno.test("toIpostDate writes MM/DD/YYYY", () => {
  assert.equal(toIpostDate("2024-01-17"), "01/17/2024");
  assert.equal(toIpostDate("2025-12-03"), "12/03/2025");
});

Deno.test("addDays across month, year and leap day", () => {
  assert.equal(addDays("2024-01-31", 1), "2024-02-01");
  assert.equal(addDays("2023-12-31", 1), "2024-01-01");
  assert.equal(addDays("2024-01-01", -1), "2023-12-31");
  assert.equal(addDays("2024-02-28", 1), "2024-02-29");
  assert.equal(addDays("2024-02-29", 1), "2024-03-01");
  assert.equal(addDays("2023-02-28", 1), "2023-03-01");
  assert.equal(addDays("2024-03-01", -1), "2024-02-29");
  assert.equal(addDays("2023-03-01", -1), "2023-02-28");
  assert.equal(addDays("2024-01-17", 0), "2024-01-17");
  assert.equal(addDays("2024-01-17", 366), "2025-01-17");
  // Across a DST change the date still moves by exactly one.
  assert.equal(addDays("2026-03-07", 1), "2026-03-08");
  assert.equal(addDays("2026-11-01", 1), "2026-11-02");
});

Deno.test("daysBetween", () => {
  assert.equal(daysBetween("2024-02-28", "2024-03-01"), 2);
  assert.equal(daysBetween("2024-01-17", "2024-01-14"), -3);
  assert.equal(daysBetween("2026-03-01", "2026-03-31"), 30);
});

Deno.test("gas days start at 9:00 Central", () => {
  assert.equal(GAS_DAY_START_HOUR, 9);
});

Deno.test("gasDayAt in winter (CST, UTC-6): 8:59 is the previous gas day, 9:00 the new one", () => {
  assert.equal(gasDayAt(new Date("2024-01-17T14:59:00Z"), CHICAGO), "2024-01-16");
  assert.equal(gasDayAt(new Date("2024-01-17T14:59:59.999Z"), CHICAGO), "2024-01-16");
  assert.equal(gasDayAt(new Date("2024-01-17T15:00:00Z"), CHICAGO), "2024-01-17");
  // Midnight Central (06:00Z) is still the previous gas day.
  assert.equal(gasDayAt(new Date("2024-01-17T06:00:00Z"), CHICAGO), "2024-01-16");
  // 23:30 Central on the 17th is 05:30Z on the 18th: gas day 17.
  assert.equal(gasDayAt(new Date("2024-01-18T05:30:00Z"), CHICAGO), "2024-01-17");
  // Across the year boundary.
  assert.equal(gasDayAt(new Date("2024-01-01T14:59:00Z"), CHICAGO), "2023-12-31");
});

Deno.test("gasDayAt in summer (CDT, UTC-5): 8:59 is the previous gas day, 9:00 the new one", () => {
  assert.equal(gasDayAt(new Date("2024-07-17T13:59:00Z"), CHICAGO), "2024-07-16");
  assert.equal(gasDayAt(new Date("2024-07-17T14:00:00Z"), CHICAGO), "2024-07-17");
  // 14:30Z is 9:30 CDT (a fixed UTC-6 would say 8:30 and the wrong day).
  assert.equal(gasDayAt(new Date("2024-07-17T14:30:00Z"), CHICAGO), "2024-07-17");
});

Deno.test("wallTime and zoneOffsetMinutes in Chicago", () => {
  assert.deepEqual(wallTime(new Date("2024-01-17T15:00:00Z"), CHICAGO), {
    date: "2024-01-17",
    hour: 9,
    minute: 0,
  });
  assert.deepEqual(wallTime(new Date("2024-07-18T04:59:00Z"), CHICAGO), {
    date: "2024-07-17",
    hour: 23,
    minute: 59,
  });
  assert.equal(zoneOffsetMinutes(new Date("2024-01-17T15:00:00Z"), CHICAGO), -360);
  assert.equal(zoneOffsetMinutes(new Date("2024-07-17T15:00:00Z"), CHICAGO), -300);
  assert.equal(zoneOffsetMinutes(new Date("2024-07-17T15:00:00Z"), "UTC"), 0);
});

Deno.test("zonedInstant: ordinary winter and summer times", () => {
  assert.equal(zonedInstant("2024-01-17", 9, 0, CHICAGO).toISOString(), "2024-01-17T15:00:00.000Z");
  assert.equal(zonedInstant("2024-07-17", 9, 0, CHICAGO).toISOString(), "2024-07-17T14:00:00.000Z");
  assert.equal(
    zonedInstant("2024-01-16", 17, 0, CHICAGO).toISOString(),
    "2024-01-16T23:00:00.000Z",
  );
  assert.equal(zonedInstant("2024-07-17", 0, 0, "UTC").toISOString(), "2024-07-17T00:00:00.000Z");
});

Deno.test("zonedInstant: spring forward, 2026-03-08 02:30 does not exist in Chicago", () => {
  // Clocks go 01:59:59 CST (UTC-6) -> 03:00 CDT (UTC-5) on 2026-03-08.
  assert.equal(
    zonedInstant("2026-03-08", 1, 59, CHICAGO).toISOString(),
    "2026-03-08T07:59:00.000Z",
  );
  // 02:30 maps to the same instant as one hour later, 03:30 CDT = 08:30Z.
  assert.equal(
    zonedInstant("2026-03-08", 2, 30, CHICAGO).toISOString(),
    "2026-03-08T08:30:00.000Z",
  );
  assert.equal(zonedInstant("2026-03-08", 3, 0, CHICAGO).toISOString(), "2026-03-08T08:00:00.000Z");
  assert.equal(zonedInstant("2026-03-08", 9, 0, CHICAGO).toISOString(), "2026-03-08T14:00:00.000Z");
});

Deno.test("zonedInstant: fall back, 2026-11-01 01:30 is ambiguous: the first (CDT) occurrence", () => {
  // Clocks go 01:59:59 CDT (UTC-5) -> 01:00 CST (UTC-6) on 2026-11-01.
  assert.equal(
    zonedInstant("2026-11-01", 0, 30, CHICAGO).toISOString(),
    "2026-11-01T05:30:00.000Z",
  );
  assert.equal(
    zonedInstant("2026-11-01", 1, 30, CHICAGO).toISOString(),
    "2026-11-01T06:30:00.000Z",
  );
  assert.equal(zonedInstant("2026-11-01", 1, 0, CHICAGO).toISOString(), "2026-11-01T06:00:00.000Z");
  assert.equal(zonedInstant("2026-11-01", 2, 0, CHICAGO).toISOString(), "2026-11-01T08:00:00.000Z");
  assert.equal(zonedInstant("2026-11-01", 9, 0, CHICAGO).toISOString(), "2026-11-01T15:00:00.000Z");
});

Deno.test("zonedInstant: DST gaps and overlaps elsewhere (London, Sydney)", () => {
  // London 2026-03-29: 01:00 GMT -> 02:00 BST; 01:30 does not exist -> 01:30Z.
  assert.equal(
    zonedInstant("2026-03-29", 1, 30, "Europe/London").toISOString(),
    "2026-03-29T01:30:00.000Z",
  );
  // London 2026-10-25: 01:30 occurs twice; first is BST (UTC+1) -> 00:30Z.
  assert.equal(
    zonedInstant("2026-10-25", 1, 30, "Europe/London").toISOString(),
    "2026-10-25T00:30:00.000Z",
  );
  // Sydney 2026-04-05: 02:30 occurs twice; first is AEDT (UTC+11) -> 15:30Z the day before.
  assert.equal(
    zonedInstant("2026-04-05", 2, 30, "Australia/Sydney").toISOString(),
    "2026-04-04T15:30:00.000Z",
  );
});

Deno.test("isTimeZone", () => {
  assert.equal(isTimeZone("America/Chicago"), true);
  assert.equal(isTimeZone("UTC"), true);
  assert.equal(isTimeZone("Europe/London"), true);
  assert.equal(isTimeZone("Mars/Base"), false);
  assert.equal(isTimeZone("CST-6-garbage"), false);
  assert.equal(isTimeZone(""), false);
});

Deno.test("isTimeZone: Region/City names and UTC, in any spelling Intl knows", () => {
  for (
    const z of [
      "Etc/UTC",
      "Etc/GMT",
      "GMT",
      "utc",
      "America/Argentina/Buenos_Aires",
      "America/Port-au-Prince",
      "US/Central",
    ]
  ) {
    assert.equal(isTimeZone(z), true, z);
    assert.equal(timeZoneProblem(z), undefined, z);
  }
});

Deno.test("timeZoneProblem: fixed offsets are refused because the gas day follows DST", () => {
  // Intl accepts the first four; none of them changes with daylight saving.
  for (const z of ["+05:00", "-0600", "-06", "Etc/GMT+6", "GMT+5", "UTC-06:00"]) {
    const p = timeZoneProblem(z);
    assert.ok(p, `${z} was accepted`);
    assert.ok(p.includes(`got ${JSON.stringify(z)}`), p);
    assert.match(p, /^expected an IANA time zone name such as America\/Chicago, /);
    assert.match(p, /a fixed UTC offset: the gas day follows daylight saving time/);
    assert.equal(isTimeZone(z), false, z);
  }
});

Deno.test("timeZoneProblem: abbreviations Intl guesses at are refused", () => {
  // ICU resolves these to America/Chicago, America/Panama (no DST!) and Asia/Dhaka.
  for (const z of ["CST", "EST", "BST", "CST6CDT", "Zulu"]) {
    const p = timeZoneProblem(z);
    assert.ok(p, `${z} was accepted`);
    assert.match(p, /\(Region\/City, or UTC\), got "[A-Za-z0-9]+": an abbreviation/);
  }
});

Deno.test("timeZoneProblem: unknown names say only what was expected", () => {
  assert.equal(
    timeZoneProblem("Mars/Base"),
    'expected an IANA time zone name such as America/Chicago, got "Mars/Base"',
  );
  assert.equal(
    timeZoneProblem(""),
    'expected an IANA time zone name such as America/Chicago, got ""',
  );
});

Deno.test("explainBadDate: a date that does not exist says why", () => {
  const cases: [string, string][] = [
    ["2024-02-30", '"2024-02-30" is not a date: February 2024 has 29 days'],
    ["02/30/2024", '"02/30/2024" is not a date: February 2024 has 29 days'],
    ["2023-02-29", '"2023-02-29" is not a date: February 2023 has 28 days'],
    ["1900-02-29", '"1900-02-29" is not a date: February 1900 has 28 days'],
    ["2024-04-31", '"2024-04-31" is not a date: April 2024 has 30 days'],
    [" 2024-04-31 ", '"2024-04-31" is not a date: April 2024 has 30 days'],
    ["2024-02-00", '"2024-02-00" is not a date: days of the month start at 1'],
    ["2024-13-01", '"2024-13-01" is not a date: there is no month 13 (months are 1 to 12)'],
    ["2024-00-10", '"2024-00-10" is not a date: there is no month 0 (months are 1 to 12)'],
    [
      "17/01/2024",
      '"17/01/2024" is not a date: there is no month 17 (months are 1 to 12; MM/DD/YYYY puts the month first)',
    ],
    ["0099-01-01", '"0099-01-01" is not a date: year 99 is before the year 100'],
  ];
  for (const [text, why] of cases) {
    assert.equal(parseGasDay(text), undefined, text);
    assert.equal(explainBadDate(text), why);
  }
});

Deno.test("explainBadDate: text of neither form names both forms", () => {
  for (const bad of ["2024/01/17", "2024-1-17", "01/17/24", "tomorrow", ""]) {
    assert.equal(
      explainBadDate(bad),
      `expected a date as YYYY-MM-DD or MM/DD/YYYY, got ${JSON.stringify(bad)}`,
    );
  }
});

Deno.test("explainBadDate: a real date has nothing to explain", () => {
  for (const ok of ["2024-02-29", "02/29/2024", "1/7/2024", "2000-02-29"]) {
    assert.equal(explainBadDate(ok), undefined, ok);
  }
});

// The hand-written zone arithmetic this module used before Temporal, kept as
// an oracle: for Chicago it was right, and the new code must agree with it.
const oracleFormat = new Intl.DateTimeFormat("en-US", {
  timeZone: CHICAGO,
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
function oracleWall(instant: Date) {
  const p: Record<string, string> = {};
  for (const x of oracleFormat.formatToParts(instant)) p[x.type] = x.value;
  return { date: `${p.year}-${p.month}-${p.day}`, hour: Number(p.hour), minute: Number(p.minute) };
}

Deno.test("Temporal: wallTime and gasDayAt agree with the Intl oracle on every Chicago quarter hour of 2024-2026", () => {
  const start = Date.parse("2024-01-01T00:00:00Z");
  const end = Date.parse("2027-01-01T00:00:00Z");
  let checked = 0;
  for (let t = start; t < end; t += 15 * 60_000) {
    const instant = new Date(t);
    const o = oracleWall(instant);
    assert.deepEqual(wallTime(instant, CHICAGO), o);
    assert.equal(gasDayAt(instant, CHICAGO), o.hour < 9 ? addDays(o.date, -1) : o.date);
    checked++;
  }
  assert.equal(checked, 3 * 365 * 96 + 96, "every quarter hour, 2024 being a leap year");
});

Deno.test("Temporal: zonedInstant gives back its wall time on every Chicago day of 2024-2026, DST nights included", () => {
  for (let day = "2024-01-01"; day < "2027-01-01"; day = addDays(day, 1)) {
    for (const [h, m] of [[1, 30], [2, 30], [9, 0], [17, 0], [21, 0], [22, 0]]) {
      const instant = zonedInstant(day, h, m, CHICAGO);
      const back = oracleWall(instant);
      const skipped = back.hour !== h || back.minute !== m;
      if (skipped) {
        // Only 2:xx on a spring-forward night: moved on by the hour that does not exist.
        assert.equal(h, 2, `${day} ${h}:${m}`);
        assert.deepEqual(back, { date: day, hour: 3, minute: m });
      } else {
        assert.deepEqual(back, { date: day, hour: h, minute: m });
        // The earlier of two readings on a fall-back night.
        const hourBefore = oracleWall(new Date(instant.getTime() - 3_600_000));
        assert.ok(!(hourBefore.date === day && hourBefore.hour === h && hourBefore.minute === m));
      }
    }
  }
});

Deno.test("Temporal: half-hour DST (Lord Howe Island) is resolved by its own shift", () => {
  const zone = "Australia/Lord_Howe";
  // 2024-10-06 02:00 becomes 02:30 (+10:30 to +11): 02:15 does not exist, moved on by 30 min.
  const skipped = zonedInstant("2024-10-06", 2, 15, zone);
  assert.deepEqual(wallTime(skipped, zone), { date: "2024-10-06", hour: 2, minute: 45 });
  assert.equal(zoneOffsetMinutes(skipped, zone), 660);
  // 2024-04-07 02:00 goes back to 01:30: 01:45 happens twice, the first (+11) is taken.
  const repeated = zonedInstant("2024-04-07", 1, 45, zone);
  assert.equal(repeated.toISOString(), "2024-04-06T14:45:00.000Z");
  assert.equal(zoneOffsetMinutes(repeated, zone), 660);
  assert.equal(largestShiftMinutes(zone), 30);
  assert.equal(largestShiftMinutes(CHICAGO), 60);
  assert.equal(largestShiftMinutes("UTC"), 0);
});

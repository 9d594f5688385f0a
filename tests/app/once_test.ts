/**
 * `--once` without a gas day or cycle (the calendar's window), and the
 * per-host request budget in one-shot runs.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { pairKey, startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readFixture, writeConfig } from "../support/env.ts";
import type { Clock } from "../../src/daemon/clock.ts";
import { duePairs } from "../../src/schedule/calendar.ts";

/** A clock stopped at `at` whose sleeps return at once and are recorded. */
function stoppedClock(at: Date): Clock & { slept: number[] } {
  const slept: number[] = [];
  return { now: () => at, sleep: (ms) => (slept.push(ms), Promise.resolve()), slept };
}

async function harness(rpm = "6000") {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tec-once-" });
  const config = await writeConfig(dir, { requests_per_minute: rpm });
  const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir: dir });
  return {
    fake,
    t,
    run: (argv: string[], clock: Clock) =>
      main(["--config", config, ...argv], { env, clock, logWrite: () => {} }),
    async done() {
      await fake.close();
      await t.drop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

// 2024-01-17 20:00 UTC = 14:00 CST: Intraday 1 of gas day 2024-01-17 is due
// (13:00 + 15 min grace), Intraday 2 (17:30) is not, nor tomorrow's Timely (17:00).
const NOW = new Date("2024-01-17T20:00:00Z");

Deno.test("once: no gasDay or cycle loads what the calendar says is due now, and exits 0", async () => {
  const h = await harness();
  try {
    const body = await readFixture("tw_good_8rows.csv");
    h.fake.setDefault(() => ({ kind: "csv", body }));
    const code = await h.run(["--once"], stoppedClock(NOW));
    assert.equal(code, 0);
    const due = duePairs(NOW, { zone: "America/Chicago", historyDays: 3, graceMinutes: 15 });
    const expected = due.map((p) => pairKey("TW", p.gasDay, p.cycle.code)).sort();
    assert.deepEqual(h.fake.requests.map((r) => r.key).sort(), expected);
    assert.ok(expected.includes(pairKey("TW", "2024-01-16", 5)), "yesterday's Final");
    assert.ok(expected.includes(pairKey("TW", "2024-01-17", 3)), "today's Intraday 1");
    assert.ok(!expected.includes(pairKey("TW", "2024-01-17", 4)), "not Intraday 2 before 17:30");
    const [{ n }] = await h.t.db.query<{ n: number }>(
      "SELECT count(DISTINCT (gas_day, cycle))::int AS n FROM staging.operational_capacity",
    );
    assert.equal(n, expected.length);
  } finally {
    await h.done();
  }
});

Deno.test("once: the window's exit status says a pair is not posted yet (3) until it is loaded", async () => {
  const h = await harness();
  try {
    const body = await readFixture("tw_good_8rows.csv");
    const late = pairKey("TW", "2024-01-17", 3);
    let posted = false;
    h.fake.setDefault((k) =>
      k === late && !posted ? { kind: "header_only" } : { kind: "csv", body }
    );
    assert.equal(await h.run(["--once"], stoppedClock(NOW)), 3);
    const asked = h.fake.requests.length;
    // At the same instant nothing is due again: no request, and still 3.
    assert.equal(await h.run(["--once"], stoppedClock(NOW)), 3);
    assert.equal(h.fake.requests.length, asked, "the daemon's back-off holds for --once too");
    posted = true;
    // Ten minutes later the re-probe is due; loaded pairs are not re-fetched before their re-check.
    assert.equal(await h.run(["--once"], stoppedClock(new Date(NOW.getTime() + 600_000))), 0);
    assert.deepEqual(h.fake.requests.slice(asked).map((r) => r.key), [late]);
  } finally {
    await h.done();
  }
});

Deno.test("once: requests to one host are spaced to requests_per_minute", async () => {
  const h = await harness("30");
  try {
    const body = await readFixture("tw_good_8rows.csv");
    h.fake.setDefault(() => ({ kind: "csv", body }));
    const clock = stoppedClock(NOW);
    const code = await h.run(
      ["--once", "--params", "gasDay=2024-01-16", "cycle=[0,1,3,4,7,5]"],
      clock,
    );
    assert.equal(code, 0);
    assert.equal(h.fake.requests.length, 6);
    // 30 a minute: one slot every 2 s, handed out in order.
    assert.deepEqual(
      clock.slept.filter((ms) => ms > 0).sort((a, b) => a - b),
      [2000, 4000, 6000, 8000, 10000],
    );
  } finally {
    await h.done();
  }
});

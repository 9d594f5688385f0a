import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { CYCLES } from "../../src/domain/cycles.ts";
import { addDays } from "../../src/domain/gas_day.ts";
import { expectedPostingTime } from "../../src/schedule/calendar.ts";
import { pairKey, startFakeIpost } from "../support/fake_ipost.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readFixture, writeConfig } from "../support/env.ts";
import { waitUntil, withTimeout } from "../support/wait.ts";

const ZONE = "America/Chicago";
const MIN = 60_000;

/** Minutes after the expected posting time at which the fake site posts a pair. */
function postingDelay(gasDay: string, code: number): number {
  if (gasDay === "2026-10-31" && code === 4) return 180; // very late Intraday 2
  return [5, 20, 45][(Number(gasDay.slice(-2)) + code) % 3];
}

Deno.test({
  name: "daemon: three virtual days across the fall-back change; every posted pair loaded once",
  async fn() {
    const fake = startFakeIpost();
    const t = await freshDatabase();
    const dataDir = await Deno.makeTempDir({ prefix: "tec-daemon-" });
    const configFile = await writeConfig(dataDir, {
      recheck_minutes: "360",
      requests_per_minute: "600",
    });
    const start = new Date("2026-10-30T17:00:00Z");
    const end = new Date("2026-11-02T17:00:00Z");
    const stop = new AbortController();
    const clock = new FakeClock(start, end, () => stop.abort());
    const body = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
    const revised = body.replace(
      '"500002","WEST TEXAS","BRAVO LEA","M2","RPQ","R","55000","60000","43560","16440"',
      '"500002","WEST TEXAS","BRAVO LEA","M2","RPQ","R","55000","60000","50000","10000"',
    );
    const postedAt = new Map<string, number>();
    fake.setDefault((key) => {
      const [, gasDay, code] = key.split("|");
      const cycle = CYCLES.find((c) => c.code === Number(code))!;
      const at = expectedPostingTime(gasDay, cycle.id, { zone: ZONE }).getTime() +
        postingDelay(gasDay, cycle.code) * MIN;
      postedAt.set(key, at);
      if (clock.t < at) return { kind: "header_only" };
      // One posting is revised two hours after it first appeared.
      const isRevised = key === pairKey("TW", "2026-11-01", 0) && clock.t >= at + 120 * MIN;
      return { kind: "csv", body: isRevised ? revised : body };
    });
    const logs: string[] = [];
    let health: { port: number } | undefined;
    const run = main(["--config", configFile], {
      env: programEnv({ apiUrl: fake.url, db: t.config, dataDir }),
      clock,
      stop: stop.signal,
      logWrite: (l) => logs.push(l),
      onHealth: (a) => (health = a),
    });
    try {
      // The health endpoint answers while the daemon runs.
      const { port } = await waitUntil(() => health, { what: "the health listener" });
      const hz = await fetch(`http://127.0.0.1:${port}/healthz`, {
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(hz.status, 200);
      await hz.body?.cancel();
      const st = await (await fetch(`http://127.0.0.1:${port}/status`, {
        signal: AbortSignal.timeout(10_000),
      })).json();
      assert.equal(st.next_postings[0].source, "tw-oac");
      assert.ok(Date.parse(st.next_postings[0].due_at) > start.getTime());
      // Three virtual days take a few seconds of real time.
      assert.equal(
        await withTimeout(run, { what: "the virtual three days", timeoutMs: 180_000 }),
        0,
      );

      const ledger = await t.db.query<{ gas_day: string; cycle: string; n: number }>(
        `SELECT to_char(gas_day, 'YYYY-MM-DD') AS gas_day, cycle, count(*)::int AS n
         FROM staging.load_ledger WHERE status = 'loaded' GROUP BY 1, 2`,
      );
      const loads = new Map(ledger.map((r) => [`${r.gas_day}|${r.cycle}`, r.n]));
      const states = await t.db.query<{ gas_day: string; cycle: string; status: string }>(
        "SELECT to_char(gas_day, 'YYYY-MM-DD') AS gas_day, cycle, status FROM staging.poll_state",
      );
      assert.ok(states.length >= 25, `pairs polled: ${states.length}`);
      let posted = 0;
      for (const s of states) {
        const cycle = CYCLES.find((c) => c.label === s.cycle)!;
        const key = pairKey("TW", s.gas_day, cycle.code);
        const at = postedAt.get(key)!;
        const n = loads.get(`${s.gas_day}|${s.cycle}`) ?? 0;
        if (at <= end.getTime() - 60 * MIN) {
          posted++;
          assert.equal(s.status, "loaded", `${key} posted at ${new Date(at).toISOString()}`);
          const expected = key === pairKey("TW", "2026-11-01", 0) ? 2 : 1;
          assert.equal(n, expected, `${key}: loaded ${n} times`);
        } else if (at > end.getTime()) {
          assert.equal(n, 0, `${key} was never posted`);
          assert.notEqual(s.status, "loaded");
        }
        // Requests stay bounded: from the posting time, a probe every minute for
        // 30 min, then backing off (1, 2, 4, 8, 15, 15... min); loaded pairs are
        // re-checked every 6 h.
        const delay = postingDelay(s.gas_day, cycle.code);
        const slow = delay > 30 ? Math.ceil(Math.log2(15)) + Math.ceil((delay - 30) / 15) + 1 : 0;
        const probesBound = Math.min(delay, 30) + 1 + slow + 2;
        const recheckBound = Math.ceil(Math.max(0, end.getTime() - at) / (360 * MIN)) + 2;
        assert.ok(
          fake.count(key) <= probesBound + recheckBound,
          `${key}: ${fake.count(key)} requests > ${probesBound} + ${recheckBound}`,
        );
      }
      // The very late pair was retried until it appeared, then loaded.
      const late = pairKey("TW", "2026-10-31", 4);
      assert.ok(fake.count(late) >= 6, `late pair probed ${fake.count(late)} times`);
      assert.equal(loads.get("2026-10-31|Intraday 2"), 1);
      // The revision reached the table.
      const [bravo] = await t.db.query<{ tsq: string }>(
        "SELECT tsq FROM staging.operational_capacity WHERE gas_day = '2026-11-01' AND cycle = 'Timely' AND loc = '500002'",
      );
      assert.equal(bravo.tsq, "50000");
      // No duplicate rows anywhere: every loaded pair holds exactly the file's 8 rows.
      const sizes = await t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM staging.operational_capacity GROUP BY gas_day, cycle",
      );
      assert.ok(sizes.every((s) => s.n === 8));
      assert.equal(sizes.length, posted);
      const requests = fake.requests.length;
      console.log(
        `daemon soak (virtual ${((end.getTime() - start.getTime()) / 3_600_000).toFixed(0)} h): ` +
          `${states.length} pairs polled, ${posted} posted and loaded, ${requests} requests, ` +
          `${logs.filter((l) => l.includes('"sweep.done"')).length} sweeps`,
      );
      // Gas days outside the window were never asked for.
      const first = addDays("2026-10-30", -3);
      assert.ok(fake.requests.every((r) => r.key.split("|")[1] >= first));
    } finally {
      stop.abort();
      await run.catch(() => {});
      await fake.close();
      await t.drop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

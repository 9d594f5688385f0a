import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { pairKey, startFakeIpost } from "../support/fake_ipost.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readFixture, writeConfig } from "../support/env.ts";

const MIN = 60_000;
const RECHECK_MINUTES = 60;

Deno.test({
  name:
    "daemon: a posting that fails for good is re-checked hourly, recorded once, loaded once fixed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startFakeIpost();
    const t = await freshDatabase();
    const dataDir = await Deno.makeTempDir({ prefix: "tec-terminal-" });
    const configFile = await writeConfig(dataDir, {
      recheck_minutes: String(RECHECK_MINUTES),
      requests_per_minute: "600",
    });
    // Timely of 2026-03-10 was due on the 9th; it stays in the window for days.
    const start = new Date("2026-03-10T20:00:00Z");
    const fixedAt = start.getTime() + 24 * 60 * MIN;
    const end = new Date(fixedAt + 90 * MIN);
    const stop = new AbortController();
    const clock = new FakeClock(start, end, () => stop.abort());
    const good = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
    const broken = good.replace('"Flow Ind"', '"Flow Indicator"');
    const key = pairKey("TW", "2026-03-10", 0);
    const served: { t: number; good: boolean }[] = [];
    fake.setDefault((k) => {
      if (k !== key) return { kind: "csv", body: good };
      const fixed = clock.t >= fixedAt;
      served.push({ t: clock.t, good: fixed });
      return { kind: "csv", body: fixed ? good : broken };
    });
    const run = main(["--config", configFile, "--params", "cycle=0"], {
      env: programEnv({ apiUrl: fake.url, db: t.config, dataDir }),
      clock,
      stop: stop.signal,
      logWrite: () => {},
    });
    try {
      assert.equal(await run, 0);
      const broke = served.filter((s) => !s.good);
      const dayMs = fixedAt - start.getTime();
      console.log(
        `terminal failure: ${broke.length} requests for the broken posting in a virtual ` +
          `${dayMs / 3_600_000} h (re-check every ${RECHECK_MINUTES} min)`,
      );
      // One request per re-check, plus the first look; never the 15-minute probe pace.
      const perDay = Math.ceil(dayMs / (RECHECK_MINUTES * MIN)) + 1;
      assert.ok(broke.length <= perDay, `${broke.length} requests > ${perDay}`);
      assert.ok(broke.length >= perDay - 2, `${broke.length} requests: re-checks stopped`);
      for (let i = 1; i < broke.length; i++) {
        assert.ok(broke[i].t - broke[i - 1].t >= RECHECK_MINUTES * MIN, `request ${i} too soon`);
      }
      const ledger = await t.db.query<{ status: string; terminal: boolean; error: string }>(
        `SELECT status, terminal, error FROM staging.load_ledger
         WHERE gas_day = '2026-03-10' AND cycle = 'Timely' ORDER BY load_id`,
      );
      assert.deepEqual(ledger.map((r) => [r.status, r.terminal]), [
        ["failed", true],
        ["loaded", false],
      ]);
      assert.match(ledger[0].error, /required header missing: "Flow Ind"/);
      // Fixed bytes are loaded at the first re-check after the fix.
      const firstGood = served.find((s) => s.good);
      assert.ok(firstGood, "the fixed posting was fetched");
      assert.ok(
        firstGood.t - fixedAt <= (RECHECK_MINUTES + 5) * MIN,
        `fixed posting fetched ${(firstGood.t - fixedAt) / MIN} min after the fix`,
      );
      const [{ n }] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM staging.operational_capacity
         WHERE gas_day = '2026-03-10' AND cycle = 'Timely'`,
      );
      assert.equal(n, 8);
      const [state] = await t.db.query<{ status: string }>(
        `SELECT status FROM staging.poll_state WHERE gas_day = '2026-03-10' AND cycle = 'Timely'`,
      );
      assert.equal(state.status, "loaded");
    } finally {
      stop.abort();
      await run.catch(() => {});
      await fake.close();
      await t.drop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

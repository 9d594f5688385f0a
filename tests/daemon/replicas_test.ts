import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readFixture, writeConfig } from "../support/env.ts";

Deno.test({
  name: "replicas: two daemons on one database load each pair once, with no duplicate rows",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const fake = startFakeIpost();
    const t = await freshDatabase();
    const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    const body = await readFixture("tw_good_8rows.csv");
    // Every pair is posted; answers are slowed a little so the two daemons overlap.
    fake.setDefault(() => ({
      kind: "slow_body",
      body: new TextDecoder().decode(body),
      delayMs: 30,
    }));
    // A generous request budget: the per-host rate limit is not what is tested here.
    const config = await writeConfig(dirs[0], { requests_per_minute: "6000" });
    const stops = [new AbortController(), new AbortController()];
    const swept = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
    const runs = [0, 1].map((i) =>
      main(["--config", config], {
        env: programEnv({ apiUrl: fake.url, db: t.config, dataDir: dirs[i] }),
        stop: stops[i].signal,
        logWrite: (l) => {
          if (l.includes('"sweep.done"')) swept[i].resolve();
        },
      })
    );
    try {
      await Promise.all(swept.map((s) => s.promise));
      stops.forEach((s) => s.abort());
      assert.deepEqual(await Promise.all(runs), [0, 0]);
      const perPair = new Map<string, number>();
      for (const r of fake.requests) perPair.set(r.key, (perPair.get(r.key) ?? 0) + 1);
      assert.ok(perPair.size >= 10, `pairs due now: ${perPair.size}`);
      for (const [key, n] of perPair) assert.equal(n, 1, `${key} requested ${n} times`);
      const loads = await t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM staging.load_ledger WHERE status = 'loaded' GROUP BY gas_day, cycle",
      );
      assert.equal(loads.length, perPair.size);
      assert.ok(loads.every((l) => l.n === 1));
      const rows = await t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM staging.operational_capacity GROUP BY gas_day, cycle",
      );
      assert.ok(rows.every((r) => r.n === 8));
    } finally {
      stops.forEach((s) => s.abort());
      await Promise.allSettled(runs);
      await fake.close();
      await t.drop();
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
});

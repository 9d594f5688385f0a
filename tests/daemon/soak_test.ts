/**
 * The daemon in real time against the fake site, with postings appearing one
 * after another while it runs. Runs only when `TEC_SOAK_SECONDS` is set (CI
 * sets it); prints how many requests were made for how many pairs.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readFixture, writeConfig } from "../support/env.ts";
import { withTimeout } from "../support/wait.ts";

const SECONDS = Number(Deno.env.get("TEC_SOAK_SECONDS") ?? 0);

Deno.test({
  name: SECONDS > 0
    ? `soak: the daemon runs ${SECONDS} s in real time while postings appear`
    : "soak: the daemon in real time while postings appear [ignored: TEC_SOAK_SECONDS not set]",
  ignore: !(SECONDS > 0),
  async fn() {
    const fake = startFakeIpost();
    const t = await freshDatabase();
    const dataDir = await Deno.makeTempDir({ prefix: "tec-soak-" });
    const body = await readFixture("tw_good_8rows.csv");
    const started = Date.now();
    // Pairs appear one by one, spread over the first two thirds of the run.
    const appearsAt = new Map<string, number>();
    const spacing = (SECONDS * 1000 * 2 / 3) / 30;
    fake.setDefault((key) => {
      if (!appearsAt.has(key)) appearsAt.set(key, started + appearsAt.size * spacing);
      return Date.now() >= appearsAt.get(key)! ? { kind: "csv", body } : { kind: "header_only" };
    });
    const config = await writeConfig(dataDir, {
      schedule: '"*/15 * * * * *"',
      probe_initial_seconds: "2",
      probe_max_seconds: "20",
      recheck_minutes: "1",
      requests_per_minute: "600",
    });
    const stop = new AbortController();
    const logs: string[] = [];
    const timer = setTimeout(() => stop.abort(), SECONDS * 1000);
    try {
      // The stop comes after SECONDS; the daemon then has a minute to wind down.
      const code = await withTimeout(
        main(["--config", config], {
          env: programEnv({ apiUrl: fake.url, db: t.config, dataDir }),
          stop: stop.signal,
          logWrite: (l) => logs.push(l),
        }),
        { what: "the daemon to stop", timeoutMs: SECONDS * 1000 + 60_000 },
      );
      assert.equal(code, 0);
      const pairs = new Set(fake.requests.map((r) => r.key));
      const loaded = await t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM staging.load_ledger WHERE status = 'loaded' GROUP BY gas_day, cycle",
      );
      const appeared = [...appearsAt.values()].filter((at) => at <= Date.now() - 30_000).length;
      console.log(
        `soak: ${SECONDS} s real time, ${pairs.size} pairs polled, ${appeared} appeared 30 s or more ` +
          `before the end, ${loaded.length} loaded (each once: ${
            loaded.every((l) => l.n === 1)
          }), ` +
          `${fake.requests.length} requests, ${
            logs.filter((l) => l.includes('"sweep.done"')).length
          } sweeps`,
      );
      assert.ok(loaded.every((l) => l.n === 1), "every pair loaded once");
      assert.ok(loaded.length >= appeared, `${loaded.length} loaded < ${appeared} appeared`);
      // Bounded: per pair, probes back off to 20 s and loaded pairs are re-checked each minute.
      const perPairBound = Math.ceil(SECONDS / 20) + Math.ceil(SECONDS / 60) + 6;
      for (const key of pairs) {
        assert.ok(fake.count(key) <= perPairBound, `${key}: ${fake.count(key)} > ${perPairBound}`);
      }
    } finally {
      clearTimeout(timer);
      stop.abort();
      await fake.close();
      await t.drop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

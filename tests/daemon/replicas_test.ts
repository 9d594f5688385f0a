import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { type SeenRequest, startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase, serverOnly } from "../support/db.ts";
import { programEnv, readFixture, writeConfig } from "../support/env.ts";
import { LogLines, waitUntil, withTimeout } from "../support/wait.ts";

const AGENTS = ["tec-replica-0", "tec-replica-1"];

const SERVER_ONLY = serverOnly("two daemons, in two processes, on one database");

Deno.test(
  `replicas: two daemons on one database load each pair once, with no duplicate rows${SERVER_ONLY.note}`,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    // Every answer is held until both replicas have claimed their share of the
    // due pairs: each has then either a request in flight (its claims are live)
    // or finished a sweep that found the other's claims. So the two sweeps
    // provably overlap, whatever the machine's speed.
    const gate = Promise.withResolvers<void>();
    const fake = startFakeIpost({ beforeAnswer: () => gate.promise });
    const t = await freshDatabase();
    const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    const body = await readFixture("tw_good_8rows.csv");
    fake.setDefault(() => ({ kind: "csv", body }));
    const logs = [new LogLines(), new LogLines()];
    const stops = [new AbortController(), new AbortController()];
    const runs: Promise<number>[] = [];
    try {
      for (const i of [0, 1]) {
        // Own user agent per replica, so the fake site can tell them apart; a
        // generous request budget (the per-host rate limit is not tested here).
        const config = await writeConfig(dirs[i], {
          requests_per_minute: "6000",
          user_agent: AGENTS[i],
        });
        runs.push(main(["--config", config], {
          env: programEnv({ apiUrl: fake.url, db: t.config, dataDir: dirs[i] }),
          stop: stops[i].signal,
          logWrite: (l) => logs[i].push(l),
        }));
      }
      const of = (i: number) => (r: SeenRequest) => r.userAgent === AGENTS[i];
      const claimed = (i: number) => fake.requests.some(of(i)) || logs[i].has("sweep.done");
      await waitUntil(() => claimed(0) && claimed(1), {
        what: "both replicas to claim (a request each, or a finished sweep)",
        detail: () => `replica 0: ${logs[0].summary()}\nreplica 1: ${logs[1].summary()}`,
      });
      // Overlap, as a fact: at this moment no answer has gone out, so a replica
      // with a request has its claims live, and a replica that finished did so
      // while the other's claims were live.
      assert.ok(fake.requests.every((r) => r.doneAt === undefined));
      assert.ok(fake.requests.length > 0, "someone claimed the due pairs");
      gate.resolve();
      const firstSweeps = await withTimeout(
        Promise.all(logs.map((l) => l.waitFor("sweep.done", { timeoutMs: 30_000 }))),
        { what: "both replicas' first sweeps", timeoutMs: 35_000 },
      );
      stops.forEach((s) => s.abort());
      assert.deepEqual(await withTimeout(Promise.all(runs), { what: "both daemons to stop" }), [
        0,
        0,
      ]);

      const perPair = new Map<string, number>();
      for (const r of fake.requests) perPair.set(r.key, (perPair.get(r.key) ?? 0) + 1);
      assert.ok(perPair.size >= 10, `pairs due now: ${perPair.size}`);
      for (const [key, n] of perPair) assert.equal(n, 1, `${key} requested ${n} times`);
      // Every due pair was claimed by exactly one of the two first sweeps.
      assert.equal(
        firstSweeps.reduce((n, l) => n + Number(l.claimed), 0),
        perPair.size,
        "claims of the two first sweeps",
      );
      const loads = await t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM staging.load_ledger WHERE status = 'loaded' GROUP BY gas_day, cycle",
      );
      assert.equal(loads.length, perPair.size);
      assert.ok(loads.every((l) => l.n === 1));
      const rows = await t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM staging.operational_capacity GROUP BY gas_day, cycle",
      );
      const fileRows = new TextDecoder().decode(body).trim().split("\n").length - 1;
      assert.ok(
        rows.every((r) => r.n === fileRows),
        `every pair holds the file's ${fileRows} rows`,
      );
    } finally {
      gate.resolve();
      stops.forEach((s) => s.abort());
      await Promise.allSettled(runs);
      await fake.close();
      await t.drop();
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
);

/**
 * One worker, two operators, and one of them says "slow down" to every
 * request: the daemon's only worker keeps serving the other operator during
 * the pause instead of waiting it out, and the paused operator is not asked
 * again before its pause ends.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { startFakeIpost } from "../support/fake_ipost.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readFixture } from "../support/env.ts";
import { withTimeout } from "../support/wait.ts";

const PAUSE_S = 30;

Deno.test("queues: a paused operator does not hold the only worker; the other operator's pairs go at once", async () => {
  const slow = startFakeIpost({ hostname: "127.0.0.2" });
  const fast = startFakeIpost({ hostname: "127.0.0.3" });
  const t = await freshDatabase();
  const dataDir = await Deno.makeTempDir({ prefix: "tec-paused-" });
  const start = new Date("2026-01-15T20:00:00Z"); // 14:00 CST: Timely of the 16th is due
  const stop = new AbortController();
  const clock = new FakeClock(start, new Date(start.getTime() + 600_000), () => stop.abort());
  const since = () => (clock.t - start.getTime()) / 1000;
  const tw = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
  const slowAt: number[] = [];
  const fastAt: number[] = [];
  slow.setDefault(() => {
    slowAt.push(since());
    return { kind: "status", status: 429, retryAfter: String(PAUSE_S) };
  });
  fast.setDefault(() => {
    fastAt.push(since());
    return { kind: "csv", body: tw };
  });
  // The slow operator's sources come first: a worker taking pairs in order meets them first.
  const sources = [
    ...["S1", "S2", "S3"].map((a) => ({ asset: a, url: slow.url, operator: "slow" })),
    ...["F1", "F2", "F3"].map((a) => ({ asset: a, url: fast.url, operator: "fast" })),
  ].map((s) =>
    `  - pipeline: TW\n    name: ${s.asset}\n    asset: ${s.asset}\n    base_url: ${s.url}\n` +
    `    operator: ${s.operator}\n    cycles: [timely]\n`
  ).join("");
  const config = `${dataDir}/config.yaml`;
  await Deno.writeTextFile(
    config,
    `sources:\n${sources}daemon:\n  history_days: 0\n  requests_per_minute: 60\n  concurrency: 1\n`,
  );
  const env = programEnv({ apiUrl: fast.url, db: t.config, dataDir });
  delete (env as Record<string, string>).API_URL;
  const run = main(["--config", config], { env, clock, stop: stop.signal, logWrite: () => {} });
  try {
    assert.equal(await withTimeout(run, { what: "10 virtual minutes", timeoutMs: 120_000 }), 0);
    const [{ n }] = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM staging.load_ledger WHERE status = 'loaded' AND asset LIKE 'F%'`,
    );
    assert.equal(n, 3, "the fast operator's three pairs loaded");
    // Its three requests went one budget slot (1 s) apart, not behind the slow operator's pause.
    assert.ok(fastAt.length >= 3 && fastAt[2] < 10, `fast requests at ${fastAt.join(", ")} s`);
    // The paused operator was first asked at once and then never within its pause.
    assert.ok(slowAt.length >= 2, `slow requests at ${slowAt.join(", ")} s`);
    assert.ok(slowAt[0] < 5, `first slow request at ${slowAt[0]} s`);
    for (let i = 1; i < slowAt.length; i++) {
      assert.ok(slowAt[i] - slowAt[i - 1] >= PAUSE_S, `slow requests at ${slowAt.join(", ")} s`);
    }
    console.log(
      `paused operator: fast requests at ${fastAt.slice(0, 3).join(", ")} s; slow (429, ` +
        `Retry-After ${PAUSE_S}) at ${slowAt.slice(0, 6).map((x) => x.toFixed(0)).join(", ")} s`,
    );
  } finally {
    stop.abort();
    await run.catch(() => {});
    await slow.close();
    await fast.close();
    await t.drop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

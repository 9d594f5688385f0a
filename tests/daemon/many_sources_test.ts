/**
 * Twenty-one sources in one daemon, on three loopback hosts of one operator,
 * over a virtual day: every posted pair is loaded once, the requests stay
 * within the per-operator budget, and the count is reported.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { CYCLES } from "../../src/domain/cycles.ts";
import { expectedPostingTime } from "../../src/schedule/calendar.ts";
import { PIPELINE_PRESETS } from "../../src/config/presets.ts";
import { type FakeIpost, startFakeIpost } from "../support/fake_ipost.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { freshDatabase, serverOnly, testEngine } from "../support/db.ts";
import { programEnv, readFixture } from "../support/env.ts";
import { withTimeout } from "../support/wait.ts";

const ZONE = "America/Chicago";
const SEC = 1000;
const RPM = 60;
const CONCURRENCY = 4;
const HOSTS = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];

/** Seconds after its nominal time at which a pair is posted (0 s to 50 min). */
function appearsAfter(asset: string, gasDay: string, code: number): number {
  const spread = [0, 20, 45, 75, 150, 600, 1700, 3000];
  return spread[(Number(gasDay.slice(-2)) * 5 + code * 3 + asset.charCodeAt(0)) % spread.length];
}

/** The 9 presets, and 12 more sources of both families under assets of their own. */
function sourcesYaml(fakes: FakeIpost[]): { yaml: string; families: Map<string, boolean> } {
  const messenger = new Map<string, boolean>();
  const lines: string[] = [];
  const entries = [
    ...PIPELINE_PRESETS.map((p) => ({ pipeline: p.pipeline, asset: p.asset })),
    ...Array.from({ length: 12 }, (_, i) => ({
      pipeline: i % 2 ? "PEPL" : "TW",
      asset: `X${String(i + 1).padStart(2, "0")}`,
    })),
  ];
  entries.forEach((e, i) => {
    const preset = PIPELINE_PRESETS.find((p) => p.pipeline === e.pipeline)!;
    messenger.set(e.asset, preset.report !== "operationally-available");
    lines.push(
      `  - pipeline: ${e.pipeline}\n    name: s${String(i + 1).padStart(2, "0")}-${e.asset}\n` +
        `    asset: ${e.asset}\n    base_url: ${fakes[i % fakes.length].url}\n    operator: et\n`,
    );
  });
  return { yaml: `sources:\n${lines.join("")}`, families: messenger };
}

// What this measures is the operator's budget shared through PostgreSQL. The
// embedded engine is one process and keeps the process's own budget (covered
// by rate_limit_test), and it takes 5 minutes over this virtual day (server: 3).
const SERVER_ONLY = serverOnly("the shared budget lives in a server; 5 min of CI time embedded");

Deno.test({
  name: "21 sources on 3 hosts of one operator, one virtual day: every posted pair loaded once, " +
    "the operator's budget held" + SERVER_ONLY.note,
  ignore: SERVER_ONLY.ignore,
}, async () => {
  const fakes = HOSTS.map((hostname) => startFakeIpost({ hostname }));
  const t = await freshDatabase();
  const dataDir = await Deno.makeTempDir({ prefix: "tec-many-" });
  const start = new Date("2026-01-15T20:00:00Z"); // 14:00 CST
  const end = new Date("2026-01-16T22:00:00Z");
  const stop = new AbortController();
  const clock = new FakeClock(start, end, () => stop.abort());
  const tw = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
  const pepl = new TextDecoder().decode(await readFixture("pepl_messenger_6rows.csv"));
  const { yaml, families } = sourcesYaml(fakes);
  const appears = new Map<string, number>();
  const arrivals: number[] = [];
  for (const fake of fakes) {
    fake.setDefault((key) => {
      arrivals.push(clock.t);
      const [asset, gasDay, code] = key.split("|");
      const cycle = CYCLES.find((c) => c.code === Number(code))!;
      const at = expectedPostingTime(gasDay, cycle.id, { zone: ZONE }).getTime() +
        appearsAfter(asset, gasDay, cycle.code) * SEC;
      appears.set(key, at);
      if (clock.t < at) return { kind: "header_only" };
      const tag = `${asset} ${gasDay} ${cycle.label}`;
      return {
        kind: "csv",
        body: families.get(asset)
          ? pepl.replace("CITY OF NORTHGATE", `NORTHGATE ${tag}`)
          : tw.replace("BRAVO LEA", `BRAVO ${tag}`),
      };
    });
  }
  const config = `${dataDir}/config.yaml`;
  await Deno.writeTextFile(
    config,
    `${yaml}daemon:\n  history_days: 1\n  recheck_minutes: 360\n` +
      `  requests_per_minute: ${RPM}\n  concurrency: ${CONCURRENCY}\n`,
  );
  const env = programEnv({ apiUrl: fakes[0].url, db: t.config, dataDir });
  delete (env as Record<string, string>).API_URL;
  const run = main(["--config", config], { env, clock, stop: stop.signal, logWrite: () => {} });
  const realStart = performance.now();
  try {
    assert.equal(await withTimeout(run, { what: "the virtual day", timeoutMs: 600_000 }), 0);
    const seconds = (performance.now() - realStart) / 1000;
    const requests = fakes.flatMap((f) => f.requests);
    assert.ok(requests.every((r) => r.status === 200), "every URL as the site expects it");
    // Every pair posted an hour before the end is loaded, once (each file is constant).
    const loads = await t.db.query<{ source: string; gas_day: string; cycle: string; n: number }>(
      `SELECT source, to_char(gas_day, 'YYYY-MM-DD') AS gas_day, cycle, count(*)::int AS n
       FROM staging.load_ledger WHERE status = 'loaded' GROUP BY 1, 2, 3`,
    );
    const loaded = new Map(
      loads.map((l) => [`${l.source.split("-")[1]}|${l.gas_day}|${l.cycle}`, l.n]),
    );
    let posted = 0;
    for (const [key, at] of appears) {
      if (at > end.getTime() - 3600 * SEC) continue;
      const [asset, gasDay, code] = key.split("|");
      const label = CYCLES.find((c) => c.code === Number(code))!.label;
      assert.equal(loaded.get(`${asset}|${gasDay}|${label}`), 1, `${key} loaded once`);
      posted++;
    }
    assert.ok(loads.every((l) => l.n === 1), "no pair loaded twice");
    assert.ok(posted >= 21 * 10, `posted pairs: ${posted}`);
    // The operator's budget across the three hosts: at most RPM starts in any minute
    // (plus the workers in flight: the virtual clock's concurrent sleeps add up).
    arrivals.sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0, j = 0; j < arrivals.length; j++) {
      while (arrivals[j] - arrivals[i] >= 60 * SEC) i++;
      busiest = Math.max(busiest, j - i + 1);
    }
    assert.ok(busiest <= RPM + CONCURRENCY, `busiest minute: ${busiest} requests`);
    if (testEngine() === "server") {
      // On a server the budget is the database's (the embedded engine's is the process's own).
      const [budget] = await t.db.query<{ requests: number }>(
        "SELECT requests::int AS requests FROM staging.request_budget WHERE operator = 'et'",
      );
      assert.equal(budget.requests, requests.length, "every request reserved a slot of 'et'");
    }
    const hours = (end.getTime() - start.getTime()) / 3_600_000;
    console.log(
      `21 sources, 3 hosts, one operator, virtual ${hours.toFixed(0)} h: ${requests.length} ` +
        `requests (${HOSTS.map((_, i) => fakes[i].requests.length).join(" + ")}), ` +
        `${posted} posted pairs loaded once, ${(requests.length / hours / 60).toFixed(2)} ` +
        `requests/min on average, busiest minute ${busiest} (budget ${RPM}); ${
          seconds.toFixed(0)
        } s real`,
    );
  } finally {
    stop.abort();
    await run.catch(() => {});
    for (const f of fakes) await f.close();
    await t.drop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

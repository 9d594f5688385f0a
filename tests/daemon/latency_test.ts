/**
 * Latency: the daemon probes from each pair's nominal posting time (the
 * source's own, where configured), every minute for the first half hour,
 * then backs off; a file posted on time lands within about a minute of
 * appearing, and the lateness is reported per source (/status, metric).
 * One virtual day, two sources of two families.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { type CycleId, CYCLES } from "../../src/domain/cycles.ts";
import { expectedPostingTime, type PostingTime } from "../../src/schedule/calendar.ts";
import { startFakeIpost } from "../support/fake_ipost.ts";
import { FakeClock } from "../support/fake_clock.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readFixture } from "../support/env.ts";
import { waitUntil, withTimeout } from "../support/wait.ts";

const ZONE = "America/Chicago";
const SEC = 1000;
/** PEPL posts Intraday 1 ten minutes after the NAESB time; configured so. */
const PEPL_TIMES: Partial<Record<CycleId, PostingTime>> = {
  intraday1: { dayOffset: 0, hour: 13, minute: 10 },
};

/** Seconds after its nominal time at which the fake site posts a pair (0 s to 50 min). */
function appearsAfter(asset: string, gasDay: string, code: number): number {
  const spread = [0, 20, 45, 75, 150, 600, 1700, 3000];
  return spread[(Number(gasDay.slice(-2)) * 3 + code + asset.length) % spread.length];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

Deno.test("latency: probes from the nominal time, every minute for 30 min, then back off; the lateness is measured", async () => {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dataDir = await Deno.makeTempDir({ prefix: "tec-latency-" });
  const start = new Date("2026-01-15T20:00:00Z"); // 14:00 CST
  const end = new Date("2026-01-16T22:00:00Z");
  const stop = new AbortController();
  const clock = new FakeClock(start, end, () => stop.abort());
  const tw = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
  const pepl = new TextDecoder().decode(await readFixture("pepl_messenger_6rows.csv"));
  const appears = new Map<string, number>();
  const nominal = new Map<string, number>();
  fake.setDefault((key) => {
    const [asset, gasDay, code] = key.split("|");
    const cycle = CYCLES.find((c) => c.code === Number(code))!;
    const times = asset === "PEPL" ? PEPL_TIMES : undefined;
    const at0 = expectedPostingTime(gasDay, cycle.id, { zone: ZONE, postingTimes: times });
    const at = at0.getTime() + appearsAfter(asset, gasDay, cycle.code) * SEC;
    nominal.set(key, at0.getTime());
    appears.set(key, at);
    if (clock.t < at) return { kind: "header_only" };
    // Each pair's file differs (its gas day and cycle in a name), as a site honouring them does.
    const tag = `${gasDay} ${cycle.label}`;
    return {
      kind: "csv",
      body: asset === "PEPL"
        ? pepl.replace("CITY OF NORTHGATE", `NORTHGATE ${tag}`)
        : tw.replace("BRAVO LEA", `BRAVO ${tag}`),
    };
  });
  const config = `${dataDir}/config.yaml`;
  await Deno.writeTextFile(
    config,
    `sources:
  - pipeline: TW
    base_url: ${fake.url}
  - pipeline: PEPL
    base_url: ${fake.url}
    posting_times: { intraday1: "13:10" }
daemon:
  history_days: 1
  recheck_minutes: 360
  requests_per_minute: 600
`,
  );
  const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir });
  delete (env as Record<string, string>).API_URL;
  let health: { port: number } | undefined;
  let status: Record<string, unknown> | undefined;
  let metrics = "";
  const run = main(["--config", config], {
    env,
    clock,
    stop: stop.signal,
    logWrite: () => {},
    onHealth: (a) => (health = a),
  });
  try {
    const { port } = await waitUntil(() => health, { what: "the health listener" });
    // Read /status and /metrics late in the virtual day, while the daemon still runs.
    const late = end.getTime() - 3600 * SEC;
    await waitUntil(() => clock.t > late || stop.signal.aborted, {
      what: "the virtual day's last hour",
      timeoutMs: 120_000,
    });
    const get = (path: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) });
    status = await (await get("/status")).json();
    metrics = await (await get("/metrics")).text();
    assert.equal(await withTimeout(run, { what: "the virtual day", timeoutMs: 180_000 }), 0);

    const rows = await t.db.query<
      { source: string; gas_day: string; cycle: string; expected: string; seen: string }
    >(
      `SELECT source, to_char(gas_day, 'YYYY-MM-DD') AS gas_day, cycle,
              expected_at::text AS expected, first_seen_at::text AS seen
       FROM staging.poll_state WHERE first_seen_at IS NOT NULL AND expected_at >= $1`,
      [start.toISOString()],
    );
    assert.ok(rows.length >= 10, `pairs seen: ${rows.length}`);
    const afterAppearing: number[] = [];
    const afterNominal: number[] = [];
    for (const r of rows) {
      const asset = r.source === "pepl" ? "PEPL" : "TW";
      const code = CYCLES.find((c) => c.label === r.cycle)!.code;
      const key = `${asset}|${r.gas_day}|${code}`;
      // The stored nominal time is the source's own (PEPL's Intraday 1 at 13:10).
      assert.equal(Date.parse(r.expected), nominal.get(key), key);
      const lag = (Date.parse(r.seen) - appears.get(key)!) / SEC;
      assert.ok(lag >= 0, `${key} seen before it appeared`);
      // Within the fast half hour a file lands within a minute (and a sweep) of appearing.
      if (appearsAfter(asset, r.gas_day, code) < 1800) assert.ok(lag <= 90, `${key}: ${lag} s`);
      afterAppearing.push(lag);
      afterNominal.push((Date.parse(r.seen) - Date.parse(r.expected)) / SEC);
    }
    const m = median(afterAppearing);
    assert.ok(m < 60, `median ${m} s after the file appeared`);
    // Requests: the fast half hour costs at most 31 probes a pair, the back-off few after it.
    const perPair = new Map<string, number>();
    for (const r of fake.requests) perPair.set(r.key, (perPair.get(r.key) ?? 0) + 1);
    for (const [key, n] of perPair) {
      const late = (appears.get(key)! - nominal.get(key)!) / SEC;
      const bound = Math.min(late / 60, 30) + 1 + (late > 1800 ? 4 + (late - 1800) / 900 + 1 : 0) +
        (end.getTime() - appears.get(key)!) / (360 * 60 * SEC) + 3;
      assert.ok(n <= bound, `${key}: ${n} requests > ${bound.toFixed(1)}`);
    }
    // /status and the metric report it per source.
    const lat = status!.posting_latency as Record<string, number | string>[];
    assert.deepEqual(lat.map((l) => l.source), ["pepl", "tw"]);
    for (const l of lat) {
      assert.ok((l.seen as number) > 0);
      assert.ok(typeof l.median_seconds === "number" && typeof l.p90_seconds === "number");
    }
    assert.match(
      metrics,
      /^tec_posting_latency_seconds_count\{source="pepl",cycle="[^"]+"\} \d+$/m,
    );
    assert.match(metrics, /^tec_posting_latency_seconds_bucket\{le="60",source="tw",cycle=/m);
    console.log(
      `latency (virtual ${((end.getTime() - start.getTime()) / 3_600_000).toFixed(0)} h, ` +
        `${rows.length} pairs): after appearing median ${m} s, max ${
          Math.max(...afterAppearing)
        } s; after the nominal time median ${median(afterNominal)} s; ` +
        `${fake.requests.length} requests for ${perPair.size} pairs`,
    );
  } finally {
    stop.abort();
    await run.catch(() => {});
    await fake.close();
    await t.drop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

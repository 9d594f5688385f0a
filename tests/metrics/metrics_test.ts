import assert from "node:assert/strict";
import { register as globalRegister } from "prom-client";
import {
  bounded,
  checkPairCounts,
  createMetrics,
  type MetricsOptions,
  PAIR_STATUSES,
  type ProbeName,
} from "../../src/metrics/metrics.ts";
import { FETCH_DURATION_BUCKETS } from "../../src/metrics/pipeline_metrics.ts";
import { DROPPED_DEFAULT_METRICS } from "../../src/metrics/process_metrics.ts";
import { METRICS_CONTENT_TYPE } from "../../src/health/app.ts";
import { metricsObserver } from "../../src/app/observe.ts";
import { emptyMetrics, sampleMetrics } from "../health/promtool_check.ts";

const TEC_FAMILIES = [
  "tec_build_info gauge",
  "tec_database_up gauge",
  "tec_pairs gauge",
  "tec_rows_loaded_total counter",
  "tec_files_total counter",
  "tec_fetch_requests_total counter",
  "tec_fetch_duration_seconds histogram",
  "tec_load_duration_seconds histogram",
  "tec_rows_quarantined_total counter",
  "tec_rows_deleted_total counter",
  "tec_last_success_timestamp_seconds gauge",
  "tec_parameters_ignored_total counter",
  "tec_posting_latency_seconds histogram",
];

/** Value of the sample line `series` (name plus rendered labels), or undefined if absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function types(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
}

/** Fails instead of hanging when `p` does not settle within `ms`. */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

function quiet(o: Partial<MetricsOptions> = {}) {
  return createMetrics({ version: "1.2.3", defaultMetrics: false, ...o });
}

Deno.test("every tec_ family has HELP and TYPE before its first event, in registration order", async () => {
  const text = await emptyMetrics().render();
  assert.deepEqual(types(text).filter((t) => t.startsWith("tec_")), TEC_FAMILIES);
  for (const family of TEC_FAMILIES) {
    const name = family.split(" ")[0];
    assert.match(text, new RegExp(`^# HELP ${name} \\S`, "m"), name);
  }
  assert.equal(sample(text, 'tec_build_info{version="0.1.0"}'), 1);
  // No pipeline event yet: the event families have no series.
  assert.doesNotMatch(text, /^tec_(rows|files|fetch|load|last)_\S*[ {]/m);
});

Deno.test("pipeline events show up as counts, histogram buckets and timestamps", async () => {
  const metrics = quiet();
  const m = metrics.pipeline;
  const oac = { source: "tw-oac", asset: "TW" };
  const nom = { source: "tw-nom", asset: "TW" };
  m.rowsLoaded.inc({ ...oac, cycle: "timely" }, 10);
  m.rowsLoaded.inc({ ...oac, cycle: "timely" }, 5);
  m.rowsLoaded.inc({ ...nom, cycle: "timely" }, 3);
  m.files.inc({ ...oac, status: "loaded" });
  m.fetchRequests.inc({ ...oac, outcome: "ok" });
  m.fetchDuration.observe(oac, 0.3);
  m.fetchDuration.observe(oac, 45);
  m.fetchDuration.observe(nom, 2);
  m.loadDuration.observe(oac, 1.2);
  m.rowsQuarantined.inc(oac, 2);
  m.lastSuccessTimestamp.set({ ...oac, cycle: "timely" }, 1_700_000_000);
  m.lastSuccessTimestamp.set({ ...nom, cycle: "timely" }, 1_600_000_000);
  const text = await metrics.render();
  const oacL = 'source="tw-oac",asset="TW"';
  const nomL = 'source="tw-nom",asset="TW"';
  assert.equal(sample(text, `tec_rows_loaded_total{${oacL},cycle="timely"}`), 15);
  assert.equal(sample(text, `tec_rows_loaded_total{${nomL},cycle="timely"}`), 3);
  assert.equal(sample(text, `tec_files_total{${oacL},status="loaded"}`), 1);
  assert.equal(sample(text, `tec_fetch_requests_total{${oacL},outcome="ok"}`), 1);
  assert.equal(sample(text, `tec_rows_quarantined_total{${oacL}}`), 2);
  assert.equal(sample(text, `tec_last_success_timestamp_seconds{${oacL},cycle="timely"}`), 1.7e9);
  assert.equal(sample(text, `tec_last_success_timestamp_seconds{${nomL},cycle="timely"}`), 1.6e9);
  for (const le of FETCH_DURATION_BUCKETS) {
    const expected = (0.3 <= le ? 1 : 0) + (45 <= le ? 1 : 0);
    assert.equal(sample(text, `tec_fetch_duration_seconds_bucket{le="${le}",${oacL}}`), expected);
  }
  assert.equal(sample(text, `tec_fetch_duration_seconds_bucket{le="+Inf",${oacL}}`), 2);
  assert.equal(sample(text, `tec_fetch_duration_seconds_sum{${oacL}}`), 45.3);
  assert.equal(sample(text, `tec_fetch_duration_seconds_count{${oacL}}`), 2);
  assert.equal(sample(text, `tec_fetch_duration_seconds_count{${nomL}}`), 1);
  assert.equal(sample(text, `tec_load_duration_seconds_count{${oacL}}`), 1);
});

Deno.test("metricsObserver labels every family by source, two sources of one asset apart", async () => {
  const metrics = quiet();
  const observer = metricsObserver(metrics.pipeline, () => new Date(1_700_000_000_000));
  const oac = { source: { asset: "TW", name: "tw-oac" }, cycle: { label: "evening" } };
  const nom = { source: { asset: "TW", name: "tw-nom" }, cycle: { label: "evening" } };
  observer.fetchAttempt?.(oac as never, "timeout", 2);
  observer.fetchAttempt?.(nom as never, "ok", 0.5);
  observer.fetchAttempt?.(nom as never, "ok", 0.5);
  const outcome = {
    status: "loaded",
    loadSeconds: 0.7,
    counts: { inserted: 7, updated: 3, quarantined: 1, deleted: 4 },
  };
  observer.outcome?.(oac as never, outcome as never);
  observer.outcome?.(nom as never, {
    status: "failed",
    loadSeconds: 0.2,
    counts: { inserted: 1, updated: 0, quarantined: 5, deleted: 0 },
    sameBytes: { loadId: 1, gasDay: "2024-01-16", cycle: "Evening" },
  } as never);
  observer.firstSeen?.(nom as never, 42);
  const text = await metrics.render();
  const oacL = 'source="tw-oac",asset="TW"';
  const nomL = 'source="tw-nom",asset="TW"';
  assert.equal(sample(text, `tec_fetch_requests_total{${oacL},outcome="timeout"}`), 1);
  assert.equal(sample(text, `tec_fetch_requests_total{${nomL},outcome="ok"}`), 2);
  assert.equal(sample(text, `tec_fetch_requests_total{${oacL},outcome="ok"}`), undefined);
  assert.equal(sample(text, `tec_fetch_duration_seconds_count{${oacL}}`), 1);
  assert.equal(sample(text, `tec_fetch_duration_seconds_count{${nomL}}`), 2);
  assert.equal(sample(text, `tec_files_total{${oacL},status="loaded"}`), 1);
  assert.equal(sample(text, `tec_files_total{${nomL},status="failed"}`), 1);
  assert.equal(sample(text, `tec_rows_loaded_total{${oacL},cycle="evening"}`), 10);
  assert.equal(sample(text, `tec_rows_loaded_total{${nomL},cycle="evening"}`), 1);
  assert.equal(sample(text, `tec_rows_quarantined_total{${oacL}}`), 1);
  assert.equal(sample(text, `tec_rows_quarantined_total{${nomL}}`), 5);
  assert.equal(sample(text, `tec_rows_deleted_total{${oacL},cycle="evening"}`), 4);
  assert.equal(sample(text, `tec_load_duration_seconds_sum{${oacL}}`), 0.7);
  assert.equal(sample(text, `tec_load_duration_seconds_sum{${nomL}}`), 0.2);
  assert.equal(sample(text, `tec_last_success_timestamp_seconds{${oacL},cycle="evening"}`), 1.7e9);
  assert.equal(
    sample(text, `tec_last_success_timestamp_seconds{${nomL},cycle="evening"}`),
    undefined,
    "a failed file is no success",
  );
  assert.equal(sample(text, 'tec_parameters_ignored_total{source="tw-nom"}'), 1);
  assert.equal(
    sample(text, 'tec_posting_latency_seconds_count{source="tw-nom",cycle="evening"}'),
    1,
  );
  // Every series of a per-source family names its source.
  const perSource = /^tec_(rows|files|fetch|load|last|parameters|posting)_\S*\{([^}]*)\}/gm;
  const labelSets = [...text.matchAll(perSource)].map((m) => m[2]);
  assert.ok(labelSets.length > 20);
  for (const l of labelSets) assert.match(l, /(^|,)source="tw-(oac|nom)"/);
});

Deno.test("tec_database_up follows the probe at each scrape", async () => {
  let up = true;
  let calls = 0;
  const metrics = quiet({
    databaseUp: () => {
      calls++;
      return Promise.resolve(up);
    },
  });
  assert.equal(sample(await metrics.render(), "tec_database_up"), 1);
  up = false;
  assert.equal(sample(await metrics.render(), "tec_database_up"), 0);
  up = true;
  assert.equal(sample(await metrics.render(), "tec_database_up"), 1);
  assert.equal(calls, 3);
});

Deno.test("tec_pairs by source and status: every status, 0 for those left out; a source gone loses its series", async () => {
  let counts: Record<string, Partial<Record<string, number>>> = {
    "tw-oac": { pending: 4, loaded: 9 },
    "tw-nom": { failed: 1 },
  };
  const metrics = quiet({ pairCounts: () => Promise.resolve(counts) });
  const of = (text: string, source: string) =>
    PAIR_STATUSES.map((s) => sample(text, `tec_pairs{source="${source}",status="${s}"}`));
  let text = await metrics.render();
  assert.deepEqual(of(text, "tw-oac"), [4, 0, 0, 9]);
  assert.deepEqual(of(text, "tw-nom"), [0, 0, 1, 0]);
  counts = { "tw-oac": { not_posted: 2, failed: 1 } };
  text = await metrics.render();
  assert.deepEqual(of(text, "tw-oac"), [0, 2, 1, 0]);
  assert.deepEqual(of(text, "tw-nom"), [undefined, undefined, undefined, undefined]);
});

Deno.test("optional families are absent without their source; several instances are independent", async () => {
  const a = quiet();
  const b = quiet({ version: "9.9.9" });
  a.pipeline.files.inc({ source: "tw-oac", asset: "TW", status: "failed" });
  const [ta, tb] = [await a.render(), await b.render()];
  assert.doesNotMatch(ta, /tec_database_up|tec_pairs/);
  const series = 'tec_files_total{source="tw-oac",asset="TW",status="failed"}';
  assert.equal(sample(ta, series), 1);
  assert.equal(sample(tb, series), undefined);
  assert.equal(sample(tb, 'tec_build_info{version="9.9.9"}'), 1);
  // Nothing lands on prom-client's process-wide default registry.
  assert.equal(globalRegister.getMetricsAsArray().length, 0);
});

Deno.test("a throwing, rejecting, hanging or nonsense probe does not fail the scrape", async () => {
  const errors: string[] = [];
  const onProbeError = (probe: ProbeName, e: Error) => errors.push(`${probe}: ${e.message}`);
  let mode = "ok";
  const probe = <T>(good: T) => (): Promise<T> => {
    if (mode === "throw") throw new Error("sync boom");
    if (mode === "reject") return Promise.reject(new Error("connection refused"));
    if (mode === "hang") return new Promise<T>(() => {});
    if (mode === "nonsense") return Promise.resolve("1" as T);
    return Promise.resolve(good);
  };
  const metrics = quiet({
    databaseUp: probe(true),
    pairCounts: probe({ "tw-oac": { pending: 5, failed: 2 } }),
    probeTimeoutMs: 100,
    onProbeError,
  });
  let text = await within(2000, metrics.render());
  assert.equal(sample(text, "tec_database_up"), 1);
  for (mode of ["throw", "reject", "hang", "nonsense"]) {
    errors.length = 0;
    const started = performance.now();
    text = await within(2000, metrics.render());
    assert.ok(performance.now() - started < 1000, `${mode}: scrape took too long`);
    assert.equal(sample(text, "tec_database_up"), 0, mode);
    // The last good answer stays.
    assert.equal(sample(text, 'tec_pairs{source="tw-oac",status="pending"}'), 5, mode);
    assert.equal(sample(text, 'tec_pairs{source="tw-oac",status="failed"}'), 2, mode);
    assert.equal(sample(text, 'tec_pairs{source="tw-oac",status="loaded"}'), 0, mode);
    assert.equal(errors.length, 2, `${mode}: ${errors.join("; ")}`);
  }
  assert.match(errors[0], /^databaseUp: databaseUp returned string "1": expected a boolean$/);
  assert.match(
    errors[1],
    /^pairCounts: pairCounts returned string "1": expected an object of sources/,
  );
});

Deno.test("a throwing onProbeError hook does not fail the scrape either", async () => {
  const metrics = quiet({
    databaseUp: () => Promise.reject(new Error("down")),
    onProbeError: () => {
      throw new Error("hook broken");
    },
  });
  assert.equal(sample(await within(2000, metrics.render()), "tec_database_up"), 0);
});

Deno.test("a probe that never answers leaves tec_pairs without a series, and the default timeout is about 1 s", async () => {
  const metrics = createMetrics({
    version: "x",
    defaultMetrics: false,
    pairCounts: () => new Promise(() => {}),
  });
  const started = performance.now();
  const text = await within(3000, metrics.render());
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds >= 0.9 && seconds < 2, `took ${seconds} s`);
  // No made-up 0 for sources no one has counted: the family alone, HELP and TYPE.
  assert.match(text, /^# TYPE tec_pairs gauge$/m);
  assert.doesNotMatch(text, /^tec_pairs[ {]/m);
});

Deno.test("overlapping scrapes share one probe run; a later scrape asks again", async () => {
  let calls = 0;
  let answer = Promise.withResolvers<boolean>();
  const probe = bounded(
    "databaseUp",
    () => {
      calls++;
      return answer.promise;
    },
    (v) => v as boolean,
    1000,
  );
  const first = probe();
  const second = probe();
  answer.resolve(true);
  assert.deepEqual(await within(2000, Promise.all([first, second])), [true, true]);
  assert.equal(calls, 1);
  answer = Promise.withResolvers<boolean>();
  const third = probe();
  answer.resolve(false);
  assert.equal(await within(2000, third), false);
  assert.equal(calls, 2);
});

Deno.test("a probe run that hung past its timeout is not reused", async () => {
  let calls = 0;
  const probe = bounded(
    "databaseUp",
    () => {
      calls++;
      return calls === 1 ? new Promise<boolean>(() => {}) : Promise.resolve(true);
    },
    (v) => v as boolean,
    50,
  );
  assert.equal(await within(2000, probe()), undefined);
  assert.equal(await within(2000, probe()), true);
  assert.equal(calls, 2);
});

Deno.test("pairCounts answers are checked: sources of counts, finite and >= 0", () => {
  assert.deepEqual(checkPairCounts({ a: { pending: 1, other: "ignored" }, b: {} }), {
    a: { pending: 1, other: "ignored" },
    b: {},
  });
  assert.throws(
    () => checkPairCounts({ a: { loaded: -1 } }),
    /"a"\.loaded=-1: expected a finite number >= 0/,
  );
  assert.throws(() => checkPairCounts({ a: { failed: NaN } }), /"a"\.failed=NaN/);
  assert.throws(() => checkPairCounts({ a: { pending: "3" } }), /"a"\.pending=string "3"/);
  assert.throws(() => checkPairCounts({ a: 3 }), /"a"=3: expected an object of counts/);
  assert.throws(() => checkPairCounts({ pending: 3 }), /"pending"=3: expected an object/);
  assert.throws(() => checkPairCounts([1]), /returned an array/);
  assert.throws(() => checkPairCounts(null), /returned null/);
});

Deno.test("probeTimeoutMs must be a positive number", () => {
  for (const probeTimeoutMs of [0, -1, NaN, Infinity]) {
    assert.throws(() => quiet({ probeTimeoutMs }), /probeTimeoutMs: expected a finite number > 0/);
  }
});

Deno.test("label values are escaped: backslash, double quote, newline", async () => {
  const metrics = quiet({ version: 'v"1"\\\n' });
  metrics.pipeline.files.inc({
    source: 'odd "name"\\with\nnewline',
    asset: "TW",
    status: "failed",
  });
  const text = await metrics.render();
  assert.equal(sample(text, 'tec_build_info{version="v\\"1\\"\\\\\\n"}'), 1);
  assert.equal(
    sample(
      text,
      'tec_files_total{source="odd \\"name\\"\\\\with\\nnewline",asset="TW",status="failed"}',
    ),
    1,
  );
});

Deno.test("default process metrics are present, the unusable ones dropped", async () => {
  const metrics = createMetrics({ version: "x" });
  const text = await metrics.render();
  for (
    const name of [
      "process_cpu_seconds_total",
      "process_cpu_user_seconds_total",
      "process_start_time_seconds",
      "nodejs_eventloop_lag_seconds",
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_heap_size_used_bytes",
    ]
  ) {
    assert.ok(sample(text, name) !== undefined, `${name} missing`);
  }
  // Tests run with every permission, so the /proc/self readings are real.
  assert.ok(sample(text, "process_resident_memory_bytes")! > 1_000_000);
  assert.ok(sample(text, "process_open_fds")! > 0);
  assert.ok(sample(text, "process_max_fds")! > 0);
  const start = sample(text, "process_start_time_seconds")!;
  assert.ok(Math.abs(start - Date.now() / 1000) < 3600, `start ${start}`);
  for (const name of DROPPED_DEFAULT_METRICS) assert.doesNotMatch(text, new RegExp(`${name}\\b`));
  assert.equal(metrics.contentType, METRICS_CONTENT_TYPE);
  assert.doesNotMatch(await quiet().render(), /^(process|nodejs)_/m);
});

Deno.test("without /proc access the resident memory comes from Deno and no false 0 is shown", async () => {
  // `--allow-read` is what `deno task start` grants; Deno 2.9.6 still refuses /proc/self.
  const out = await within(
    30_000,
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--allow-read", "tests/health/promtool_check.ts"],
      stdout: "piped",
      stderr: "piped",
    }).output(),
  );
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(sample(text, "process_resident_memory_bytes")! > 1_000_000);
  assert.doesNotMatch(text, /process_(open_fds|max_fds|virtual_memory_bytes|heap_bytes)\b/);
  assert.ok(sample(text, "process_cpu_seconds_total")! > 0);
});

const promtool = (() => {
  try {
    return new Deno.Command("promtool", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

async function promtoolCheck(text: string): Promise<void> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await within(30_000, child.output());
  const report = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, report);
  assert.equal(report.trim(), "");
}

Deno.test({
  name: "`promtool check metrics` accepts the exposition before and after events",
  ignore: !promtool,
  async fn() {
    await promtoolCheck(await emptyMetrics().render());
    await promtoolCheck(await sampleMetrics().render());
  },
});

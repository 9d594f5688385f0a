import assert from "node:assert/strict";
import {
  Counter,
  escapeLabelValue,
  formatValue,
  Gauge,
  Histogram,
  registerProcessMetrics,
  Registry,
} from "../../src/metrics/registry.ts";
import { createPipelineMetrics } from "../../src/metrics/pipeline_metrics.ts";
import { sampleRegistry } from "../health/promtool_check.ts";

Deno.test("counter renders HELP, TYPE and labelled samples", () => {
  const registry = new Registry();
  const c = registry.counter({
    name: "jobs_total",
    help: "Jobs run.",
    labelNames: ["kind", "result"],
  });
  c.inc({ kind: "fetch", result: "ok" });
  c.inc({ kind: "fetch", result: "ok" }, 2.5);
  c.inc({ kind: "load", result: "failed" }, 0);
  assert.equal(c.get({ kind: "fetch", result: "ok" }), 3.5);
  assert.equal(
    registry.render(),
    [
      "# HELP jobs_total Jobs run.",
      "# TYPE jobs_total counter",
      'jobs_total{kind="fetch",result="ok"} 3.5',
      'jobs_total{kind="load",result="failed"} 0',
      "",
    ].join("\n"),
  );
});

Deno.test("label-less metrics expose a zero sample; labelled ones without series are omitted", () => {
  const registry = new Registry();
  registry.counter({ name: "a_total", help: "A." });
  registry.gauge({ name: "b", help: "B.", labelNames: ["x"] });
  assert.equal(registry.render(), "# HELP a_total A.\n# TYPE a_total counter\na_total 0\n");
  assert.equal(new Registry().render(), "");
});

Deno.test("label values escape backslash, double quote and newline; HELP escapes too", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const registry = new Registry();
  const g = registry.gauge({ name: "g", help: "line1\nline2 \\ end", labelNames: ["v"] });
  g.set({ v: 'say "hi"\\\n' }, 1);
  assert.equal(
    registry.render(),
    '# HELP g line1\\nline2 \\\\ end\n# TYPE g gauge\ng{v="say \\"hi\\"\\\\\\n"} 1\n',
  );
});

Deno.test("histogram buckets are cumulative, le-inclusive, end with +Inf, then _sum and _count", () => {
  const registry = new Registry();
  const h = registry.histogram({
    name: "op_seconds",
    help: "Op time.",
    labelNames: ["op"],
    buckets: [0.1, 1, 10],
  });
  for (const v of [0.05, 0.1, 0.5, 1, 20]) h.observe({ op: "x" }, v);
  assert.equal(
    registry.render(),
    [
      "# HELP op_seconds Op time.",
      "# TYPE op_seconds histogram",
      'op_seconds_bucket{op="x",le="0.1"} 2',
      'op_seconds_bucket{op="x",le="1"} 4',
      'op_seconds_bucket{op="x",le="10"} 4',
      'op_seconds_bucket{op="x",le="+Inf"} 5',
      'op_seconds_sum{op="x"} 21.65',
      'op_seconds_count{op="x"} 5',
      "",
    ].join("\n"),
  );
});

Deno.test("label-less histogram uses default buckets and renders zeros before observations", () => {
  const registry = new Registry();
  registry.histogram({ name: "d_seconds", help: "D." });
  const lines = registry.render().trimEnd().split("\n");
  assert.equal(lines.length, 2 + 12 + 2); // HELP, TYPE, 11 default + +Inf, sum, count
  assert.equal(lines[2], 'd_seconds_bucket{le="0.005"} 0');
  assert.equal(lines[13], 'd_seconds_bucket{le="+Inf"} 0');
  assert.equal(lines[14], "d_seconds_sum 0");
  assert.equal(lines[15], "d_seconds_count 0");
});

Deno.test("startTimer observes elapsed seconds", async () => {
  const h = new Histogram({ name: "t_seconds", help: "T.", buckets: [0.001, 10] });
  const stop = h.startTimer({});
  await new Promise((r) => setTimeout(r, 20));
  const seconds = stop();
  assert.ok(seconds >= 0.015 && seconds < 10, `elapsed ${seconds}`);
  const samples = h.collect();
  assert.deepEqual(samples.map((s) => s.value), [0, 1, 1, seconds, 1]);
});

Deno.test("ordering is stable: families by name, series by label values, not insertion", () => {
  const build = (reverse: boolean) => {
    const registry = new Registry();
    const names = reverse ? ["zz_total", "aa_total"] : ["aa_total", "zz_total"];
    const counters = names.map((name) => registry.counter({ name, help: "X.", labelNames: ["k"] }));
    const keys = reverse ? ["c", "b", "a"] : ["a", "b", "c"];
    for (const c of counters) for (const k of keys) c.inc({ k });
    return registry.render();
  };
  const text = build(false);
  assert.equal(build(true), text);
  assert.ok(text.indexOf("aa_total") < text.indexOf("zz_total"));
  assert.ok(text.indexOf('aa_total{k="a"}') < text.indexOf('aa_total{k="c"}'));
});

Deno.test("gauge set/inc/dec and render-time collect hook", () => {
  const registry = new Registry();
  const g = registry.gauge({ name: "q", help: "Q.", labelNames: ["n"] });
  g.set({ n: "a" }, 5);
  g.inc({ n: "a" }, 2);
  g.dec({ n: "a" });
  assert.equal(g.get({ n: "a" }), 6);
  assert.equal(g.get({ n: "never" }), 0);
  // get() must not create a series as a side effect.
  assert.ok(!registry.render().includes('n="never"'));

  let calls = 0;
  registry.gauge({ name: "live", help: "L.", collect: (gauge) => gauge.set({}, ++calls) });
  assert.equal(calls, 0);
  assert.ok(registry.render().includes("\nlive 1\n"));
  assert.ok(registry.render().includes("\nlive 2\n"));
});

Deno.test("formatValue spells special floats the Prometheus way", () => {
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(-Infinity), "-Inf");
  assert.equal(formatValue(NaN), "NaN");
  assert.equal(formatValue(1.5), "1.5");
  assert.equal(formatValue(-2), "-2");
});

Deno.test("names are validated against the Prometheus grammar", () => {
  assert.throws(() => new Counter({ name: "1bad_total", help: "x" }), /invalid metric name/);
  assert.throws(() => new Counter({ name: "bad-name_total", help: "x" }), /invalid metric name/);
  assert.doesNotThrow(() => new Gauge({ name: "ns:sub_metric", help: "x" }));
  assert.throws(
    () => new Counter({ name: "a_total", help: "x", labelNames: ["has:colon"] }),
    /invalid label name/,
  );
  assert.throws(
    () => new Counter({ name: "a_total", help: "x", labelNames: ["__reserved"] }),
    /reserved/,
  );
  assert.throws(
    () => new Counter({ name: "a_total", help: "x", labelNames: ["k", "k"] }),
    /duplicate label name/,
  );
  assert.throws(
    () => new Histogram({ name: "h", help: "x", labelNames: ["le"] }),
    /"le" is reserved/,
  );
  assert.throws(() => new Gauge({ name: "g", help: " " }), /help text/);
});

Deno.test("histogram buckets must be finite and strictly increasing", () => {
  assert.throws(() => new Histogram({ name: "h", help: "x", buckets: [] }), /at least one/);
  assert.throws(() => new Histogram({ name: "h", help: "x", buckets: [1, 1] }), /increasing/);
  assert.throws(() => new Histogram({ name: "h", help: "x", buckets: [2, 1] }), /increasing/);
  assert.throws(() => new Histogram({ name: "h", help: "x", buckets: [1, Infinity] }), /finite/);
});

Deno.test("registry rejects duplicate names and sample-name collisions", () => {
  const registry = new Registry();
  registry.counter({ name: "dup_total", help: "x" });
  assert.throws(() => registry.gauge({ name: "dup_total", help: "x" }), /already registered/);
  registry.histogram({ name: "lat_seconds", help: "x" });
  assert.throws(() => registry.gauge({ name: "lat_seconds_sum", help: "x" }), /collides/);
  registry.gauge({ name: "req_count", help: "x" });
  assert.throws(() => registry.histogram({ name: "req", help: "x" }), /collides/);
});

Deno.test("label sets and values are checked on use", () => {
  const c = new Counter({ name: "c_total", help: "x", labelNames: ["a", "b"] });
  assert.throws(() => c.inc({ a: "1" } as never), /label "b" must be a string/);
  assert.throws(() => c.inc({ a: "1", b: "2", z: "3" } as never), /unknown label\(s\) z/);
  assert.throws(() => c.inc({ a: "1", b: "2" }, -1), /finite number >= 0/);
  assert.throws(() => c.inc({ a: "1", b: "2" }, NaN), /finite number >= 0/);
  const h = new Histogram({ name: "h", help: "x" });
  assert.throws(() => h.observe({}, NaN), /must be a number/);
  // A failed update must not leave a half-created series behind.
  assert.equal(c.collect().length, 0);
});

Deno.test("process metrics are computed at render time from injected sources", () => {
  const registry = new Registry();
  let now = 1_700_000_010_000;
  registerProcessMetrics(registry, {
    memoryUsage: () => ({ rss: 123456, heapTotal: 7890 }),
    nowMs: () => now,
    startTimeMs: 1_700_000_000_000,
  });
  const text = registry.render();
  assert.match(text, /^process_resident_memory_bytes 123456$/m);
  assert.match(text, /^process_heap_bytes 7890$/m);
  assert.match(text, /^process_start_time_seconds 1700000000$/m);
  assert.match(text, /^process_uptime_seconds 10$/m);
  now += 5_500;
  assert.match(registry.render(), /^process_uptime_seconds 15\.5$/m);
});

Deno.test("process metrics default to the real process", () => {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(registry.render())?.[1]);
  assert.ok(rss > 1_000_000, `rss ${rss}`);
  const start = Number(/^process_start_time_seconds (\S+)$/m.exec(registry.render())?.[1]);
  assert.ok(Math.abs(start - Date.now() / 1000) < 3600, `start ${start}`);
});

Deno.test("pipeline metrics register every tec_ family once", () => {
  const registry = new Registry();
  const m = createPipelineMetrics(registry);
  m.rowsLoaded.inc({ asset: "panhandle", cycle: "timely" }, 10);
  m.files.inc({ asset: "panhandle", status: "loaded" });
  m.fetchRequests.inc({ asset: "panhandle", outcome: "ok" });
  m.fetchDuration.observe({ asset: "panhandle" }, 0.3);
  m.loadDuration.observe({ asset: "panhandle" }, 1.2);
  m.rowsQuarantined.inc({ asset: "panhandle" });
  m.lastSuccessTimestamp.set({ asset: "panhandle", cycle: "timely" }, 1_700_000_000);
  const types = [...registry.render().matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((x) =>
    `${x[1]} ${x[2]}`
  );
  assert.deepEqual(types, [
    "tec_fetch_duration_seconds histogram",
    "tec_fetch_requests_total counter",
    "tec_files_total counter",
    "tec_last_success_timestamp_seconds gauge",
    "tec_load_duration_seconds histogram",
    "tec_rows_loaded_total counter",
    "tec_rows_quarantined_total counter",
  ]);
  assert.throws(() => createPipelineMetrics(registry), /already registered/);
});

const promtool = (() => {
  try {
    return new Deno.Command("promtool", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "sample pipeline metrics pass `promtool check metrics`",
  ignore: !promtool,
  async fn() {
    const child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(sampleRegistry().render()));
    await writer.close();
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    assert.equal(text.trim(), "");
  },
});

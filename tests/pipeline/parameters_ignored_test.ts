/**
 * Parameters ignored: a site that answers every (gas day, cycle) with its
 * latest posting gives identical bytes to different requests. The file
 * carries no day, so the load cannot tell; it records the sign instead, in
 * the ledger, the log, a metric and /status.
 */
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { main } from "../../src/main.ts";
import { statusDocument } from "../../src/app/status.ts";
import { metricsObserver } from "../../src/app/observe.ts";
import { createPipelineMetrics } from "../../src/metrics/pipeline_metrics.ts";
import { pairKey, startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv } from "../support/env.ts";

const FIXTURE = new URL("../fixtures/pepl_messenger_6rows.csv", import.meta.url);

Deno.test("parameters ignored: identical bytes for other (gas day, cycle) requests are flagged in the ledger, the log and /status", async () => {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tec-ignored-" });
  try {
    const body = await Deno.readFile(FIXTURE);
    // Whatever is asked, the same snapshot; except Evening of the 26th, which honours it.
    fake.setDefault(() => ({ kind: "csv", body }));
    const other = new TextDecoder().decode(body).replace(
      '"2100","2100","600"',
      '"2100","2100","700"',
    );
    fake.script(pairKey("PEPL", "2021-01-26", 1), [{ kind: "csv", body: other }]);
    const path = `${dir}/config.yaml`;
    await Deno.writeTextFile(
      path,
      `sources:\n  - pipeline: PEPL\n    base_url: ${fake.url}\n` +
        `daemon:\n  requests_per_minute: 6000\n`,
    );
    const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir: dir });
    delete (env as Record<string, string>).API_URL;
    const lines: string[] = [];
    const run = (argv: string[]) =>
      main(["--config", path, ...argv], { env, logWrite: (l) => lines.push(l) });
    const params = ["--params", "gasDay=[2021-01-26,2021-01-27]", "cycle=[0,1]"];
    assert.equal(await run(["--once", ...params]), 0);
    const ledger = await t.db.query<
      { gas_day: string; cycle: string; load_id: number; same: number | null }
    >(
      `SELECT gas_day::text, cycle, load_id::int, same_bytes_as::int AS same
       FROM staging.load_ledger WHERE status = 'loaded' ORDER BY load_id`,
    );
    assert.equal(ledger.length, 4, JSON.stringify(ledger));
    const first = ledger.find((l) => l.cycle === "Timely" && l.gas_day === "2021-01-26")!;
    const evening26 = ledger.find((l) => l.cycle === "Evening" && l.gas_day === "2021-01-26")!;
    // The earliest holder of the snapshot is unflagged; every later request for another pair is.
    const holder = Math.min(...ledger.filter((l) => l !== evening26).map((l) => l.load_id));
    for (const l of ledger) {
      const expected = l === evening26 || l.load_id === holder ? null : holder;
      assert.equal(l.same, expected, `${l.gas_day} ${l.cycle}`);
    }
    assert.ok(first.load_id >= holder);
    const warnings = lines.map((l) => JSON.parse(l)).filter((e) =>
      e.event === "load.parameters_ignored"
    );
    assert.equal(warnings.length, 2);
    assert.equal(warnings[0].level, "warn");
    assert.equal(warnings[0].source, "pepl");
    assert.equal(warnings[0].same_as_load_id, holder);
    // A second run sees unchanged bytes per pair: no new version, no new warning.
    lines.length = 0;
    assert.equal(await run(["--once", ...params]), 0);
    assert.ok(!lines.some((l) => l.includes("load.parameters_ignored")));
    const doc = await statusDocument({ db: t.db, schema: "staging", version: "0" });
    const flagged = doc.parameters_ignored as Record<string, unknown>[];
    assert.equal(flagged.length, 1);
    assert.equal(flagged[0].source, "pepl");
    assert.equal(flagged[0].versions, 2);
    assert.ok(flagged[0].same_as_gas_day);
  } finally {
    await fake.close();
    await t.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tec_parameters_ignored_total counts flagged versions by source", async () => {
  const registry = new Registry();
  const m = createPipelineMetrics(registry);
  const observer = metricsObserver(m);
  const job = { source: { asset: "PEPL", name: "pepl" }, cycle: { label: "Timely" } };
  const sameBytes = { loadId: 1, gasDay: "2021-01-26", cycle: "Timely" };
  observer.outcome?.(job as never, { status: "loaded", seconds: 0, sameBytes } as never);
  observer.outcome?.(job as never, { status: "loaded", seconds: 0 } as never);
  const text = await registry.metrics();
  assert.match(text, /^tec_parameters_ignored_total\{source="pepl"\} 1$/m);
});

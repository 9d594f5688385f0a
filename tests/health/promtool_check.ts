/**
 * Prints the real pipeline metrics, with realistic sample observations, in
 * exposition format so CI can lint them:
 *
 *     deno run tests/health/promtool_check.ts | promtool check metrics
 *
 * Not a test file (no `_test` suffix): `deno test` does not pick it up.
 *
 * @module
 */

import { registerProcessMetrics, Registry } from "../../src/metrics/registry.ts";
import { createPipelineMetrics } from "../../src/metrics/pipeline_metrics.ts";

/** Builds a registry holding every metric the pipeline exposes, with sample data. */
export function sampleRegistry(): Registry {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const m = createPipelineMetrics(registry);

  const now = Date.now() / 1000;
  for (const asset of ["panhandle", "trunkline"]) {
    for (const [cycle, rows] of [["timely", 1824], ["evening", 1790], ["intraday1", 57]] as const) {
      m.rowsLoaded.inc({ asset, cycle }, rows);
      m.lastSuccessTimestamp.set({ asset, cycle }, now - 3600);
    }
    m.files.inc({ asset, status: "loaded" }, 3);
    m.files.inc({ asset, status: "skipped" });
    m.fetchRequests.inc({ asset, outcome: "ok" }, 4);
    m.fetchRequests.inc({ asset, outcome: "timeout" });
    for (const seconds of [0.21, 0.43, 0.87, 1.9, 30.5]) {
      m.fetchDuration.observe({ asset }, seconds);
    }
    for (const seconds of [0.6, 1.4, 2.2]) m.loadDuration.observe({ asset }, seconds);
    m.rowsQuarantined.inc({ asset }, 2);
  }
  // An awkward but legal label value, to lint the escaping too.
  m.files.inc({ asset: 'odd "name"\\with\nnewline', status: "failed" });
  return registry;
}

if (import.meta.main) {
  await Deno.stdout.write(new TextEncoder().encode(sampleRegistry().render()));
}

/**
 * Prints the real pipeline metrics, with realistic sample observations, in
 * exposition format so CI can lint them:
 *
 *     deno run tests/health/promtool_check.ts | promtool check metrics
 *     deno run tests/health/promtool_check.ts --empty | promtool check metrics
 *
 * `--empty` prints the exposition before any pipeline event (families with
 * HELP and TYPE but no series yet). Not a test file (no `_test` suffix):
 * `deno test` does not pick it up.
 *
 * @module
 */

import { createMetrics, type Metrics } from "../../src/metrics/metrics.ts";

/** Metrics holding every family the daemon exposes, with no pipeline event yet. */
export function emptyMetrics(): Metrics {
  return createMetrics({
    version: "0.1.0",
    databaseUp: () => Promise.resolve(true),
    pairCounts: () => Promise.resolve({ pending: 12, not_posted: 3, failed: 1, loaded: 40 }),
  });
}

/** {@link emptyMetrics} with a sample of every `tec_` family. */
export function sampleMetrics(): Metrics {
  const metrics = emptyMetrics();
  const m = metrics.pipeline;
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
  return metrics;
}

if (import.meta.main) {
  const metrics = Deno.args.includes("--empty") ? emptyMetrics() : sampleMetrics();
  await Deno.stdout.write(new TextEncoder().encode(await metrics.render()));
}

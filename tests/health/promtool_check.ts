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
    pairCounts: () =>
      Promise.resolve({
        "tw-oac": { pending: 12, not_posted: 3, failed: 1, loaded: 40 },
        "tw-nom": { pending: 2, loaded: 50 },
      }),
  });
}

/** {@link emptyMetrics} with a sample of every `tec_` family. */
export function sampleMetrics(): Metrics {
  const metrics = emptyMetrics();
  const m = metrics.pipeline;
  const now = Date.now() / 1000;
  // Two sources of one asset (told apart by `source`) and one of another.
  const sources = [
    { source: "tw-oac", asset: "TW" },
    { source: "tw-nom", asset: "TW" },
    { source: "pepl", asset: "PEPL" },
  ];
  for (const s of sources) {
    for (
      const [cycle, rows] of [["Timely", 1824], ["Evening", 1790], ["Intraday 1", 57]] as const
    ) {
      m.rowsLoaded.inc({ ...s, cycle }, rows);
      m.rowsDeleted.inc({ ...s, cycle }, 1);
      m.lastSuccessTimestamp.set({ ...s, cycle }, now - 3600);
      m.postingLatency.observe({ source: s.source, cycle }, 48);
    }
    m.files.inc({ ...s, status: "loaded" }, 3);
    m.files.inc({ ...s, status: "skipped" });
    m.fetchRequests.inc({ ...s, outcome: "ok" }, 4);
    m.fetchRequests.inc({ ...s, outcome: "timeout" });
    for (const seconds of [0.21, 0.43, 0.87, 1.9, 30.5]) {
      m.fetchDuration.observe(s, seconds);
    }
    for (const seconds of [0.6, 1.4, 2.2]) m.loadDuration.observe(s, seconds);
    m.rowsQuarantined.inc(s, 2);
  }
  m.parametersIgnored.inc({ source: "pepl" });
  // An awkward but legal label value, to lint the escaping too.
  m.files.inc({ source: 'odd "name"\\with\nnewline', asset: "TW", status: "failed" });
  return metrics;
}

if (import.meta.main) {
  const metrics = Deno.args.includes("--empty") ? emptyMetrics() : sampleMetrics();
  await Deno.stdout.write(new TextEncoder().encode(await metrics.render()));
}

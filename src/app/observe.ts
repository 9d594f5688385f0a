/**
 * Feeds pipeline events into the Prometheus metrics.
 *
 * @module
 */
import type { PipelineMetrics } from "../metrics/pipeline_metrics.ts";
import type { PairObserver } from "../pipeline/process_pair.ts";

/** An observer that records every fetch attempt and pair outcome in `m`. */
export function metricsObserver(
  m: PipelineMetrics,
  now: () => Date = () => new Date(),
): PairObserver {
  return {
    fetchAttempt(asset, outcome, seconds) {
      m.fetchRequests.inc({ asset, outcome });
      m.fetchDuration.observe({ asset }, seconds);
    },
    firstSeen(job, seconds) {
      m.postingLatency.observe({ source: job.source.name, cycle: job.cycle.label }, seconds);
    },
    outcome(job, o) {
      const asset = job.source.asset;
      const cycle = job.cycle.label;
      m.files.inc({ asset, status: o.status });
      if (o.loadSeconds !== undefined) m.loadDuration.observe({ asset }, o.loadSeconds);
      if (o.counts) {
        m.rowsLoaded.inc({ asset, cycle }, o.counts.inserted + o.counts.updated);
        m.rowsQuarantined.inc({ asset }, o.counts.quarantined);
        m.rowsDeleted.inc({ asset, cycle }, o.counts.deleted);
      }
      if (o.sameBytes) m.parametersIgnored.inc({ source: job.source.name });
      if (o.status === "loaded" || o.status === "unchanged") {
        m.lastSuccessTimestamp.set({ asset, cycle }, now().getTime() / 1000);
      }
    },
  };
}

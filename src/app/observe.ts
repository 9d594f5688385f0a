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
    fetchAttempt(job, outcome, seconds) {
      const labels = { source: job.source.name, asset: job.source.asset };
      m.fetchRequests.inc({ ...labels, outcome });
      m.fetchDuration.observe(labels, seconds);
    },
    firstSeen(job, seconds) {
      m.postingLatency.observe({ source: job.source.name, cycle: job.cycle.label }, seconds);
    },
    outcome(job, o) {
      const source = job.source.name;
      const asset = job.source.asset;
      const cycle = job.cycle.label;
      m.files.inc({ source, asset, status: o.status });
      if (o.loadSeconds !== undefined) m.loadDuration.observe({ source, asset }, o.loadSeconds);
      if (o.counts) {
        m.rowsLoaded.inc({ source, asset, cycle }, o.counts.inserted + o.counts.updated);
        m.rowsQuarantined.inc({ source, asset }, o.counts.quarantined);
        m.rowsDeleted.inc({ source, asset, cycle }, o.counts.deleted);
      }
      if (o.sameBytes) m.parametersIgnored.inc({ source });
      if (o.status === "loaded" || o.status === "unchanged") {
        m.lastSuccessTimestamp.set({ source, asset, cycle }, now().getTime() / 1000);
      }
    },
  };
}

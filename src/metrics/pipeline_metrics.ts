/**
 * The pipeline's application metrics, all prefixed `tec_` with the unit in the
 * name so they pass `promtool check metrics`. Every per-source family carries
 * `source` (the configured name: several sources may share one asset, and
 * only the name tells them apart); those labelled by `asset` before keep it,
 * so existing dashboards and alerts still match.
 *
 * @module
 */

import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/**
 * Buckets for one HTTP fetch from the upstream site, in seconds: typical
 * answers take well under a second, timeouts and retries reach a minute.
 */
export const FETCH_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
]);

/** Buckets for loading one file into the database, in seconds. */
export const LOAD_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  120,
  300,
]);

/**
 * Buckets for a posting's latency (first found minus nominal posting time),
 * in seconds: probes every minute near the posting time, backing off later;
 * late postings take hours.
 */
export const POSTING_LATENCY_BUCKETS: readonly number[] = Object.freeze([
  15,
  30,
  60,
  90,
  120,
  300,
  600,
  900,
  1800,
  3600,
  7200,
  14400,
  43200,
]);

/** Every application metric, typed by its label names. */
export interface PipelineMetrics {
  /** `tec_rows_loaded_total{source,asset,cycle}`: rows written to the database. */
  readonly rowsLoaded: Counter<"source" | "asset" | "cycle">;
  /** `tec_files_total{source,asset,status}`: files processed, by outcome (e.g. `loaded`, `skipped`, `failed`). */
  readonly files: Counter<"source" | "asset" | "status">;
  /** `tec_fetch_requests_total{source,asset,outcome}`: upstream requests, by outcome (e.g. `ok`, `http_error`, `timeout`). */
  readonly fetchRequests: Counter<"source" | "asset" | "outcome">;
  /** `tec_fetch_duration_seconds{source,asset}`: duration of one upstream request. */
  readonly fetchDuration: Histogram<"source" | "asset">;
  /** `tec_load_duration_seconds{source,asset}`: duration of loading one file. */
  readonly loadDuration: Histogram<"source" | "asset">;
  /** `tec_rows_quarantined_total{source,asset}`: rows rejected by validation. */
  readonly rowsQuarantined: Counter<"source" | "asset">;
  /** `tec_rows_deleted_total{source,asset,cycle}`: rows a revised file no longer has, deleted (kept in history). */
  readonly rowsDeleted: Counter<"source" | "asset" | "cycle">;
  /** `tec_last_success_timestamp_seconds{source,asset,cycle}`: unix time of the last successful load. */
  readonly lastSuccessTimestamp: Gauge<"source" | "asset" | "cycle">;
  /**
   * `tec_parameters_ignored_total{source}`: versions loaded whose bytes equal
   * another (gas day, cycle) of the same source's (the site may have ignored
   * the parameters).
   */
  readonly parametersIgnored: Counter<"source">;
  /**
   * `tec_posting_latency_seconds{source,cycle}`: when the daemon first found
   * a pair's data, minus the pair's nominal posting time.
   */
  readonly postingLatency: Histogram<"source" | "cycle">;
}

/**
 * Registers every application metric on `registry`; throws if any name is taken.
 * Each family prints its HELP and TYPE lines from the start, before its first series.
 */
export function createPipelineMetrics(registry: Registry): PipelineMetrics {
  const registers = [registry];
  return {
    rowsLoaded: new Counter({
      name: "tec_rows_loaded_total",
      help: "Rows loaded into the database.",
      labelNames: ["source", "asset", "cycle"] as const,
      registers,
    }),
    files: new Counter({
      name: "tec_files_total",
      help: "Files processed, by final status.",
      labelNames: ["source", "asset", "status"] as const,
      registers,
    }),
    fetchRequests: new Counter({
      name: "tec_fetch_requests_total",
      help: "Upstream fetch requests, by outcome.",
      labelNames: ["source", "asset", "outcome"] as const,
      registers,
    }),
    fetchDuration: new Histogram({
      name: "tec_fetch_duration_seconds",
      help: "Duration of one upstream fetch request in seconds.",
      labelNames: ["source", "asset"] as const,
      buckets: [...FETCH_DURATION_BUCKETS],
      registers,
    }),
    loadDuration: new Histogram({
      name: "tec_load_duration_seconds",
      help: "Duration of loading one file into the database in seconds.",
      labelNames: ["source", "asset"] as const,
      buckets: [...LOAD_DURATION_BUCKETS],
      registers,
    }),
    rowsQuarantined: new Counter({
      name: "tec_rows_quarantined_total",
      help: "Rows rejected by validation and quarantined.",
      labelNames: ["source", "asset"] as const,
      registers,
    }),
    rowsDeleted: new Counter({
      name: "tec_rows_deleted_total",
      help: "Rows a revised file no longer has, deleted from the table (kept in the history).",
      labelNames: ["source", "asset", "cycle"] as const,
      registers,
    }),
    lastSuccessTimestamp: new Gauge({
      name: "tec_last_success_timestamp_seconds",
      help: "Unix time of the last successful load in seconds.",
      labelNames: ["source", "asset", "cycle"] as const,
      registers,
    }),
    parametersIgnored: new Counter({
      name: "tec_parameters_ignored_total",
      help: "Files loaded whose bytes equal another gas day or cycle's of the same source " +
        "(the site may have ignored the parameters).",
      labelNames: ["source"] as const,
      registers,
    }),
    postingLatency: new Histogram({
      name: "tec_posting_latency_seconds",
      help: "Seconds from a posting's nominal time to when the daemon first found its data.",
      labelNames: ["source", "cycle"] as const,
      buckets: [...POSTING_LATENCY_BUCKETS],
      registers,
    }),
  };
}

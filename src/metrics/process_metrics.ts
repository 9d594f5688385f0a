/**
 * prom-client's default process and runtime metrics, adjusted for Deno.
 *
 * @module
 */

import { collectDefaultMetrics, Gauge, type Registry } from "prom-client";

/**
 * Default families dropped after {@link collectDefaultMetrics}:
 * - the three `nodejs_active_*_total` are gauges named like counters, which
 *   `promtool check metrics` rejects (exit 3); `sum(nodejs_active_*)` gives
 *   the same number;
 * - `nodejs_gc_duration_seconds` never gets an observation because Deno
 *   2.9.6 emits no `gc` performance entries (measured: no sample after 1.5 s
 *   of allocation-heavy work), so it would only ever be an empty family.
 */
export const DROPPED_DEFAULT_METRICS: readonly string[] = Object.freeze([
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
  "nodejs_gc_duration_seconds",
]);

/**
 * Default families prom-client reads from `/proc/self`. Deno 2.9.6 lets a
 * program read `/proc/self/*` only under `--allow-all` ("Requires all
 * access"), even with `--allow-read`; otherwise prom-client swallows the
 * error and these gauges would claim 0 bytes and 0 open files.
 */
export const PROCFS_METRICS: readonly string[] = Object.freeze([
  "process_resident_memory_bytes",
  "process_virtual_memory_bytes",
  "process_heap_bytes",
  "process_open_fds",
  "process_max_fds",
]);

/** Whether this process may read `/proc/self` (Linux, with every permission). */
export function procfsReadable(): boolean {
  if (Deno.build.os !== "linux") return false;
  // Query first so that a program without read permission is not prompted.
  const state = Deno.permissions.querySync({ name: "read", path: "/proc/self/status" }).state;
  if (state !== "granted") return false;
  try {
    Deno.readTextFileSync("/proc/self/status");
    return true;
  } catch {
    return false;
  }
}

/**
 * Registers prom-client's default metrics (`process_cpu_*`,
 * `process_start_time_seconds`, `nodejs_eventloop_lag_*`, `nodejs_heap_*`,
 * `nodejs_version_info`, ...) on `registry`, minus
 * {@link DROPPED_DEFAULT_METRICS}. Where `/proc/self` cannot be read, the
 * {@link PROCFS_METRICS} are removed rather than left at a false 0, and
 * `process_resident_memory_bytes` comes from `Deno.memoryUsage()` instead.
 */
export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  if (Deno.build.os !== "linux" || procfsReadable()) return;
  for (const name of PROCFS_METRICS) registry.removeSingleMetric(name);
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers: [registry],
    collect() {
      this.set(Deno.memoryUsage().rss);
    },
  });
}

/**
 * The daemon's `/metrics`: prom-client on a private registry holding the
 * pipeline's `tec_` families, build info, scrape-time database and polling
 * window gauges, and the default process metrics.
 *
 * @module
 */

import { Gauge, Registry } from "prom-client";
import { createPipelineMetrics, type PipelineMetrics } from "./pipeline_metrics.ts";
import { registerProcessMetrics } from "./process_metrics.ts";

/** Poll statuses of a pair in the daemon's polling window, in `tec_pairs` order. */
export const PAIR_STATUSES = Object.freeze(["pending", "not_posted", "failed", "loaded"] as const);

/** One of {@link PAIR_STATUSES}. */
export type PairStatus = typeof PAIR_STATUSES[number];

/** Pairs of the polling window by source name, then by poll status. */
export type PairCounts = Record<string, Partial<Record<PairStatus, number>>>;

/** Which scrape-time probe failed, for {@link MetricsOptions.onProbeError}. */
export type ProbeName = "databaseUp" | "pairCounts";

/** Options for {@link createMetrics}. */
export interface MetricsOptions {
  /** Program version, exposed as `tec_build_info{version}` = 1. */
  version: string;
  /**
   * Asked on every scrape for `tec_database_up` (1 when it resolves `true`,
   * else 0). Without it the family is not registered: no answer is better
   * than a made-up one.
   */
  databaseUp?: () => Promise<boolean>;
  /**
   * Asked on every scrape for `tec_pairs{source,status}`: counts by source,
   * then status; a missing status counts 0, a source left out has no series.
   * Without it the family is not registered.
   */
  pairCounts?: () => Promise<PairCounts>;
  /** Register prom-client's default process metrics. Default `true`. */
  defaultMetrics?: boolean;
  /**
   * How long a scrape waits for each probe. Past it `tec_database_up` is 0
   * and `tec_pairs` keeps its last values (none before a first answer).
   * Default 1000 ms.
   */
  probeTimeoutMs?: number;
  /** Told when a probe throws, times out or answers nonsense. Default: nothing. */
  onProbeError?: (probe: ProbeName, error: Error) => void;
}

/** The metrics of one daemon. */
export interface Metrics {
  /** The pipeline's event metrics, fed by `metricsObserver`. */
  readonly pipeline: PipelineMetrics;
  /** The text exposition; never rejects because of a probe. May be called unbound. */
  render(): Promise<string>;
  /** Content type of {@link Metrics.render}'s text (Prometheus text 0.0.4). */
  readonly contentType: string;
}

const DEFAULT_PROBE_TIMEOUT_MS = 1000;

/** Creates the metrics on a fresh registry; several may coexist (tests). */
export function createMetrics(o: MetricsOptions): Metrics {
  const timeoutMs = o.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`metrics probeTimeoutMs: expected a finite number > 0, got ${timeoutMs}`);
  }
  const registry = new Registry();
  const report = (probe: ProbeName) => (error: Error) => {
    try {
      o.onProbeError?.(probe, error);
    } catch {
      // A broken error hook must not turn a failed probe into a failed scrape.
    }
  };

  new Gauge({
    name: "tec_build_info",
    help: "Always 1; the version label says which build runs.",
    labelNames: ["version"] as const,
    registers: [registry],
  }).set({ version: o.version }, 1);

  if (o.databaseUp) {
    const probe = bounded(
      "databaseUp",
      o.databaseUp,
      checkDatabaseUp,
      timeoutMs,
      report("databaseUp"),
    );
    new Gauge({
      name: "tec_database_up",
      help: "1 when the database answered the scrape-time probe, else 0.",
      registers: [registry],
      async collect() {
        this.set((await probe()) === true ? 1 : 0);
      },
    });
  }
  if (o.pairCounts) {
    const probe = bounded(
      "pairCounts",
      o.pairCounts,
      checkPairCounts,
      timeoutMs,
      report("pairCounts"),
    );
    registerPairs(registry, probe);
  }
  const pipeline = createPipelineMetrics(registry);
  if (o.defaultMetrics ?? true) registerProcessMetrics(registry);

  return {
    pipeline,
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

function registerPairs(
  registry: Registry,
  probe: () => Promise<PairCounts | undefined>,
): void {
  new Gauge({
    name: "tec_pairs",
    help: "Pairs in the daemon's polling window, by source and poll status.",
    labelNames: ["source", "status"] as const,
    registers: [registry],
    async collect() {
      const counts = await probe();
      // A failed probe keeps the last answer: the window changes slowly. Before a
      // first answer there is no series: no count is better than a made-up 0.
      if (counts === undefined) return;
      // A source no longer answered for (gone from the window) loses its series.
      this.reset();
      for (const [source, by] of Object.entries(counts)) {
        for (const status of PAIR_STATUSES) this.set({ source, status }, by[status] ?? 0);
      }
    },
  });
}

/**
 * Wraps a probe so that it resolves within `timeoutMs`: to the probe's answer
 * once `check` accepts it, else (throw, rejection, late or invalid answer) to
 * `undefined` after telling `onError`. Scrapes that overlap within one
 * timeout share one run, so a slow database is not asked twice at once; a
 * run that hangs is given up on after its timeout, so the next scrape asks
 * afresh.
 */
export function bounded<T>(
  name: ProbeName,
  fn: () => Promise<unknown>,
  check: (value: unknown) => T,
  timeoutMs: number,
  onError: (error: Error) => void = () => {},
): () => Promise<T | undefined> {
  let shared: { run: Promise<T>; startedAt: number } | undefined;
  return async () => {
    const now = performance.now();
    if (shared === undefined || now - shared.startedAt >= timeoutMs) {
      const run: Promise<T> = Promise.resolve().then(fn).then(check).finally(() => {
        if (shared?.run === run) shared = undefined;
      });
      shared = { run, startedAt: now };
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      const left = Math.max(0, timeoutMs - (now - shared!.startedAt));
      timer = setTimeout(
        () => reject(new Error(`${name} did not answer within ${timeoutMs} ms`)),
        left,
      );
    });
    try {
      return await Promise.race([shared.run, late]);
    } catch (error) {
      onError(error instanceof Error ? error : new Error(`${name} failed: ${String(error)}`));
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Accepts a `databaseUp` answer. */
export function checkDatabaseUp(value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new Error(`databaseUp returned ${describe(value)}: expected a boolean`);
  }
  return value;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Accepts a `pairCounts` answer: an object of sources, each an object whose
 * known statuses are counts.
 */
export function checkPairCounts(value: unknown): PairCounts {
  if (!isObject(value)) {
    throw new Error(`pairCounts returned ${describe(value)}: expected an object of sources`);
  }
  for (const [source, counts] of Object.entries(value)) {
    if (!isObject(counts)) {
      throw new Error(
        `pairCounts returned ${JSON.stringify(source)}=${describe(counts)}: ` +
          "expected an object of counts",
      );
    }
    for (const status of PAIR_STATUSES) {
      const n = counts[status];
      if (n !== undefined && (typeof n !== "number" || !Number.isFinite(n) || n < 0)) {
        throw new Error(
          `pairCounts returned ${JSON.stringify(source)}.${status}=${describe(n)}: ` +
            "expected a finite number >= 0",
        );
      }
    }
  }
  return value as PairCounts;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return typeof value;
}

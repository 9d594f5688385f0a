/**
 * A minimal Prometheus metrics registry rendering text exposition format 0.0.4.
 *
 * Hand-rolled rather than pulled from npm: the pipeline needs only counters,
 * gauges and histograms, and owning the renderer keeps the output byte-stable
 * (families sorted by name, series by label values) so it can be checked with
 * `promtool check metrics` in CI and compared in tests.
 *
 * @module
 */

/** Label values of one series, keyed by the label names fixed at creation. */
export type Labels<L extends string> = Readonly<Record<L, string>>;

/** Metric type as written on the `# TYPE` line. */
export type MetricType = "counter" | "gauge" | "histogram";

/** One rendered sample line: full sample name, ordered label pairs, value. */
export interface Sample {
  /** Sample name, e.g. `tec_fetch_duration_seconds_bucket`. */
  readonly name: string;
  /** Label pairs in output order. */
  readonly labels: readonly (readonly [string, string])[];
  /** Sample value. */
  readonly value: number;
}

/** What the registry needs from a metric family to validate and render it. */
export interface Collector {
  /** Family name, unique within a registry. */
  readonly name: string;
  /** Help text for the `# HELP` line. */
  readonly help: string;
  /** Family type for the `# TYPE` line. */
  readonly type: MetricType;
  /** Every sample name this family can emit, used to detect collisions. */
  sampleNames(): readonly string[];
  /** Current samples in render order. */
  collect(): readonly Sample[];
}

/** Options shared by every metric constructor. */
export interface MetricOptions<L extends string> {
  /** Metric name; must match `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  readonly name: string;
  /** Human-readable description, rendered on the `# HELP` line. */
  readonly help: string;
  /** Label names, fixed for the metric's lifetime. Defaults to none. */
  readonly labelNames?: readonly L[];
}

/** Options for {@link Gauge}. */
export interface GaugeOptions<L extends string> extends MetricOptions<L> {
  /**
   * Called at render time before samples are read, for values that are
   * cheaper or more accurate to compute on scrape (memory, uptime).
   */
  readonly collect?: (gauge: Gauge<L>) => void;
}

/** Options for {@link Histogram}. */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds, strictly increasing and finite; `+Inf` is implicit. */
  readonly buckets?: readonly number[];
}

/** The Prometheus client libraries' default buckets, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
]);

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Throws unless `name` is a valid Prometheus metric name. */
export function validateMetricName(name: string): void {
  if (!METRIC_NAME_RE.test(name)) {
    throw new Error(
      `invalid metric name ${JSON.stringify(name)}: expected [a-zA-Z_:][a-zA-Z0-9_:]*`,
    );
  }
}

/** Throws unless `name` is a valid, non-reserved Prometheus label name. */
export function validateLabelName(name: string): void {
  if (!LABEL_NAME_RE.test(name)) {
    throw new Error(
      `invalid label name ${JSON.stringify(name)}: expected [a-zA-Z_][a-zA-Z0-9_]*`,
    );
  }
  // Prometheus reserves the double-underscore prefix for internal labels.
  if (name.startsWith("__")) {
    throw new Error(`invalid label name ${JSON.stringify(name)}: "__" prefix is reserved`);
  }
}

/** Escapes a label value for the text format: backslash, double quote, newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escapes HELP text: only backslash and newline are special there. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Formats a sample value the way Prometheus parses it (`+Inf`, `-Inf`, `NaN`). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

interface Series<V> {
  readonly values: readonly string[];
  data: V;
}

/**
 * Shared label handling. Series are keyed by the JSON of their ordered label
 * values, which is injective, so distinct label sets can never collide.
 */
abstract class LabelledMetric<L extends string, V> implements Collector {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  abstract readonly type: MetricType;
  readonly #series = new Map<string, Series<V>>();

  constructor(options: MetricOptions<L>, reservedLabels: readonly string[] = []) {
    validateMetricName(options.name);
    if (options.help.trim() === "") {
      throw new Error(`metric ${options.name}: help text must not be empty`);
    }
    const labelNames = options.labelNames ?? [];
    const seen = new Set<string>();
    for (const label of labelNames) {
      validateLabelName(label);
      if (reservedLabels.includes(label)) {
        throw new Error(`metric ${options.name}: label name "${label}" is reserved`);
      }
      if (seen.has(label)) {
        throw new Error(`metric ${options.name}: duplicate label name "${label}"`);
      }
      seen.add(label);
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = Object.freeze([...labelNames]);
  }

  /** Fresh per-series state. */
  protected abstract initial(): V;

  /** Samples of one series, in render order. */
  protected abstract seriesSamples(pairs: [string, string][], data: V): Sample[];

  /** Every sample name this family can emit. */
  abstract sampleNames(): readonly string[];

  /** Returns the state of the series for `labels`, creating it on first use. */
  protected series(labels: Labels<L>): Series<V> {
    const values = this.#labelValues(labels);
    const key = JSON.stringify(values);
    let series = this.#series.get(key);
    if (series === undefined) {
      series = { values, data: this.initial() };
      this.#series.set(key, series);
    }
    return series;
  }

  /** Returns the state of the series for `labels` without creating it. */
  protected lookup(labels: Labels<L>): Series<V> | undefined {
    return this.#series.get(JSON.stringify(this.#labelValues(labels)));
  }

  #labelValues(labels: Labels<L>): string[] {
    const record = labels as Readonly<Record<string, unknown>>;
    const keys = Object.keys(record);
    const extra = keys.filter((k) => !(this.labelNames as readonly string[]).includes(k));
    if (extra.length > 0) {
      throw new Error(`metric ${this.name}: unknown label(s) ${extra.join(", ")}`);
    }
    return this.labelNames.map((label) => {
      const value = record[label];
      if (typeof value !== "string") {
        throw new Error(`metric ${this.name}: label "${label}" must be a string`);
      }
      return value;
    });
  }

  /** Samples of every series, ordered by label values for stable output. */
  collect(): readonly Sample[] {
    // Label-less metrics always expose a zero sample, as the official clients
    // do, so dashboards see the series before the first event.
    if (this.labelNames.length === 0) this.series({} as Labels<L>);
    const all = [...this.#series.values()].sort((a, b) => compareValues(a.values, b.values));
    return all.flatMap((s) =>
      this.seriesSamples(this.labelNames.map((l, i) => [l, s.values[i]]), s.data)
    );
  }
}

function compareValues(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

/** A monotonically increasing count. Its name should end in `_total`. */
export class Counter<L extends string = never> extends LabelledMetric<L, { value: number }> {
  /** Always `"counter"`. */
  readonly type = "counter" as const;

  /** Creates an unregistered counter; see {@link Registry.counter}. */
  constructor(options: MetricOptions<L>) {
    super(options);
  }

  /** Adds `n` (default 1) to the series for `labels`; `n` must be finite and >= 0. */
  inc(labels: Labels<L>, n = 1): void {
    if (!Number.isFinite(n) || n < 0) {
      throw new Error(`counter ${this.name}: increment must be a finite number >= 0, got ${n}`);
    }
    this.series(labels).data.value += n;
  }

  /** Current value of the series for `labels` (0 if never touched). */
  get(labels: Labels<L>): number {
    return this.lookup(labels)?.data.value ?? 0;
  }

  /** @inheritdoc */
  protected initial(): { value: number } {
    return { value: 0 };
  }

  /** @inheritdoc */
  protected seriesSamples(pairs: [string, string][], data: { value: number }): Sample[] {
    return [{ name: this.name, labels: pairs, value: data.value }];
  }

  /** @inheritdoc */
  sampleNames(): readonly string[] {
    return [this.name];
  }
}

/** A value that can go up and down. */
export class Gauge<L extends string = never> extends LabelledMetric<L, { value: number }> {
  /** Always `"gauge"`. */
  readonly type = "gauge" as const;
  readonly #onCollect?: (gauge: Gauge<L>) => void;

  /** Creates an unregistered gauge; see {@link Registry.gauge}. */
  constructor(options: GaugeOptions<L>) {
    super(options);
    this.#onCollect = options.collect;
  }

  /** Sets the series for `labels` to `v`. */
  set(labels: Labels<L>, v: number): void {
    if (typeof v !== "number") throw new Error(`gauge ${this.name}: value must be a number`);
    this.series(labels).data.value = v;
  }

  /** Adds `n` (default 1, may be negative) to the series for `labels`. */
  inc(labels: Labels<L>, n = 1): void {
    this.series(labels).data.value += n;
  }

  /** Subtracts `n` (default 1) from the series for `labels`. */
  dec(labels: Labels<L>, n = 1): void {
    this.inc(labels, -n);
  }

  /** Current value of the series for `labels` (0 if never touched). */
  get(labels: Labels<L>): number {
    return this.lookup(labels)?.data.value ?? 0;
  }

  /** Runs the render-time hook, then returns the samples. */
  override collect(): readonly Sample[] {
    this.#onCollect?.(this);
    return super.collect();
  }

  /** @inheritdoc */
  protected initial(): { value: number } {
    return { value: 0 };
  }

  /** @inheritdoc */
  protected seriesSamples(pairs: [string, string][], data: { value: number }): Sample[] {
    return [{ name: this.name, labels: pairs, value: data.value }];
  }

  /** @inheritdoc */
  sampleNames(): readonly string[] {
    return [this.name];
  }
}

interface HistogramData {
  readonly counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram<L extends string = never> extends LabelledMetric<L, HistogramData> {
  /** Always `"histogram"`. */
  readonly type = "histogram" as const;
  /** Finite upper bounds, strictly increasing; `+Inf` is added on render. */
  readonly buckets: readonly number[];

  /** Creates an unregistered histogram; see {@link Registry.histogram}. */
  constructor(options: HistogramOptions<L>) {
    super(options, ["le"]);
    const buckets = options.buckets ?? DEFAULT_BUCKETS;
    validateBuckets(options.name, buckets);
    this.buckets = Object.freeze([...buckets]);
  }

  /** Records one observation `v` (any non-NaN number) in the series for `labels`. */
  observe(labels: Labels<L>, v: number): void {
    if (typeof v !== "number" || Number.isNaN(v)) {
      throw new Error(`histogram ${this.name}: observation must be a number, got ${v}`);
    }
    const data = this.series(labels).data;
    const i = this.buckets.findIndex((b) => v <= b);
    // Counts are stored per bucket and made cumulative on render.
    data.counts[i === -1 ? this.buckets.length : i]++;
    data.sum += v;
    data.count++;
  }

  /** Starts a wall-clock timer; the returned function observes and returns elapsed seconds. */
  startTimer(labels: Labels<L>): () => number {
    const start = performance.now();
    return () => {
      const seconds = (performance.now() - start) / 1000;
      this.observe(labels, seconds);
      return seconds;
    };
  }

  /** @inheritdoc */
  protected initial(): HistogramData {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  /** @inheritdoc */
  protected seriesSamples(pairs: [string, string][], data: HistogramData): Sample[] {
    const samples: Sample[] = [];
    let cumulative = 0;
    const bounds = [...this.buckets, Infinity];
    bounds.forEach((bound, i) => {
      cumulative += data.counts[i];
      samples.push({
        name: `${this.name}_bucket`,
        labels: [...pairs, ["le", formatValue(bound)]],
        value: cumulative,
      });
    });
    samples.push({ name: `${this.name}_sum`, labels: pairs, value: data.sum });
    samples.push({ name: `${this.name}_count`, labels: pairs, value: data.count });
    return samples;
  }

  /** @inheritdoc */
  sampleNames(): readonly string[] {
    return [`${this.name}_bucket`, `${this.name}_sum`, `${this.name}_count`];
  }
}

function validateBuckets(name: string, buckets: readonly number[]): void {
  if (buckets.length === 0) throw new Error(`histogram ${name}: at least one bucket is required`);
  buckets.forEach((b, i) => {
    if (!Number.isFinite(b)) {
      throw new Error(`histogram ${name}: bucket bounds must be finite (+Inf is implicit)`);
    }
    if (i > 0 && b <= buckets[i - 1]) {
      throw new Error(`histogram ${name}: bucket bounds must be strictly increasing`);
    }
  });
}

/** A set of metric families rendered together on one scrape. */
export class Registry {
  readonly #collectors = new Map<string, Collector>();
  readonly #sampleNames = new Map<string, string>();

  /**
   * Adds a collector. Throws if its family name or any sample name it emits
   * (e.g. a histogram's `_sum`) is already taken, since Prometheus would
   * reject or silently merge such output.
   */
  register<C extends Collector>(collector: C): C {
    if (this.#collectors.has(collector.name)) {
      throw new Error(`metric ${collector.name} is already registered`);
    }
    for (const sample of collector.sampleNames()) {
      const owner = this.#sampleNames.get(sample);
      if (owner !== undefined) {
        throw new Error(
          `metric ${collector.name}: sample name ${sample} collides with metric ${owner}`,
        );
      }
    }
    this.#collectors.set(collector.name, collector);
    for (const sample of collector.sampleNames()) this.#sampleNames.set(sample, collector.name);
    return collector;
  }

  /** Creates and registers a {@link Counter}. */
  counter<L extends string = never>(options: MetricOptions<L>): Counter<L> {
    return this.register(new Counter<L>(options));
  }

  /** Creates and registers a {@link Gauge}. */
  gauge<L extends string = never>(options: GaugeOptions<L>): Gauge<L> {
    return this.register(new Gauge<L>(options));
  }

  /** Creates and registers a {@link Histogram}. */
  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.register(new Histogram<L>(options));
  }

  /**
   * Renders every family in text exposition format 0.0.4, families sorted by
   * name. Families without samples are omitted, as the official clients do.
   */
  render(): string {
    const names = [...this.#collectors.keys()].sort();
    let out = "";
    for (const name of names) {
      const collector = this.#collectors.get(name)!;
      const samples = collector.collect();
      if (samples.length === 0) continue;
      out += `# HELP ${name} ${escapeHelp(collector.help)}\n`;
      out += `# TYPE ${name} ${collector.type}\n`;
      for (const sample of samples) out += renderSample(sample);
    }
    return out;
  }
}

function renderSample(sample: Sample): string {
  const labels = sample.labels.length === 0
    ? ""
    : `{${sample.labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
  return `${sample.name}${labels} ${formatValue(sample.value)}\n`;
}

/** Sources for {@link registerProcessMetrics}; injectable so tests are deterministic. */
export interface ProcessMetricsOptions {
  /** Memory reader; defaults to `Deno.memoryUsage`. */
  readonly memoryUsage?: () => { readonly rss: number; readonly heapTotal: number };
  /** Current wall-clock time in epoch milliseconds; defaults to `Date.now`. */
  readonly nowMs?: () => number;
  /** Process start in epoch milliseconds; defaults to `performance.timeOrigin`. */
  readonly startTimeMs?: number;
}

/**
 * Registers the standard process gauges, all computed at render time:
 * `process_resident_memory_bytes`, `process_heap_bytes`,
 * `process_start_time_seconds` and `process_uptime_seconds`.
 */
export function registerProcessMetrics(
  registry: Registry,
  options: ProcessMetricsOptions = {},
): void {
  const memoryUsage = options.memoryUsage ?? (() => Deno.memoryUsage());
  const nowMs = options.nowMs ?? (() => Date.now());
  // timeOrigin is when the runtime started, the closest Deno gets to process start.
  const startTimeMs = options.startTimeMs ?? performance.timeOrigin;

  registry.gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    collect: (g) => g.set({}, memoryUsage().rss),
  });
  registry.gauge({
    name: "process_heap_bytes",
    help: "Process heap size (V8 heap total) in bytes.",
    collect: (g) => g.set({}, memoryUsage().heapTotal),
  });
  registry.gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process since unix epoch in seconds.",
    collect: (g) => g.set({}, startTimeMs / 1000),
  });
  registry.gauge({
    name: "process_uptime_seconds",
    help: "Seconds since the process started.",
    collect: (g) => g.set({}, Math.max(0, (nowMs() - startTimeMs) / 1000)),
  });
}

/**
 * Small readers that turn untyped YAML/env values into typed ones and collect
 * every problem with the key path, the offending value and what was expected.
 *
 * Errors are collected, not thrown one at a time, so a user fixing a config
 * file sees all of its mistakes at once.
 *
 * @module
 */
import { nearest } from "./nearest.ts";
import { safeUrlsIn } from "../log/redact.ts";

/** One validation problem. */
export interface Problem {
  /** Dotted key path, e.g. `sources[0].asset`. */
  key: string;
  /** What is wrong and what was expected. */
  message: string;
}

/**
 * Thrown when a configuration cannot be used; its message lists every problem
 * (over several lines), {@linkcode ConfigError.lines} gives one line each.
 */
export class ConfigError extends Error {
  /** The file read, `(built-in defaults)` or `environment`. */
  readonly origin: string;
  /** Every problem found. */
  readonly problems: readonly Problem[];

  /** Build the error for `origin` (a file name or `environment`). */
  constructor(origin: string, problems: readonly Problem[]) {
    super(
      `invalid configuration in ${origin}:\n` +
        problems.map((p) => `  ${p.key}: ${p.message}`).join("\n"),
    );
    this.name = "ConfigError";
    this.origin = origin;
    this.problems = problems;
  }

  /**
   * One self-contained line per problem, `<origin>: <key>: <message>`, e.g.
   * `config.yaml: daemon.schedule: expected ...`; a line break inside a
   * message (from a library, say) becomes a space so that each problem stays
   * one line of a log.
   */
  lines(): string[] {
    const flat = (t: string) => t.replace(/\s*[\r\n]+\s*/g, " ");
    return this.problems.map((p) => flat(`${this.origin}: ${p.key}: ${p.message}`));
  }
}

/** Describe a value for an error message without dumping large objects or a URL's credentials. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(safeUrlsIn(value));
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

/** Reads typed values from one mapping, recording problems under `path`. */
export class Reader {
  readonly #obj: Record<string, unknown>;
  readonly #path: string;
  readonly #problems: Problem[];
  readonly #seen = new Set<string>();

  /** Wrap `value`; a non-mapping is recorded as a problem and read as empty. */
  constructor(value: unknown, path: string, problems: Problem[]) {
    this.#path = path;
    this.#problems = problems;
    if (value === undefined || value === null) this.#obj = {};
    else if (typeof value === "object" && !Array.isArray(value)) {
      this.#obj = value as Record<string, unknown>;
    } else {
      this.#obj = {};
      problems.push({
        key: path || "(top level)",
        message: `expected a mapping, got ${show(value)}`,
      });
    }
  }

  /** Full key path of `key` for messages. */
  keyOf(key: string): string {
    return this.#path ? `${this.#path}.${key}` : key;
  }

  /** Record a problem for `key`. */
  fail(key: string, message: string): void {
    this.#problems.push({ key: this.keyOf(key), message });
  }

  /** Whether `key` is given a value (not absent, null or empty). */
  has(key: string): boolean {
    const v = this.#obj[key];
    return v !== undefined && v !== null && v !== "";
  }

  /** Raw value of `key` (marks it as known). */
  raw(key: string): unknown {
    this.#seen.add(key);
    return this.#obj[key];
  }

  /** A string; `fallback` when absent. */
  string(
    key: string,
    fallback: string,
    opts: { pattern?: RegExp; expected?: string } = {},
  ): string {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "string" && typeof v !== "number") {
      this.fail(key, `expected ${opts.expected ?? "a string"}, got ${show(v)}`);
      return fallback;
    }
    const s = String(v);
    if (opts.pattern && !opts.pattern.test(s)) {
      this.fail(
        key,
        `expected ${opts.expected ?? `text matching ${opts.pattern}`}, got ${show(s)}`,
      );
      return fallback;
    }
    return s;
  }

  /** An optional string: `undefined` when absent or empty. */
  optionalString(key: string): string | undefined {
    const s = this.string(key, "");
    return s === "" ? undefined : s;
  }

  /** An integer in `[min, max]`; `fallback` when absent. */
  int(key: string, fallback: number, min: number, max: number): number {
    return this.number(key, fallback, min, max, true);
  }

  /** A number in `[min, max]`; `fallback` when absent. */
  number(key: string, fallback: number, min: number, max: number, integer = false): number {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    const n = typeof v === "number"
      ? v
      : typeof v === "string" && v.trim() !== ""
      ? Number(v)
      : NaN;
    const kind = integer ? "an integer" : "a number";
    if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      this.fail(key, `expected ${kind} from ${min} to ${max}, got ${show(v)}`);
      return fallback;
    }
    return n;
  }

  /** A boolean; `fallback` when absent. */
  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v === "boolean") return v;
    this.fail(key, `expected true or false, got ${show(v)}`);
    return fallback;
  }

  /** One of `choices`; `fallback` when absent. */
  oneOf<T extends string>(key: string, fallback: T, choices: readonly T[]): T {
    const v = this.raw(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v === "string" && (choices as readonly string[]).includes(v)) return v as T;
    this.fail(key, `expected one of ${choices.join(", ")}, got ${show(v)}`);
    return fallback;
  }

  /** A list; `undefined` when absent. */
  list(key: string): unknown[] | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v;
    this.fail(key, `expected a list, got ${show(v)}`);
    return undefined;
  }

  /** A nested mapping reader. */
  child(key: string): Reader {
    return new Reader(this.raw(key), this.keyOf(key), this.#problems);
  }

  /** A mapping of string to string (scalars are stringified). */
  stringMap(key: string): Record<string, string> {
    const v = this.raw(key);
    const out: Record<string, string> = {};
    if (v === undefined || v === null) return out;
    if (typeof v !== "object" || Array.isArray(v)) {
      this.fail(key, `expected a mapping of names to values, got ${show(v)}`);
      return out;
    }
    for (const [k, x] of Object.entries(v)) {
      if (x === null || x === undefined) out[k] = "";
      else if (typeof x === "object") this.fail(`${key}.${k}`, `expected a scalar, got ${show(x)}`);
      else out[k] = String(x);
    }
    return out;
  }

  /**
   * Record every key that was never read as unknown (catches typos), naming
   * the nearest known key when one is close, else listing the known keys.
   */
  rejectUnknown(): void {
    const known = [...this.#seen].sort();
    for (const k of Object.keys(this.#obj)) {
      if (this.#seen.has(k)) continue;
      const near = nearest(k, known);
      this.fail(
        k,
        near
          ? `unknown key; did you mean ${near}?`
          : `unknown key (known keys here: ${known.join(", ")})`,
      );
    }
  }
}

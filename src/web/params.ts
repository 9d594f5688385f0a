/**
 * URL parameters of the dashboard, validated. Every page states the
 * parameters it takes; anything else, and any value that is not what the
 * parameter expects, is a {@linkcode ParamError} naming the parameter, the
 * value and what was expected, which the app answers with a 400 page. Pure.
 *
 * Free-text filters accept letters, digits, spaces and `.,&/()#_+-` only: a
 * value with markup or SQL punctuation (`<`, `'`, `;`, `=`...) is refused
 * rather than searched for (the queries bind every value; the refusal makes a
 * probing URL say so).
 *
 * @module
 */
import { type Cycle, CYCLES, findCycle } from "../domain/cycles.ts";
import { explainBadDate, type IsoDate, parseGasDay } from "../domain/gas_day.ts";
import { type SortColumn, SORTS } from "./queries.ts";

/** A URL parameter that is not what the page expects. */
export class ParamError extends Error {
  /** The parameter. */
  readonly param: string;
  /** What was expected, in words. */
  readonly expected: string;
  /** The value given (`undefined` when it was missing). */
  readonly value?: string;

  /** Build the error. */
  constructor(param: string, expected: string, value?: string) {
    super(
      `${param}: expected ${expected}${
        value === undefined ? " (missing)" : `, got ${JSON.stringify(clip(value))}`
      }`,
    );
    this.name = "ParamError";
    this.param = param;
    this.expected = expected;
    this.value = value;
  }
}

function clip(v: string): string {
  return v.length > 80 ? `${v.slice(0, 80)}…` : v;
}

/** The query string of one request, with its accepted parameter names. */
export class Params {
  readonly #url: URL;

  /**
   * Check that `url` holds only `allowed` parameters, each at most once.
   *
   * @throws {ParamError} naming the first unknown or repeated parameter
   */
  constructor(url: URL, allowed: readonly string[]) {
    this.#url = url;
    const seen = new Set<string>();
    for (const key of url.searchParams.keys()) {
      if (!allowed.includes(key)) {
        throw new ParamError(
          clip(key),
          allowed.length ? `one of the parameters ${allowed.join(", ")}` : "no parameters",
          url.searchParams.get(key) ?? "",
        );
      }
      if (seen.has(key)) {
        throw new ParamError(key, "one value", url.searchParams.getAll(key).join(","));
      }
      seen.add(key);
    }
  }

  /** The raw value; `undefined` when absent or empty. */
  raw(name: string): string | undefined {
    const v = this.#url.searchParams.get(name);
    return v === null || v === "" ? undefined : v;
  }

  /** A required value. */
  required(name: string, expected: string): string {
    const v = this.raw(name);
    if (v === undefined) throw new ParamError(name, expected);
    return v;
  }

  /** A gas day (`YYYY-MM-DD`), or `fallback` when absent. */
  date(name: string, fallback?: IsoDate): IsoDate {
    const v = this.raw(name);
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      throw new ParamError(name, "a date as YYYY-MM-DD");
    }
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new ParamError(name, "a date as YYYY-MM-DD", v);
    const d = parseGasDay(v);
    if (!d) throw new ParamError(name, `a real date (${explainBadDate(v)})`, v);
    return d;
  }

  /** A cycle: code, id or label. */
  cycle(name: string): Cycle {
    const v = this.required(name, "a cycle");
    const c = findCycle(v);
    if (!c) {
      throw new ParamError(name, `a cycle (${CYCLES.map((x) => x.id).join(", ")})`, v);
    }
    return c;
  }

  /** One of `choices`, or `fallback` when absent. */
  oneOf<T extends string>(name: string, choices: readonly T[], fallback?: T): T {
    const v = this.raw(name);
    if (v === undefined && fallback !== undefined) return fallback;
    if (v === undefined || !(choices as readonly string[]).includes(v)) {
      throw new ParamError(name, `one of ${choices.join(", ")}`, v);
    }
    return v as T;
  }

  /** An integer in `min..max`, or `fallback` when absent. */
  int(name: string, min: number, max: number, fallback: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^\d{1,6}$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new ParamError(name, `a whole number from ${min} to ${max}`, v);
    }
    return Number(v);
  }

  /** A fraction in `0..1` (`0.05`, or `5%`), or `fallback` when absent. */
  share(name: string, fallback: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const m = /^(\d{1,3}(?:\.\d{1,4})?)(%?)$/.exec(v);
    const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
    if (!(n >= 0 && n <= 1)) {
      throw new ParamError(name, "a share from 0 to 1 (0.05) or a percentage (5%)", v);
    }
    return n;
  }

  /** A free-text filter (see the module notes), or `undefined` when absent. */
  text(name: string, maxLength = 60): string | undefined {
    const v = this.raw(name)?.trim();
    if (v === undefined || v === "") return undefined;
    if (v.length > maxLength || !/^[\p{L}\p{N} .,&/()#_+-]+$/u.test(v)) {
      throw new ParamError(
        name,
        `at most ${maxLength} letters, digits, spaces or .,&/()#_+- (no markup or SQL)`,
        v,
      );
    }
    return v;
  }

  /** A value that must be one of `known` (asset, source, zone), or `undefined` when absent. */
  known(name: string, known: readonly string[], what: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (!known.includes(v)) {
      throw new ParamError(name, `${what} (${known.join(", ") || "none known"})`, v);
    }
    return v;
  }
}

/** Sort parameters: `sort` one of {@linkcode SORTS}, `dir` `asc` or `desc`. */
export function sortOf(p: Params): { sort: SortColumn; desc: boolean } {
  const sort = p.oneOf("sort", SORTS, "loc");
  const dir = p.oneOf("dir", ["asc", "desc"] as const, "asc");
  return { sort, desc: dir === "desc" };
}

/** A location code: letters, digits and `.-_`, at most 32. */
export function locOf(p: Params): string {
  const v = p.required("loc", "a location code");
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(v)) {
    throw new ParamError("loc", "a location code (letters, digits, . _ -; at most 32)", v);
  }
  return v;
}

/**
 * `--params key=value ...`: request parameters, with `[A,B]` lists expanded to
 * the cartesian product of every combination (the old system used only the
 * first combination, and crashed on `cycle=1`).
 *
 * @module
 */
import { cycleChoices, findCycle } from "../domain/cycles.ts";
import { explainBadDate, parseGasDay } from "../domain/gas_day.ts";
import type { ParamCombo } from "../domain/params.ts";

export type { ParamCombo };

/** A command-line mistake: the process exits with status 2. */
export class UsageError extends Error {
  /** Build the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const KEY = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Keys the program reads itself; every other key goes to the request as given. */
export const PARAM_KEYS: readonly string[] = ["gasDay", "cycle", "searchType", "asset", "source"];

/**
 * Most combinations one `--params` may expand to. A year of gas days times
 * every cycle is 2,190; a million combinations exhausted V8's heap before
 * the first request (use `backfill` for long ranges).
 */
export const MAX_COMBINATIONS = 10_000;

/**
 * A key that is a known key but for case (`gasday`) would otherwise be sent
 * to the site, which ignores it, and the run would quietly use the default.
 */
function checkKeyCase(key: string): void {
  const known = PARAM_KEYS.find((k) => k !== key && k.toLowerCase() === key.toLowerCase());
  if (known) throw new UsageError(`--params ${key}: unknown key; did you mean ${known}?`);
}

/**
 * Parse `key=value` tokens into a map of key → values (a value `[A,B]` lists
 * several).
 *
 * @throws {UsageError} naming the token and what was expected
 */
export function parseParamTokens(tokens: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const token of tokens) {
    const eq = token.indexOf("=");
    if (eq <= 0) throw new UsageError(`--params: expected key=value, got ${JSON.stringify(token)}`);
    const key = token.slice(0, eq).trim();
    const value = token.slice(eq + 1).trim();
    if (!KEY.test(key)) {
      throw new UsageError(
        `--params: invalid key ${JSON.stringify(key)} (expected letters, digits and _)`,
      );
    }
    checkKeyCase(key);
    if (out.has(key)) {
      throw new UsageError(`--params: ${key} given twice; list several values as ${key}=[A,B]`);
    }
    let values: string[];
    if (value.startsWith("[")) {
      if (!value.endsWith("]")) {
        throw new UsageError(
          `--params: ${key}: unterminated list ${JSON.stringify(value)} (expected [A,B])`,
        );
      }
      values = value.slice(1, -1).split(",").map((v) => v.trim());
      if (values.some((v) => v === "")) {
        throw new UsageError(`--params: ${key}: empty item in list ${JSON.stringify(value)}`);
      }
      values = [...new Set(values)];
    } else values = [value];
    out.set(key, values);
  }
  return out;
}

/**
 * Every combination of the given values, in order (first key varies slowest).
 *
 * @throws {UsageError} stating the product, before allocating anything, when
 * it exceeds {@linkcode MAX_COMBINATIONS}
 */
export function cartesian(params: Map<string, string[]>): Record<string, string>[] {
  const sizes = [...params].map(([key, values]) => ({ key, n: values.length }));
  const total = sizes.reduce((p, s) => p * s.n, 1);
  if (total > MAX_COMBINATIONS) {
    const product = sizes.filter((s) => s.n > 1).map((s) => `${s.key} ${s.n}`).join(" x ");
    throw new UsageError(
      `--params: the lists make ${total} combinations (${product}), more than the ` +
        `${MAX_COMBINATIONS} allowed at once; split the run, or use backfill for a date range`,
    );
  }
  let combos: Record<string, string>[] = [{}];
  for (const [key, values] of params) {
    const next: Record<string, string>[] = [];
    for (const c of combos) for (const v of values) next.push({ ...c, [key]: v });
    combos = next;
  }
  return combos;
}

/**
 * Validate one combination: `gasDay` as `YYYY-MM-DD` or `MM/DD/YYYY`, `cycle`
 * as a code or a name, `searchType` upper-cased; other keys pass through.
 *
 * @throws {UsageError}
 */
export function validateCombo(combo: Record<string, string>): ParamCombo {
  const out: ParamCombo = { request: {} };
  for (const [key, value] of Object.entries(combo)) {
    switch (key) {
      case "gasDay": {
        const d = parseGasDay(value);
        if (!d) throw new UsageError(`--params gasDay: ${explainBadDate(value)}`);
        out.gasDay = d;
        break;
      }
      case "cycle": {
        const c = findCycle(value);
        if (!c) {
          throw new UsageError(
            `--params cycle: expected one of ${cycleChoices()}, got ${JSON.stringify(value)}`,
          );
        }
        out.cycle = c;
        break;
      }
      case "asset":
        out.asset = value.toUpperCase();
        break;
      case "source":
        out.source = value;
        break;
      case "searchType": {
        const v = value.toUpperCase();
        if (!/^[A-Z]{1,10}$/.test(v)) {
          throw new UsageError(
            `--params searchType: expected ALL or NOM, got ${JSON.stringify(value)}`,
          );
        }
        out.request.searchType = v;
        break;
      }
      default:
        out.request[key] = value;
    }
  }
  return out;
}

/** Parse, expand and validate `--params` tokens. */
export function expandParams(tokens: readonly string[]): ParamCombo[] {
  return cartesian(parseParamTokens(tokens)).map(validateCombo);
}

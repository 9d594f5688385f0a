/**
 * What `--params` means for the daemon: it narrows what is polled (cycles,
 * assets, sources) and adds request parameters, as the old system's users
 * expect (`--params cycle=[3,4,7]` polls only the intraday cycles).
 *
 * @module
 */
import type { CycleId } from "../domain/cycles.ts";
import type { ParamCombo } from "../domain/params.ts";
import type { SourceConfig } from "../config/schema.ts";
import { InvalidRequestError } from "../domain/errors.ts";

export type { ParamCombo };

/** Polling restrictions. */
export interface Restriction {
  /** Cycles to poll (all configured ones when undefined). */
  cycles?: ReadonlySet<CycleId>;
  /** Assets to poll (all when undefined). */
  assets?: ReadonlySet<string>;
  /** Source names to poll (all when undefined). */
  sources?: ReadonlySet<string>;
  /** Extra request parameters. */
  request: Record<string, string>;
}

/**
 * Fold `--params` combinations into one restriction.
 *
 * @throws {InvalidRequestError} for a gas day (the daemon follows the calendar; use
 *   `--once` or `backfill` for given days) or for request parameters that vary
 *   between combinations (one pair is polled one way).
 */
export function restrictionFrom(combos: readonly ParamCombo[]): Restriction {
  if (combos.length === 0) return { request: {} };
  if (combos.some((c) => c.gasDay !== undefined)) {
    throw new InvalidRequestError(
      "--params gasDay: the daemon polls the gas days its calendar says are due; " +
        "use --once or backfill for given days",
    );
  }
  const request = JSON.stringify(combos[0].request);
  if (combos.some((c) => JSON.stringify(c.request) !== request)) {
    throw new InvalidRequestError(
      "--params: in daemon mode only cycle, asset and source may take [A,B] lists",
    );
  }
  const collect = <T>(pick: (c: ParamCombo) => T | undefined): Set<T> | undefined => {
    const values = combos.map(pick);
    return values.every((v) => v !== undefined) ? new Set(values as T[]) : undefined;
  };
  return {
    cycles: collect((c) => c.cycle?.id),
    assets: collect((c) => c.asset),
    sources: collect((c) => c.source),
    request: combos[0].request,
  };
}

/** The sources a restriction keeps, each with the cycles to poll. */
export function restrictedSources(
  sources: readonly SourceConfig[],
  r: Restriction,
): { source: SourceConfig; cycles: CycleId[] }[] {
  const out: { source: SourceConfig; cycles: CycleId[] }[] = [];
  for (const source of sources) {
    if (!source.enabled) continue;
    if (r.assets && !r.assets.has(source.asset)) continue;
    if (r.sources && !r.sources.has(source.name)) continue;
    const cycles = source.cycles.filter((c) => !r.cycles || r.cycles.has(c));
    if (cycles.length > 0) out.push({ source, cycles });
  }
  return out;
}

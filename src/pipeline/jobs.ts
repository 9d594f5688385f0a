/**
 * Turn `--params` combinations and the configured sources into pair jobs.
 *
 * @module
 */
import type { SourceConfig } from "../config/schema.ts";
import { findCycle } from "../domain/cycles.ts";
import type { IsoDate } from "../domain/gas_day.ts";
import { InvalidRequestError } from "../domain/errors.ts";
import { type ParamCombo, restrictedSources } from "./selection.ts";
import type { PairJob } from "./process_pair.ts";

/** Options for {@linkcode buildJobs}. */
export interface BuildJobsOptions {
  /** Validated `--params` combinations (at least one, possibly empty). */
  combos: readonly ParamCombo[];
  /** Configured sources. */
  sources: readonly SourceConfig[];
  /** Gas day used when a combination names none. */
  defaultGasDay: IsoDate;
  /** `--force`. */
  force: boolean;
}

/**
 * One job per (combination, selected source, cycle); a combination without a
 * cycle covers each of the source's configured cycles. Duplicates collapse.
 *
 * @throws {InvalidRequestError} when a filter selects no source
 */
export function buildJobs(opts: BuildJobsOptions): PairJob[] {
  const jobs: PairJob[] = [];
  const seen = new Set<string>();
  for (const combo of opts.combos) {
    // The daemon's filter, on asset and source only: an explicit --once cycle
    // is fetched even when the source does not poll it.
    const sources = restrictedSources(opts.sources, {
      assets: combo.asset === undefined ? undefined : new Set([combo.asset]),
      sources: combo.source === undefined ? undefined : new Set([combo.source]),
      request: combo.request,
    }).map((r) => r.source);
    if (sources.length === 0) {
      throw new InvalidRequestError(
        `--params: no enabled source matches${combo.asset ? ` asset=${combo.asset}` : ""}${
          combo.source ? ` source=${combo.source}` : ""
        } (configured: ${opts.sources.map((s) => `${s.name}/${s.asset}`).join(", ")})`,
      );
    }
    for (const source of sources) {
      const cycles = combo.cycle ? [combo.cycle] : source.cycles.map((id) => findCycle(id)!);
      for (const cycle of cycles) {
        const gasDay = combo.gasDay ?? opts.defaultGasDay;
        const key = JSON.stringify([source.name, gasDay, cycle.code, combo.request]);
        if (seen.has(key)) continue;
        seen.add(key);
        jobs.push({ source, gasDay, cycle, params: combo.request, force: opts.force });
      }
    }
  }
  return jobs;
}

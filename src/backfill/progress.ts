/**
 * Backfill progress figures and the terminal bar. Pure.
 *
 * The rate and ETA start from the configured request budget (requests per
 * minute per host, times the hosts in the plan): the first pairs of a run are
 * not representative (the first request of each host goes out at once, later
 * ones wait for their slot). Once enough pairs are done, the measured rate is
 * used when it is slower than the budget.
 *
 * @module
 */

/** Progress figures. */
export interface ProgressFigures {
  /** Pairs finished. */
  done: number;
  /** Pairs in the plan. */
  total: number;
  /** Pairs per second used for the ETA. */
  rate: number;
  /** Seconds left at this rate (undefined when the rate is 0). */
  etaSeconds?: number;
}

/** Pairs done before the measured rate is trusted. */
export const MEASURED_AFTER = 10;

/**
 * Figures at `elapsedSeconds`, given the configured rate in pairs per second
 * (`undefined` when there is no budget to go by: the measured rate only).
 */
export function figures(
  done: number,
  total: number,
  elapsedSeconds: number,
  configuredRate?: number,
): ProgressFigures {
  const measured = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  let rate: number;
  if (configuredRate === undefined) rate = measured;
  else if (done < MEASURED_AFTER) rate = configuredRate;
  else rate = Math.min(configuredRate, measured);
  return { done, total, rate, etaSeconds: rate > 0 ? (total - done) / rate : undefined };
}

/** `1h02m`, `3m05s`, `42s`. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

/** One line of the terminal bar, e.g. `[#####-----] 120/540  22%  3.1/s  ETA 2m15s`. */
export function renderBar(f: ProgressFigures, width = 30): string {
  const frac = f.total > 0 ? f.done / f.total : 1;
  const filled = Math.round(frac * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${f.done}/${f.total} ${
    String(Math.floor(frac * 100)).padStart(3)
  }%  ${f.rate.toFixed(1)}/s  ETA ${formatDuration(f.etaSeconds)}`;
}

/**
 * Pairs per second the request budget allows: `requestsPerMinute` per host,
 * hosts served in parallel up to `concurrency` workers.
 */
export function budgetRate(requestsPerMinute: number, hosts: number, concurrency: number): number {
  return (requestsPerMinute / 60) * Math.max(1, Math.min(hosts, concurrency));
}

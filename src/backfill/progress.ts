/**
 * Backfill progress: a bar on a terminal, a log line every few seconds
 * otherwise.
 *
 * @module
 */

/** Progress figures. */
export interface ProgressFigures {
  /** Pairs finished. */
  done: number;
  /** Pairs in the plan. */
  total: number;
  /** Pairs per second so far. */
  rate: number;
  /** Seconds left at this rate (undefined before the first pair). */
  etaSeconds?: number;
}

/** Compute the figures at `elapsedSeconds`. */
export function figures(done: number, total: number, elapsedSeconds: number): ProgressFigures {
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
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

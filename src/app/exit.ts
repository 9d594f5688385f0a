/**
 * Exit statuses, and how a run's outcomes map to one. Only the app layer
 * decides exit statuses; everything below reports outcomes and typed errors.
 *
 * @module
 */
import type { PairOutcome } from "../pipeline/process_pair.ts";

/**
 * Exit statuses of the one-shot commands (`--once`, `backfill`):
 * 0 every pair loaded or already loaded; 1 any failure; 2 bad usage or
 * configuration; 3 some pair not posted yet (and none failed); 4 stopped by a
 * signal before every pair was done (run the same command again to resume).
 */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, notPosted: 3, interrupted: 4 });

/**
 * 0 when every pair is loaded or already loaded, 3 when some were not posted
 * yet (and none failed), 1 on any failure.
 */
export function exitStatus(outcomes: readonly PairOutcome[]): number {
  if (outcomes.some((o) => o.status === "failed")) return EXIT.failed;
  if (outcomes.some((o) => o.status === "not_posted" || o.status === "locked")) {
    return EXIT.notPosted;
  }
  return EXIT.ok;
}

/** Totals for the closing log line. */
export function summarise(outcomes: readonly PairOutcome[]): Record<string, number> {
  const s: Record<string, number> = {
    pairs: outcomes.length,
    loaded: 0,
    unchanged: 0,
    not_posted: 0,
    failed: 0,
    locked: 0,
    rows: 0,
  };
  for (const o of outcomes) {
    s[o.status] = (s[o.status] ?? 0) + 1;
    s.rows += o.counts?.rowsRead ?? 0;
  }
  return s;
}

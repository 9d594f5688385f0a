/**
 * The one-shot run: every job once, then an exit status that tells a script
 * what happened.
 *
 * @module
 */
import type { PairOutcome } from "./process_pair.ts";

/** Exit statuses of `--once`. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, notPosted: 3 });

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
    s[o.status]++;
    s.rows += o.counts?.rowsRead ?? 0;
  }
  return s;
}

/**
 * When to look at a (gas day, cycle) again, from how the last look ended.
 * Pure: the daemon stores the answer in `poll_state.next_check_at`.
 *
 * @module
 */
import type { PairStatus } from "../pipeline/process_pair.ts";
import type { PollStatus } from "./poll_state.ts";

/** Timing knobs, from the `daemon` config section. */
export interface PollPolicy {
  /** First re-probe delay for a pair that is not posted yet (or failed). */
  probeInitialSeconds: number;
  /** Largest re-probe delay. */
  probeMaxSeconds: number;
  /** Re-check interval of a loaded pair, for revisions. */
  recheckMinutes: number;
}

/** How one look ended, as the policy sees it. */
export interface LookResult {
  /** Outcome of the look. */
  status: PairStatus;
  /**
   * Whether a failure is worth retrying soon (transient) or only at re-check
   * pace (false: its error was a `TerminalError`, see `src/domain/errors.ts`).
   */
  retryable?: boolean;
  /** Consecutive looks without data before this one. */
  previousAttempts: number;
}

/** Consecutive looks without data after this one (0 once data is loaded). */
export function attemptsAfter(r: LookResult): number {
  if (r.status === "loaded" || r.status === "unchanged") return 0;
  if (r.status === "locked") return r.previousAttempts;
  return r.previousAttempts + 1;
}

/**
 * Delay until the next look, in seconds: a loaded pair at re-check pace; a
 * pair not posted yet, or failed transiently, after `initial * 2^(n-1)` capped
 * at `max` (n = consecutive looks without data); a terminal failure (a file
 * that fails for good, a permanent HTTP refusal) at re-check pace, since only
 * new bytes can change it; a pair another replica is loading, after `initial`.
 */
export function nextDelaySeconds(r: LookResult, p: PollPolicy): number {
  if (r.status === "loaded" || r.status === "unchanged") return p.recheckMinutes * 60;
  if (r.status === "locked") return p.probeInitialSeconds;
  if (r.status === "failed" && r.retryable === false) return p.recheckMinutes * 60;
  // Not posted yet, or a transient failure: back off, doubling.
  const n = attemptsAfter(r);
  return Math.min(p.probeMaxSeconds, p.probeInitialSeconds * 2 ** Math.max(0, n - 1));
}

/**
 * The stored status after a look: unchanged bytes are still `loaded`; a pair
 * another replica was loading keeps whatever it had.
 */
export function statusAfter(outcome: PairStatus, previous: PollStatus): PollStatus {
  if (outcome === "unchanged") return "loaded";
  if (outcome === "locked") return previous;
  return outcome;
}

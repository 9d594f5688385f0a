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
  /**
   * Re-probe delay of a pair not posted yet while within
   * {@linkcode fastProbeMinutes} of its posting time.
   * @default {probeInitialSeconds} when absent
   */
  fastProbeSeconds?: number;
  /**
   * How long after the posting time the fast re-probes last; 0 or absent:
   * none, the back-off starts at the first look.
   */
  fastProbeMinutes?: number;
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
  /** Seconds from the pair's nominal posting time to this look (unknown: no fast re-probes). */
  sincePostingSeconds?: number;
  /** Seconds from the nominal posting time to the pair's first look (unknown: taken as this one). */
  firstLookSincePostingSeconds?: number;
}

/** Consecutive looks without data after this one (0 once data is loaded). */
export function attemptsAfter(r: LookResult): number {
  if (r.status === "loaded" || r.status === "unchanged") return 0;
  if (r.status === "locked") return r.previousAttempts;
  return r.previousAttempts + 1;
}

/**
 * Delay until the next look, in seconds: a loaded pair at re-check pace; a
 * pair not posted yet within `fastProbeMinutes` of its posting time, every
 * `fastProbeSeconds` (a file posted on time lands within that much of it);
 * a pair not posted yet after that, or failed transiently, after
 * `initial * 2^(n-1)` capped at `max`, where n counts the consecutive looks
 * without data that are not fast re-probes (so the back-off starts over at
 * `initial` when the fast window ends); a terminal failure (a file that fails
 * for good, a permanent HTTP refusal) at re-check pace, since only new bytes
 * can change it; a pair another replica is loading, after `initial`.
 */
export function nextDelaySeconds(r: LookResult, p: PollPolicy): number {
  if (r.status === "loaded" || r.status === "unchanged") return p.recheckMinutes * 60;
  if (r.status === "locked") return p.probeInitialSeconds;
  if (r.status === "failed" && r.retryable === false) return p.recheckMinutes * 60;
  const n = attemptsAfter(r) - fastLooks(r, p);
  const since = r.sincePostingSeconds;
  const window = (p.fastProbeMinutes ?? 0) * 60;
  if (r.status === "not_posted" && since !== undefined && since >= 0 && since < window) {
    return Math.min(p.fastProbeSeconds ?? p.probeInitialSeconds, p.probeMaxSeconds);
  }
  // Not posted yet, or a transient failure: back off, doubling.
  return Math.min(p.probeMaxSeconds, p.probeInitialSeconds * 2 ** Math.max(0, n - 1));
}

/**
 * How many of the pair's looks were fast re-probes inside the window (an
 * estimate from when its first look was: one per `fastProbeSeconds` from
 * then to the window's end), never more than its looks without data.
 */
function fastLooks(r: LookResult, p: PollPolicy): number {
  const window = (p.fastProbeMinutes ?? 0) * 60;
  const since = r.sincePostingSeconds;
  if (window <= 0 || since === undefined || since < window) return 0;
  const first = Math.max(0, r.firstLookSincePostingSeconds ?? since);
  if (first >= window) return 0;
  const fast = Math.ceil((window - first) / (p.fastProbeSeconds ?? p.probeInitialSeconds));
  return Math.min(fast, attemptsAfter(r) - 1);
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

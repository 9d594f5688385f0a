/**
 * Retry timing: exponential backoff with full jitter, and `Retry-After`.
 *
 * @module
 */

/** Options for {@linkcode backoffDelay}. */
export interface BackoffOptions {
  /** Ceiling of the first delay, in ms. */
  baseMs: number;
  /** Largest delay, in ms. */
  maxMs: number;
  /** Uniform random number in [0, 1) (injectable for tests). */
  random?: () => number;
}

/**
 * Delay before retry number `attempt` (1 = first retry): uniform in
 * `[0, min(maxMs, baseMs * 2^(attempt-1)))` ("full jitter"), so many clients
 * that failed together do not retry together.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor((opts.random ?? Math.random)() * ceiling);
}

/**
 * Parse a `Retry-After` header (delta-seconds or an HTTP date) into a delay in
 * ms from `now`; `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date (RFC 9110 IMF-fixdate, or the obsolete RFC 850 / asctime forms).
  if (!/^[A-Za-z]{3}/.test(v) || !/\d{2}:\d{2}:\d{2}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

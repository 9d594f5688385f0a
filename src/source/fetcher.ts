/**
 * HTTP fetch of one report into the raw archive: a total timeout per attempt
 * (body included), retries with exponential backoff and full jitter on network
 * errors, timeouts, 5xx and 429 (honouring `Retry-After`), none on other 4xx,
 * and a cap on body size.
 *
 * @module
 */
import type { HttpConfig } from "../config/schema.ts";
import { BodyTooLargeError, type RawArchive, type StoredBody } from "../archive/raw_archive.ts";
import { SNIFF_BYTES } from "./classify.ts";
import { backoffDelay, parseRetryAfter } from "./backoff.ts";

/** Why a fetch failed for good. */
export type FetchFailure = "http" | "network" | "timeout" | "too_large";

/** A fetch that failed after all its attempts (or at once, for a permanent error). */
export class FetchError extends Error {
  /** Failure class. */
  readonly kind: FetchFailure;
  /** HTTP status of the last attempt, if any. */
  readonly status?: number;
  /** Attempts made. */
  readonly attempts: number;

  /** Build the error. */
  constructor(message: string, kind: FetchFailure, attempts: number, status?: number) {
    super(message);
    this.name = "FetchError";
    this.kind = kind;
    this.attempts = attempts;
    this.status = status;
  }
}

/** A body received and archived. */
export interface Fetched extends StoredBody {
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Record<string, string>;
  /** Attempts made. */
  attempts: number;
  /** When the body was received. */
  fetchedAt: Date;
}

/** One attempt's outcome, for metrics. */
export interface AttemptReport {
  /** `ok`, `http_<status>`, `network`, `timeout` or `too_large`. */
  outcome: string;
  /** Wall time of the attempt, in seconds. */
  seconds: number;
}

/** Options for {@linkcode fetchToArchive}. */
export interface FetchOptions {
  /** URL to get. */
  url: string;
  /** Timeouts, retries and caps. */
  http: HttpConfig;
  /** Where the body goes. */
  archive: RawArchive;
  /** Cancels everything (shutdown); not retried. */
  signal?: AbortSignal;
  /** `fetch` implementation (injectable). */
  fetch?: typeof fetch;
  /** Sleep (injectable, abortable). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Random source for jitter. */
  random?: () => number;
  /** Called after every attempt. */
  onAttempt?: (r: AttemptReport) => void;
  /** Awaited before every attempt (a per-host rate limit). */
  beforeAttempt?: (url: string, signal?: AbortSignal) => Promise<void>;
  /** Called before sleeping for a retry. */
  onRetry?: (r: { attempt: number; delayMs: number; reason: string }) => void;
}

/** Sleep `ms`, rejecting early if `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

class Retryable extends Error {
  constructor(
    message: string,
    readonly kind: FetchFailure,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Fetch `url` into the archive. Resolves with the stored body on a 2xx;
 * rejects with {@linkcode FetchError} when every attempt failed or the failure
 * is permanent, or with the abort reason when `signal` aborts.
 */
export async function fetchToArchive(opts: FetchOptions): Promise<Fetched> {
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? abortableSleep;
  const { http } = opts;
  const timeoutMs = Math.round(http.timeoutSeconds * 1000);
  let last: Retryable | undefined;
  for (let attempt = 1; attempt <= http.retryAttempts; attempt++) {
    if (attempt > 1 && last) {
      const delay = Math.min(
        http.backoffMaxMs,
        Math.max(
          backoffDelay(attempt - 1, {
            baseMs: http.backoffBaseMs,
            maxMs: http.backoffMaxMs,
            random: opts.random,
          }),
          last.retryAfterMs ?? 0,
        ),
      );
      opts.onRetry?.({ attempt, delayMs: delay, reason: last.message });
      await sleep(delay, opts.signal);
    }
    opts.signal?.throwIfAborted();
    await opts.beforeAttempt?.(opts.url, opts.signal);
    const started = performance.now();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const report = (outcome: string) =>
      opts.onAttempt?.({ outcome, seconds: (performance.now() - started) / 1000 });
    try {
      const res = await doFetch(opts.url, {
        signal,
        headers: { "user-agent": http.userAgent, accept: "text/csv, text/plain;q=0.9, */*;q=0.1" },
      });
      if (!res.ok) {
        await res.body?.cancel().catch(() => {});
        const msg = `HTTP ${res.status} ${res.statusText}`.trim();
        report(`http_${res.status}`);
        if (res.status === 429 || res.status >= 500) {
          last = new Retryable(
            msg,
            "http",
            res.status,
            parseRetryAfter(res.headers.get("retry-after"), new Date()),
          );
          continue;
        }
        throw new FetchError(`${msg} from ${opts.url} (not retried)`, "http", attempt, res.status);
      }
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      const stored = await opts.archive.store(res.body ?? new Blob([]).stream(), {
        maxBytes: http.maxBodyBytes,
        prefixBytes: SNIFF_BYTES,
      });
      report("ok");
      return { ...stored, status: res.status, headers, attempts: attempt, fetchedAt: new Date() };
    } catch (e) {
      if (e instanceof FetchError) throw e;
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (e instanceof BodyTooLargeError) {
        report("too_large");
        throw new FetchError(`${e.message}: ${opts.url}`, "too_large", attempt);
      }
      if (timeout.aborted) {
        report("timeout");
        last = new Retryable(`no complete answer within ${http.timeoutSeconds} s`, "timeout");
      } else {
        report("network");
        last = new Retryable(`network error: ${(e as Error).message}`, "network");
      }
    }
  }
  throw new FetchError(
    `${last?.message ?? "failed"} from ${opts.url} after ${http.retryAttempts} attempt(s)`,
    last?.kind ?? "network",
    http.retryAttempts,
    last?.status,
  );
}

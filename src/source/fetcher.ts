/**
 * HTTP fetch of one report into the raw archive: a total timeout per attempt
 * (body included), retries with exponential backoff and full jitter on network
 * errors, timeouts, 5xx and 429 (honouring `Retry-After`), none on other 4xx,
 * and a cap on body size. A host that asks to slow down is reported, so every
 * worker on that host can slow down, not just the one that was told.
 *
 * A failure of the local archive (a full disk, say) is not the network's: it
 * is thrown at once as an {@linkcode ArchiveError}, without retry.
 *
 * @module
 */
import type { HttpConfig } from "../config/schema.ts";
import {
  ArchiveError,
  archiveError,
  BodyTooLargeError,
  type RawArchive,
  type StoredBody,
} from "../archive/raw_archive.ts";
import { safeUrl, safeUrlsIn } from "../log/redact.ts";
import { abortableSleep } from "../domain/async.ts";
import { TerminalError, TransientError } from "../domain/errors.ts";
import { SNIFF_BYTES } from "./classify.ts";
import { backoffDelay, parseRetryAfter } from "./backoff.ts";

/** Why a fetch failed for good. */
export type FetchFailure = "http" | "network" | "timeout" | "too_large" | "truncated";

/**
 * A fetch that failed after all its attempts (or at once, for a permanent
 * error). Its `cause` says which: a {@linkcode HttpRefusedError} or a
 * {@linkcode BodyTooLargeError} (terminal: asking again soon will not help), or
 * the last attempt's transient failure.
 */
export class FetchError extends Error {
  /** Failure class. */
  readonly kind: FetchFailure;
  /** HTTP status of the last attempt, if any. */
  readonly status?: number;
  /** Attempts made. */
  readonly attempts: number;

  /** Build the error. */
  constructor(
    message: string,
    kind: FetchFailure,
    attempts: number,
    status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "FetchError";
    this.kind = kind;
    this.attempts = attempts;
    this.status = status;
  }
}

/** The host refused the request in a way asking again soon will not change (a 4xx other than 429). */
export class HttpRefusedError extends TerminalError {
  /** Build the error. */
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = "HttpRefusedError";
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

/** The site answered 304 Not Modified to a conditional request: the file last seen is current. */
export interface NotModified {
  /** Always `true`. */
  notModified: true;
  /** 304. */
  status: number;
  /** Response headers (new validators, possibly). */
  headers: Record<string, string>;
  /** Attempts made. */
  attempts: number;
  /** When the answer came. */
  fetchedAt: Date;
}

/** One attempt's outcome, for metrics. */
export interface AttemptReport {
  /** `ok`, `http_<status>`, `network`, `timeout`, `too_large`, `truncated` or `archive_error`. */
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
  /**
   * Called when the host asks to slow down (429, or 503 with `Retry-After`),
   * with the delay this fetch will wait before asking again: `Retry-After`
   * capped by `backoffMaxMs`, else the backoff. A per-host rate limit uses it
   * to hold back every request to that host.
   */
  onThrottled?: (url: string, delayMs: number) => void;
  /**
   * Whether a throttled attempt (429, or `Retry-After`) is retried here, after
   * the pause. `false` ends the fetch at once with the throttled failure, so a
   * caller with other hosts to serve (the daemon's queues) does not spend the
   * pause holding a worker; the pause itself is still reported.
   * @default true
   */
  retryThrottled?: boolean;
  /**
   * Judges a stored body whole: returns why it is incomplete (a body cut
   * short by a `Content-Length` shorter than the file, say), or `undefined`.
   * An incomplete body fails its attempt like a network error
   * (`truncated body: <why>`), and is retried. Default: every body is whole.
   */
  complete?: (body: StoredBody) => string | undefined;
  /**
   * The validators of the file last seen (`ETag`, `Last-Modified`): sent as
   * `If-None-Match` / `If-Modified-Since`, and a 304 answer is then
   * {@linkcode NotModified} (see {@linkcode fetchPosting}). Without them a
   * 304 is an HTTP error like any other.
   */
  conditional?: { etag?: string; lastModified?: string };
}

/** Why one attempt failed, when another may succeed; the final {@linkcode FetchError}'s cause. */
class AttemptFailed extends TransientError {
  constructor(message: string, readonly kind: FetchFailure, readonly status?: number) {
    super(message);
    this.name = "AttemptFailed";
  }
}

/** An error reading the response body: the network's, whatever the archive made of it. */
class BodyReadError extends Error {
  constructor(cause: unknown) {
    super("error reading the response body", { cause });
  }
}

/** `body`, with every read failure wrapped in a {@linkcode BodyReadError}. */
function tagReadErrors(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        throw new BodyReadError(e);
      }
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/**
 * Stream the body into the archive. What goes wrong reading the body is
 * rethrown as the network error it is; what goes wrong otherwise is the
 * archive's (an {@linkcode ArchiveError}), whichever error class the archive
 * used: a read-only disk must never pass for a flaky network.
 */
async function storeBody(
  opts: FetchOptions,
  body: ReadableStream<Uint8Array> | null,
): Promise<StoredBody> {
  try {
    return await opts.archive.store(tagReadErrors(body ?? new Blob([]).stream()), {
      maxBytes: opts.http.maxBodyBytes,
      prefixBytes: SNIFF_BYTES,
      suffixBytes: opts.complete ? SNIFF_BYTES : 0,
    });
  } catch (e) {
    if (e instanceof BodyReadError) throw e.cause;
    if (e instanceof BodyTooLargeError) throw e;
    throw archiveError(opts.archive.root, e);
  }
}

/** Wait before the attempt after `attempt`: the backoff, or `Retry-After` if longer, capped. */
function retryDelay(attempt: number, opts: FetchOptions, retryAfterMs?: number): number {
  const { http } = opts;
  const backoff = backoffDelay(attempt, {
    baseMs: http.backoffBaseMs,
    maxMs: http.backoffMaxMs,
    random: opts.random,
  });
  return Math.min(http.backoffMaxMs, Math.max(backoff, retryAfterMs ?? 0));
}

/**
 * Fetch `url` into the archive. Resolves with the stored body on a 2xx;
 * rejects with {@linkcode FetchError} when every attempt failed or the failure
 * is permanent, with {@linkcode ArchiveError} at once when the body cannot be
 * stored, or with the abort reason when `signal` aborts.
 */
export async function fetchToArchive(opts: FetchOptions): Promise<Fetched> {
  const r = await fetchPosting({ ...opts, conditional: undefined });
  if ("notModified" in r) throw new Error("unreachable: 304 without a conditional request");
  return r;
}

/**
 * {@linkcode fetchToArchive}, conditional when `opts.conditional` has
 * validators: resolves with {@linkcode NotModified} when the site says the
 * file last seen is still current (no body, nothing archived).
 */
export async function fetchPosting(opts: FetchOptions): Promise<Fetched | NotModified> {
  const sleep = opts.sleep ?? abortableSleep;
  const { http } = opts;
  let last: AttemptFailed | undefined;
  let delay = 0;
  let attempts = 0;
  for (let attempt = 1; attempt <= http.retryAttempts; attempt++) {
    attempts = attempt;
    if (last) {
      opts.onRetry?.({ attempt, delayMs: delay, reason: last.message });
      await sleep(delay, opts.signal);
    }
    opts.signal?.throwIfAborted();
    await opts.beforeAttempt?.(opts.url, opts.signal);
    const r = await attemptOnce(opts, attempt);
    if ("stored" in r) return r.stored;
    if ("notModified" in r) return r.notModified;
    last = r.failed;
    delay = retryDelay(attempt, opts, r.retryAfterMs);
    if (r.throttled) opts.onThrottled?.(opts.url, delay);
    if (r.throttled && opts.retryThrottled === false) break;
  }
  throw new FetchError(
    `${last?.message ?? "failed"} from ${safeUrl(opts.url)} after ${attempts} attempt(s)`,
    last?.kind ?? "network",
    attempts,
    last?.status,
    { cause: last },
  );
}

/** One attempt that may be retried: the stored body, or why it failed. */
type Attempt =
  | { stored: Fetched }
  | { notModified: NotModified }
  | { failed: AttemptFailed; retryAfterMs?: number; throttled?: boolean };

/** The request's headers: the user agent, what it accepts, and the validators if any. */
function requestHeaders(opts: FetchOptions): Record<string, string> {
  const h: Record<string, string> = {
    "user-agent": opts.http.userAgent,
    accept: "text/csv, text/plain;q=0.9, */*;q=0.1",
  };
  if (opts.conditional?.etag) h["if-none-match"] = opts.conditional.etag;
  if (opts.conditional?.lastModified) h["if-modified-since"] = opts.conditional.lastModified;
  return h;
}

function notModified(res: Response, attempts: number): NotModified {
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  return { notModified: true, status: res.status, headers, attempts, fetchedAt: new Date() };
}

/** One HTTP request; throws what must not be retried, returns what may be. */
async function attemptOnce(opts: FetchOptions, attempt: number): Promise<Attempt> {
  const { http } = opts;
  const started = performance.now();
  const timeout = AbortSignal.timeout(Math.round(http.timeoutSeconds * 1000));
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const report = (outcome: string) =>
    opts.onAttempt?.({ outcome, seconds: (performance.now() - started) / 1000 });
  try {
    const res = await (opts.fetch ?? fetch)(opts.url, { signal, headers: requestHeaders(opts) });
    if (res.status === 304 && (opts.conditional?.etag || opts.conditional?.lastModified)) {
      await res.body?.cancel().catch(() => {});
      report("not_modified");
      return { notModified: notModified(res, attempt) };
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      const msg = `HTTP ${res.status} ${res.statusText}`.trim();
      report(`http_${res.status}`);
      if (res.status === 429 || res.status >= 500) {
        const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), new Date());
        const throttled = res.status === 429 || retryAfterMs !== undefined;
        return { failed: new AttemptFailed(msg, "http", res.status), retryAfterMs, throttled };
      }
      const where = safeUrl(opts.url);
      throw new FetchError(`${msg} from ${where} (not retried)`, "http", attempt, res.status, {
        cause: new HttpRefusedError(msg, res.status),
      });
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const stored = await storeBody(opts, res.body);
    const incomplete = opts.complete?.(stored);
    if (incomplete !== undefined) {
      report("truncated");
      return { failed: new AttemptFailed(`truncated body: ${incomplete}`, "truncated") };
    }
    report("ok");
    return {
      stored: { ...stored, status: res.status, headers, attempts: attempt, fetchedAt: new Date() },
    };
  } catch (e) {
    if (e instanceof FetchError) throw e;
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (e instanceof ArchiveError) {
      // Our disk, not the host: asking the host again cannot help.
      report("archive_error");
      throw e;
    }
    if (e instanceof BodyTooLargeError) {
      report("too_large");
      throw new FetchError(`${e.message}: ${safeUrl(opts.url)}`, "too_large", attempt, undefined, {
        cause: e,
      });
    }
    if (timeout.aborted) {
      report("timeout");
      return {
        failed: new AttemptFailed(`no complete answer within ${http.timeoutSeconds} s`, "timeout"),
      };
    }
    report("network");
    // The runtime's words may quote the URL.
    const reason = safeUrlsIn((e as Error).message);
    return { failed: new AttemptFailed(`network error: ${reason}`, "network") };
  }
}

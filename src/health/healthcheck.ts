/**
 * In-process replacement for `curl -f` in container health checks: distroless
 * images have no curl, so `tec-pipeline healthcheck` calls this instead.
 *
 * @module
 */

/** Options for {@link healthcheck}. */
export interface HealthcheckOptions {
  /** URL to GET, e.g. `http://127.0.0.1:8080/healthz`. */
  readonly url: string;
  /** Whole-request budget in milliseconds (connect + response headers). */
  readonly timeoutMs: number;
  /** Receives a one-line reason on failure; defaults to silence. */
  readonly log?: (message: string) => void;
}

/**
 * Returns process exit code 0 if a GET of `url` answers 200 within
 * `timeoutMs`, else 1. Never throws: every failure is an unhealthy verdict.
 */
export async function healthcheck(options: HealthcheckOptions): Promise<number> {
  const { url, timeoutMs, log } = options;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    log?.(`healthcheck: timeoutMs must be a positive number, got ${timeoutMs}`);
    return 1;
  }
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
    // Only the status matters; cancelling frees the connection promptly.
    await response.body?.cancel();
    if (response.status === 200) return 0;
    log?.(`healthcheck: GET ${url} answered ${response.status}`);
    return 1;
  } catch (error) {
    const why = error instanceof DOMException && error.name === "TimeoutError"
      ? `no answer within ${timeoutMs} ms`
      : error instanceof Error
      ? error.message
      : String(error);
    log?.(`healthcheck: GET ${url} failed: ${why}`);
    return 1;
  }
}

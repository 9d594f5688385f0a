/**
 * A per-host (or per-operator) request budget in this process: requests to
 * one host start at least `60 / requestsPerMinute` seconds apart, however
 * many workers ask; and when the host asks to slow down (429,
 * `Retry-After`), none of them asks it again before the pause it named is
 * over. With a key function, "host" is whatever it says (the operator: see
 * `operators.ts`). The budget shared by processes is `request_budget.ts`.
 *
 * @module
 */
import type { Clock } from "./clock.ts";

/** A request budget, per host or operator, as the sweep's queues use it. */
export interface RequestBudget {
  /** Wait for the next slot of `url`'s budget. */
  acquire(url: string, signal?: AbortSignal): Promise<void>;
  /**
   * Take a slot of `url`'s budget only if one is free now: resolves to 0 when
   * taken, else to the milliseconds until one may be (nothing reserved).
   * Never rejects.
   */
  tryAcquire(url: string): Promise<number>;
  /** The host of `url` asked to slow down for `delayMs`. */
  backOff(url: string, delayMs: number): void | Promise<void>;
  /** The pipeline's `beforeRequest` and `throttle` hooks. */
  pipelineHooks(): {
    beforeRequest: (url: string, signal?: AbortSignal) => Promise<void>;
    throttle: (url: string, delayMs: number) => void;
  };
}

/** Spaces out requests per host. */
export class HostRateLimiter implements RequestBudget {
  readonly #intervalMs: number;
  readonly #clock: Clock;
  /** Per host: when the next slot starts (ms since epoch). */
  readonly #next = new Map<string, number>();
  /** Per host: until when the host asked us to wait. */
  readonly #pausedUntil = new Map<string, number>();
  readonly #keyOf: (url: string) => string;

  /**
   * Allow `requestsPerMinute` per host on `clock`; `keyOf` says which budget
   * a URL draws on (default: its host).
   *
   * @throws {RangeError} unless `requestsPerMinute` is a positive number
   */
  constructor(
    requestsPerMinute: number,
    clock: Clock,
    keyOf: (url: string) => string = (url) => new URL(url).host,
  ) {
    if (!(requestsPerMinute > 0) || !Number.isFinite(requestsPerMinute)) {
      throw new RangeError(
        `requests per minute must be a positive number, got ${requestsPerMinute}`,
      );
    }
    this.#intervalMs = 60_000 / requestsPerMinute;
    this.#clock = clock;
    this.#keyOf = keyOf;
  }

  /**
   * Wait for this host's next slot (slots are handed out in call order). A
   * back-off that arrives while a request waits for its slot moves that
   * request behind the pause as well.
   */
  async acquire(url: string, signal?: AbortSignal): Promise<void> {
    const host = this.#keyOf(url);
    for (;;) {
      const now = this.#clock.now().getTime();
      const slot = Math.max(now, this.#next.get(host) ?? 0);
      this.#next.set(host, slot + this.#intervalMs);
      if (slot > now) await this.#clock.sleep(slot - now, signal);
      if ((this.#pausedUntil.get(host) ?? 0) <= slot) return;
    }
  }

  /** See {@linkcode RequestBudget.tryAcquire}. */
  tryAcquire(url: string): Promise<number> {
    return Promise.resolve(this.tryAcquireNow(url));
  }

  /** {@linkcode tryAcquire}, synchronously. */
  tryAcquireNow(url: string): number {
    const host = this.#keyOf(url);
    const now = this.#clock.now().getTime();
    const free = Math.max(this.#next.get(host) ?? 0, this.#pausedUntil.get(host) ?? 0);
    if (free > now) return free - now;
    this.#next.set(host, now + this.#intervalMs);
    return 0;
  }

  /**
   * The host of `url` asked to slow down: no request to it starts within
   * `delayMs` from now (a shorter pause never shortens a longer one).
   */
  backOff(url: string, delayMs: number): void {
    const host = this.#keyOf(url);
    const until = this.#clock.now().getTime() + Math.max(0, delayMs);
    if (until <= (this.#pausedUntil.get(host) ?? 0)) return;
    this.#pausedUntil.set(host, until);
    this.#next.set(host, Math.max(until, this.#next.get(host) ?? 0));
  }

  /**
   * The two pipeline hooks backed by this limiter, to spread into a
   * `PipelineContext`: `{ ...ctx, ...limiter.pipelineHooks() }`.
   */
  pipelineHooks(): {
    beforeRequest: (url: string, signal?: AbortSignal) => Promise<void>;
    throttle: (url: string, delayMs: number) => void;
  } {
    return {
      beforeRequest: (url, signal) => this.acquire(url, signal),
      throttle: (url, delayMs) => this.backOff(url, delayMs),
    };
  }
}

/**
 * A per-host request budget: requests to one host start at least
 * `60 / requestsPerMinute` seconds apart, however many workers ask.
 *
 * @module
 */
import type { Clock } from "./clock.ts";

/** Spaces out requests per host. */
export class HostRateLimiter {
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #next = new Map<string, number>();

  /** Allow `requestsPerMinute` per host on `clock`. */
  constructor(requestsPerMinute: number, clock: Clock) {
    this.#intervalMs = 60_000 / requestsPerMinute;
    this.#clock = clock;
  }

  /** Wait for this host's next slot (slots are handed out in call order). */
  async acquire(url: string, signal?: AbortSignal): Promise<void> {
    const host = new URL(url).host;
    const now = this.#clock.now().getTime();
    const slot = Math.max(now, this.#next.get(host) ?? 0);
    this.#next.set(host, slot + this.#intervalMs);
    if (slot > now) await this.#clock.sleep(slot - now, signal);
  }
}

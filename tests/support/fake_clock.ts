/**
 * A clock whose sleeps advance virtual time at once, so a test can run days
 * of daemon life in seconds.
 *
 * @module
 */
import type { Clock } from "../../src/daemon/clock.ts";

/** A virtual clock. */
export class FakeClock implements Clock {
  /** Current virtual time, ms since epoch. */
  t: number;
  /** Number of sleeps. */
  sleeps = 0;
  readonly #end: number;
  readonly #onEnd: () => void;

  /** Start at `start`; call `onEnd` once time passes `end`. */
  constructor(start: Date, end: Date, onEnd: () => void) {
    this.t = start.getTime();
    this.#end = end.getTime();
    this.#onEnd = onEnd;
  }

  /** The virtual now. */
  now(): Date {
    return new Date(this.t);
  }

  /** Advance virtual time by `ms`, then yield to the event loop. */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps++;
    this.t += Math.max(0, ms);
    if (this.t >= this.#end) this.#onEnd();
    await new Promise((r) => setTimeout(r, 0));
    signal?.throwIfAborted();
  }
}

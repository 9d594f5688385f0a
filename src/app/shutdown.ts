/**
 * Graceful stop on SIGINT/SIGTERM, for every long-running command.
 *
 * The first signal asks for a graceful stop: start nothing new, let the file
 * in flight commit or roll back. A signal within {@linkcode ShutdownOptions.sameEventMs}
 * of the first is the same event: a terminal's Ctrl-C signals the whole
 * process group, and `deno task` (like GNU `timeout`) forwards the signal to
 * its child as well, so one keypress arrives twice within a millisecond. A
 * second signal after that window forces the exit (status 130). Past
 * `timeoutSeconds` after the first signal, `hard` aborts: fetches are cancelled
 * and the caller closes its connections.
 *
 * @module
 */
import type { Logger } from "../log/logger.ts";

/** Exit status of a forced stop (a second signal): 128 + SIGINT, as shells report it. */
export const FORCED_EXIT = 130;

/** Options for {@linkcode Shutdown}. */
export interface ShutdownOptions {
  /** Where `shutdown.*` events go. */
  log: Logger;
  /** Seconds granted to the work in flight after the first signal. */
  timeoutSeconds: number;
  /** Signals this soon after the first count as the same one. @default {1000} */
  sameEventMs?: number;
  /** Aborting it is a stop request too (tests; embedding). */
  stop?: AbortSignal;
  /** Called once the timeout passes (e.g. close the database pool). */
  onTimeout?: () => void;
  /** How a forced stop exits. @default {Deno.exit} */
  exit?: (code: number) => void;
  /** Signals to handle. @default {["SIGINT", "SIGTERM"]} */
  signals?: readonly Deno.Signal[];
  /** Clock in ms. @default {performance.now} */
  now?: () => number;
}

/** A stop request, graceful first, hard after the timeout. */
export class Shutdown {
  readonly #graceful = new AbortController();
  readonly #hard = new AbortController();
  readonly #o: ShutdownOptions;
  readonly #handlers: [Deno.Signal, () => void][] = [];
  #firstAt?: number;
  #timer?: ReturnType<typeof setTimeout>;
  #reason?: string;

  /** Install the signal handlers. Call {@linkcode Shutdown.dispose} when the command ends. */
  constructor(o: ShutdownOptions) {
    this.#o = o;
    for (const sig of o.signals ?? ["SIGINT", "SIGTERM"]) {
      const h = () => this.request(sig);
      Deno.addSignalListener(sig, h);
      this.#handlers.push([sig, h]);
    }
    // A stop asked before the command began counts too (an abort event fires once).
    if (o.stop?.aborted) this.request("stop");
    else o.stop?.addEventListener("abort", () => this.request("stop"), { once: true });
  }

  /** Aborted at the first stop request: start nothing new. */
  get signal(): AbortSignal {
    return this.#graceful.signal;
  }

  /** Aborted when the graceful period is over: cancel what is in flight. */
  get hard(): AbortSignal {
    return this.#hard.signal;
  }

  /** Resolves at the first stop request (at once when one came already): for serve-until-stopped commands. */
  requested(): Promise<void> {
    const signal = this.#graceful.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) =>
      signal.addEventListener("abort", () => resolve(), { once: true })
    );
  }

  /** What asked for the stop (`SIGINT`, `SIGTERM`, `stop`), once asked. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** A stop request from `source` (a signal name). */
  request(source: string): void {
    const now = (this.#o.now ?? (() => performance.now()))();
    if (this.#firstAt === undefined) {
      this.#firstAt = now;
      this.#reason = source;
      this.#o.log.info("shutdown.start", { signal: source, timeout_s: this.#o.timeoutSeconds });
      this.#graceful.abort(new Error(`shutdown (${source})`));
      this.#timer = setTimeout(() => this.#expire(), this.#o.timeoutSeconds * 1000);
      return;
    }
    if (now - this.#firstAt < (this.#o.sameEventMs ?? 1000)) return;
    this.#o.log.warn("shutdown.forced", { signal: source });
    (this.#o.exit ?? Deno.exit)(FORCED_EXIT);
  }

  #expire(): void {
    this.#o.log.warn("shutdown.timeout", { timeout_s: this.#o.timeoutSeconds });
    this.#hard.abort(new Error("shutdown timeout"));
    this.#o.onTimeout?.();
  }

  /** Remove the handlers and the timer. */
  dispose(): void {
    clearTimeout(this.#timer);
    for (const [sig, h] of this.#handlers) Deno.removeSignalListener(sig, h);
    this.#handlers.length = 0;
  }
}

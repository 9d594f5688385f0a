/**
 * Bounded waits for tests: every wait has a deadline and fails with a message
 * saying what it waited for, so a broken program fails a test instead of
 * hanging the suite.
 *
 * @module
 */

/** Default deadline of a wait. */
export const DEFAULT_WAIT_MS = 15_000;

/** Options for {@linkcode waitUntil}. */
export interface WaitOptions {
  /** What is awaited, for the failure message (e.g. `"load.start logged"`). */
  what: string;
  /** Deadline in ms (default {@linkcode DEFAULT_WAIT_MS}). */
  timeoutMs?: number;
  /** Polling interval in ms (default 10). */
  intervalMs?: number;
  /** Extra context appended to the failure message (e.g. the log lines seen). */
  detail?: () => string;
}

/** Thrown when a bounded wait runs out of time. */
export class WaitTimeout extends Error {
  /** Build the error. */
  constructor(message: string) {
    super(message);
    this.name = "WaitTimeout";
  }
}

function timeoutMessage(o: WaitOptions, ms: number): string {
  const extra = o.detail?.();
  return `timed out after ${ms} ms waiting for ${o.what}${extra ? `\n${extra}` : ""}`;
}

/**
 * Poll `pred` until it returns a value other than `undefined`, `null` or
 * `false`, and return that value; throws {@linkcode WaitTimeout} past the
 * deadline.
 */
export async function waitUntil<T>(
  pred: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  o: WaitOptions,
): Promise<T> {
  const ms = o.timeoutMs ?? DEFAULT_WAIT_MS;
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await pred();
    if (v !== undefined && v !== null && v !== false) return v;
    if (performance.now() >= deadline) throw new WaitTimeout(timeoutMessage(o, ms));
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 10));
  }
}

/**
 * Await `p`, or throw {@linkcode WaitTimeout} when it has not settled within
 * the deadline. The timer is cleared either way (no leaked op).
 */
export async function withTimeout<T>(
  p: Promise<T>,
  o: Omit<WaitOptions, "intervalMs">,
): Promise<T> {
  const ms = o.timeoutMs ?? DEFAULT_WAIT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitTimeout(timeoutMessage(o, ms))), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** One parsed JSON log line. */
export type LogLine = Record<string, unknown> & { event?: string };

/**
 * The program's JSON log lines, collected as they are written (from
 * `logWrite`, or a child's stderr via {@linkcode LogLines.readFrom}), with
 * bounded waits on them. Lines that are not JSON objects are kept in
 * {@linkcode LogLines.other}.
 */
export class LogLines {
  /** Parsed lines, in order. */
  readonly lines: LogLine[] = [];
  /** Lines that were not JSON. */
  readonly other: string[] = [];

  /** Add one line of text (a trailing newline is ignored). */
  push(text: string): void {
    const t = text.replace(/\r?\n$/, "");
    if (!t.startsWith("{")) {
      if (t !== "") this.other.push(t);
      return;
    }
    try {
      this.lines.push(JSON.parse(t));
    } catch {
      this.other.push(t);
    }
  }

  /**
   * Read a byte stream (a child's stderr) line by line until it ends; the
   * returned promise settles when the stream closes.
   */
  async readFrom(stream: ReadableStream<Uint8Array>): Promise<void> {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        this.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    if (buf !== "") this.push(buf);
  }

  /** Index of the first line with this event (and matching `where`), or -1. */
  indexOf(event: string, where: (l: LogLine) => boolean = () => true): number {
    return this.lines.findIndex((l) => l.event === event && where(l));
  }

  /** Whether a line with this event was logged. */
  has(event: string, where?: (l: LogLine) => boolean): boolean {
    return this.indexOf(event, where) >= 0;
  }

  /** The events seen so far, for failure messages. */
  summary(last = 40): string {
    const events = this.lines.slice(-last).map((l) => l.event ?? "?");
    return `events seen (last ${last}): ${events.join(", ") || "none"}` +
      (this.other.length ? `\nother output: ${this.other.slice(-10).join("\n")}` : "");
  }

  /** Wait until a line with this event (and matching `where`) is logged; returns it. */
  waitFor(
    event: string,
    o: { timeoutMs?: number; where?: (l: LogLine) => boolean } = {},
  ): Promise<LogLine> {
    return waitUntil(() => this.lines[this.indexOf(event, o.where)], {
      what: `log event ${event}`,
      timeoutMs: o.timeoutMs,
      detail: () => this.summary(),
    });
  }
}

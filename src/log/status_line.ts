/**
 * A status line at the bottom of a terminal (the backfill's progress bar) with
 * log lines printed above it: each log line clears the status line, is
 * written, and the status line is drawn again below it, so neither tears the
 * other.
 *
 * @module
 */

const CLEAR = "\r\x1b[2K";

/** Options for {@linkcode StatusLine}. */
export interface StatusLineOptions {
  /** Writes raw text to the terminal. @default {standard error} */
  write?: (text: string) => void;
}

/** Owns one terminal stream: log lines scroll, the status line stays last. */
export class StatusLine {
  readonly #write: (text: string) => void;
  #status = "";

  /** Create it for a terminal. */
  constructor(o: StatusLineOptions = {}) {
    const enc = new TextEncoder();
    this.#write = o.write ?? ((t) => Deno.stderr.writeSync(enc.encode(t)));
  }

  /** Write one log line above the status line. */
  log(line: string): void {
    this.#write(this.#status ? `${CLEAR}${line}\n${this.#status}` : `${line}\n`);
  }

  /** Show `text` as the status line (replacing the previous one). */
  set(text: string): void {
    this.#status = text;
    this.#write(`${CLEAR}${text}`);
  }

  /** End the status line: it stays on screen as it was, and the cursor moves below it. */
  done(): void {
    if (this.#status) this.#write("\n");
    this.#status = "";
  }
}

/**
 * One line per event: JSON when not on a terminal (or when asked), readable
 * text on a terminal. Registered secrets are masked in every line, as a last
 * line of defence behind {@linkcode Secret}.
 *
 * @module
 */
import type { LogLevel } from "./levels.ts";
import { redactUrl } from "./redact.ts";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured fields attached to an event. */
export type Fields = Record<string, unknown>;

/** Options for {@linkcode Logger}. */
export interface LoggerOptions {
  /** Lowest level written. */
  level?: LogLevel;
  /** `json`, `text`, or `auto` (JSON unless the sink is a terminal). */
  format?: "auto" | "json" | "text";
  /** Where lines go; defaults to standard error. */
  write?: (line: string) => void;
  /** Whether the sink is a terminal (for `auto`). */
  isTerminal?: boolean;
  /** Fields added to every line. */
  base?: Fields;
  /** Clock, for tests. */
  now?: () => Date;
}

const encoder = new TextEncoder();

function defaultWrite(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/** A levelled, structured logger. */
export class Logger {
  #level: LogLevel;
  readonly #json: boolean;
  readonly #write: (line: string) => void;
  readonly #base: Fields;
  readonly #now: () => Date;
  readonly #secrets: string[];

  /** Create a logger. */
  constructor(opts: LoggerOptions = {}, secrets: string[] = []) {
    this.#level = opts.level ?? "info";
    const terminal = opts.isTerminal ?? Deno.stderr.isTerminal();
    this.#json = opts.format === "json" || (opts.format !== "text" && !terminal);
    this.#write = opts.write ?? defaultWrite;
    this.#base = opts.base ?? {};
    this.#now = opts.now ?? (() => new Date());
    this.#secrets = secrets;
  }

  /** Mask `value` wherever it appears in later lines (ignored when shorter than 3 characters). */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 3 && !this.#secrets.includes(value)) this.#secrets.push(value);
  }

  /** Change the level. */
  setLevel(level: LogLevel): void {
    this.#level = level;
  }

  /** A logger that adds `fields` to every line and shares this one's secrets. */
  child(fields: Fields): Logger {
    return new Logger({
      level: this.#level,
      format: this.#json ? "json" : "text",
      write: this.#write,
      base: { ...this.#base, ...fields },
      now: this.#now,
      isTerminal: !this.#json,
    }, this.#secrets);
  }

  /** Whether `level` is written. */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.#level];
  }

  /** Log at debug level. */
  debug(event: string, fields?: Fields): void {
    this.log("debug", event, fields);
  }
  /** Log at info level. */
  info(event: string, fields?: Fields): void {
    this.log("info", event, fields);
  }
  /** Log at warn level. */
  warn(event: string, fields?: Fields): void {
    this.log("warn", event, fields);
  }
  /** Log at error level. */
  error(event: string, fields?: Fields): void {
    this.log("error", event, fields);
  }

  /** Log `event` at `level` with `fields`. */
  log(level: LogLevel, event: string, fields: Fields = {}): void {
    if (!this.enabled(level)) return;
    const all: Fields = { ...this.#base, ...fields };
    for (const [k, v] of Object.entries(all)) {
      if (v instanceof Error) all[k] = v.message;
    }
    let line: string;
    if (this.#json) {
      line = JSON.stringify({ ts: this.#now().toISOString(), level, event, ...all });
    } else {
      const kv = Object.entries(all)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`)
        .join(" ");
      const time = this.#now().toISOString().slice(11, 19);
      line = `${time} ${level.toUpperCase().padEnd(5)} ${event}${kv ? " " + kv : ""}`;
    }
    this.#write(this.redact(line));
  }

  /** Mask every registered secret and URL password in `text`. */
  redact(text: string): string {
    let out = redactUrl(text);
    for (const s of this.#secrets) out = out.split(s).join("***");
    return out;
  }
}

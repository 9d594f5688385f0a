/**
 * Start-up checks that run before any work: the data directory can be
 * written, and the database can be reached (the daemon waits for it with
 * back-off; one-shot commands give up at once with a line naming the server
 * and the settings that choose it).
 *
 * A path outside what the program may touch fails here, naming the path and
 * what is allowed, instead of on first use as a "network error" retried per
 * pair.
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { DatabaseConfig } from "../config/schema.ts";
import { WRITE_PATHS } from "./permissions.ts";

/** A setting the program cannot work with: exit status 2, one line. */
export class StartupError extends Error {
  /** Build the error. */
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

async function granted(name: "read" | "write", path: string): Promise<boolean> {
  const { state } = await Deno.permissions.query({ name, path });
  return state === "granted";
}

/**
 * Create `dir` if needed and prove it writable (a file is created and removed).
 *
 * @throws {StartupError} naming `key`, the path and why
 */
export async function checkDataDir(dir: string, key = "data_dir"): Promise<void> {
  const abs = resolve(dir);
  if (!(await granted("write", abs))) {
    throw new StartupError(
      `${key} ${abs}: outside what this program may write (allowed: ${
        WRITE_PATHS.map((p) => resolve(p)).join(", ")
      }); set DATA_DIR to one of them`,
    );
  }
  try {
    const info = await Deno.stat(abs).catch((e) => {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    });
    if (info && !info.isDirectory) throw new Error("it is a file, not a directory");
    await Deno.mkdir(abs, { recursive: true });
    const probe = join(abs, `.write-test-${crypto.randomUUID()}`);
    await Deno.writeTextFile(probe, "", { createNew: true });
    await Deno.remove(probe);
  } catch (e) {
    throw new StartupError(`${key} ${abs}: cannot be written: ${(e as Error).message}`);
  }
}

/**
 * Which server the settings name, and which settings change it: for the one
 * line printed when the database cannot be reached. Never includes a password.
 */
export function describeDatabase(c: DatabaseConfig): { target: string; fix: string } {
  if (c.engine === "embedded") {
    return {
      target: `the embedded database ${c.embeddedDir}`,
      fix: "one process at a time can open it; for several, or to use a server, set " +
        "DATABASE_URL or DB_HOST (database.* in the config file)",
    };
  }
  if (c.url) {
    let where = "the server of DATABASE_URL";
    try {
      const u = new URL(c.url.reveal());
      where = `${u.hostname}:${u.port || 5432}, database ${u.pathname.slice(1) || "(default)"}`;
    } catch {
      // An unparsable URL is named by the driver's own message.
    }
    return { target: `PostgreSQL at ${where}`, fix: "check DATABASE_URL (database.url)" };
  }
  return {
    target: `PostgreSQL at ${c.host}:${c.port}, database ${c.name}, user ${c.user}`,
    fix: "start the server, or set DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD " +
      "(database.* in the config file) or DATABASE_URL",
  };
}

/** Options for {@linkcode retryUntil}. */
export interface RetryUntilOptions {
  /** First delay between attempts. @default {1000} */
  initialMs?: number;
  /** Largest delay. @default {60000} */
  maxMs?: number;
  /** Aborting it stops waiting (the last error is thrown). */
  signal?: AbortSignal;
  /** Told about every failed attempt and the delay before the next. */
  onFailure?: (e: unknown, attempt: number, delayMs: number) => void;
  /** Sleep (injectable). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Run `fn` until it resolves, doubling the delay between attempts. */
export async function retryUntil<T>(fn: () => Promise<T>, o: RetryUntilOptions): Promise<T> {
  let delay = o.initialMs ?? 1000;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (o.signal?.aborted) throw e;
      o.onFailure?.(e, attempt, delay);
      try {
        await o.sleep(delay, o.signal);
      } catch {
        throw e;
      }
      delay = Math.min(o.maxMs ?? 60_000, delay * 2);
    }
  }
}

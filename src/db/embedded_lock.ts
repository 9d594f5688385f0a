/**
 * One process per embedded store. PGlite takes no lock of its own, and two
 * processes on one data directory silently lose committed writes (measured):
 * the store is guarded by an exclusive advisory lock (`flock`) on
 * `<dir>.lock`, held for as long as the store is open. The operating system
 * drops the lock with its holder, however it ends, so a stale lock file (its
 * holder gone) is taken over simply by locking it again; the holder's PID and
 * start time are written into it for the message the next process gives.
 *
 * @module
 */
import { dirname } from "node:path";

/** Another process holds the store. */
export class StoreLockedError extends Error {
  /** PID of the holder, when its lock file says. */
  readonly holderPid?: number;
  /** Build the error. */
  constructor(dir: string, holder: LockHolder | undefined) {
    const who = holder ? `process ${holder.pid} (since ${holder.since})` : "another process";
    super(
      `the embedded database ${dir} is in use by ${who}: one process at a time can open it. ` +
        "Stop that process, or run several against a PostgreSQL server (DATABASE_URL or DB_HOST)",
    );
    this.name = "StoreLockedError";
    this.holderPid = holder?.pid;
  }
}

/** What a lock file says about its holder. */
export interface LockHolder {
  /** Process id. */
  pid: number;
  /** When it took the lock (ISO 8601). */
  since: string;
}

/** A held lock; {@linkcode StoreLock.release} gives it up. */
export interface StoreLock {
  /** Path of the lock file. */
  path: string;
  /** Give the lock up (the file stays: removing it would race with a process opening it). */
  release(): void;
}

/** Path of the lock file of store `dir`. */
export function lockPath(dir: string): string {
  return `${dir.replace(/\/+$/, "")}.lock`;
}

function readHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    return Number.isInteger(v.pid) && typeof v.since === "string" ? v as LockHolder : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Take the store's lock at once, or fail.
 *
 * @throws {StoreLockedError} naming the holder when another process has it
 */
export async function lockStore(dir: string): Promise<StoreLock> {
  const path = lockPath(dir);
  await Deno.mkdir(dirname(path), { recursive: true });
  const file = await Deno.open(path, { read: true, write: true, create: true });
  try {
    if (!(await file.tryLock(true))) {
      const text = await Deno.readTextFile(path).catch(() => "");
      throw new StoreLockedError(dir, readHolder(text));
    }
    const holder: LockHolder = { pid: Deno.pid, since: new Date().toISOString() };
    await file.truncate(0);
    await file.write(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
  } catch (e) {
    file.close();
    throw e;
  }
  return {
    path,
    release: () => {
      try {
        file.close();
      } catch {
        // Already closed: nothing held.
      }
    },
  };
}

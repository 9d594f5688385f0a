/**
 * Failures the ledger could not take when they happened (the database itself
 * had gone away), kept in a file beside the raw archive until it answers
 * again: every failure ends up as a `failed` ledger row, none is lost with
 * the connection.
 *
 * One JSON object per line; {@linkcode FailureJournal.flush} writes them to
 * the ledger and keeps only what still could not be written.
 *
 * @module
 */
import { join } from "node:path";
import type { Queryable } from "../db/database.ts";
import { type Failure, type LedgerKey, recordFailure } from "./ledger.ts";

/** A failure waiting for the ledger. */
export interface UnrecordedFailure {
  /** The load it belongs to (`report` is absent in journals of earlier versions). */
  key: Omit<LedgerKey, "report"> & { report?: string };
  /** What went wrong. */
  failure: Omit<Failure, "startedAt"> & { startedAt: string };
}

/** The journal file of a data directory. */
export class FailureJournal {
  readonly #path: string;
  #writing: Promise<unknown> = Promise.resolve();

  /** The journal of `dataDir` (`<dataDir>/pending-failures.jsonl`). */
  constructor(dataDir: string) {
    this.#path = join(dataDir, "pending-failures.jsonl");
  }

  /** Where it lives. */
  get path(): string {
    return this.#path;
  }

  /** Keep a failure for later. */
  append(key: LedgerKey, failure: Failure): Promise<void> {
    const line: UnrecordedFailure = {
      key,
      failure: { ...failure, startedAt: failure.startedAt.toISOString() },
    };
    const write = this.#writing.then(() =>
      Deno.writeTextFile(this.#path, JSON.stringify(line) + "\n", { append: true })
    );
    this.#writing = write.catch(() => {});
    return write;
  }

  /** Failures waiting, oldest first. */
  async pending(): Promise<UnrecordedFailure[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.#path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
    return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  }

  /**
   * Write every waiting failure to the ledger; returns how many were written.
   * What cannot be written yet stays in the file.
   */
  async flush(db: Queryable, schema: string): Promise<number> {
    await this.#writing;
    const all = await this.pending();
    let done = 0;
    for (const p of all) {
      try {
        // A journal written before reports were named holds family-A loads.
        const key: LedgerKey = { ...p.key, report: p.key.report ?? "operationally-available" };
        await recordFailure(db, schema, key, {
          ...p.failure,
          error: `${p.failure.error} (recorded when the database answered again)`,
          startedAt: new Date(p.failure.startedAt),
        });
        done++;
      } catch {
        break;
      }
    }
    if (done === 0) return 0;
    const rest = all.slice(done).map((p) => JSON.stringify(p) + "\n").join("");
    if (rest === "") await Deno.remove(this.#path).catch(() => {});
    else await Deno.writeTextFile(this.#path, rest);
    return done;
  }
}

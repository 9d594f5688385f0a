/**
 * What one load is given: the file, its pair and its report.
 *
 * @module
 */
import type { Cycle } from "../domain/cycles.ts";
import type { IsoDate } from "../domain/gas_day.ts";
import type { Report } from "../reports/report.ts";
import type { Failure, LedgerKey, Validators } from "./ledger.ts";

/** What to load. */
export interface LoadRequest {
  /** Schema of the program's tables. */
  schema: string;
  /** Report the file is (its layout and table). */
  report: Report;
  /** Source name. */
  source: string;
  /** Asset code. */
  asset: string;
  /** Gas day the file is for (stamped on every row). */
  gasDay: IsoDate;
  /** Cycle the file is for (stamped on every row). */
  cycle: Cycle;
  /** Where the bytes came from. */
  url: string;
  /** sha256 of the bytes. */
  sha256: string;
  /** Size of the bytes. */
  bytes: number;
  /**
   * When the bytes were fetched: the version's first sighting, so history
   * says when the pipeline posted it. Default: the load's start.
   */
  seenAt?: Date;
  /**
   * The validators the site sent with the bytes (`ETag`, `Last-Modified`),
   * kept on the version so the next fetch can be conditional.
   */
  validators?: Validators;
  /** Opens the bytes, inside the transaction (again for the careful pass after a duplicate). */
  open: () => Promise<ReadableStream<Uint8Array>>;
  /**
   * Load even when the latest load of the pair had the same bytes, or when
   * these bytes already failed terminally.
   */
  force?: boolean;
  /**
   * Only terminal failures with a ledger id from this one on count as a
   * verdict on these bytes (a rebuild disregards the ones older than itself:
   * they may be a layout the program now reads). Default: all.
   */
  failuresFrom?: number;
  /** When another process holds the pair: wait for it (default) or give up at once. */
  lock?: "wait" | "skip";
  /** Told how long each step took (for debug logs and the benchmark). */
  onStep?: (step: string, seconds: number) => void;
  /** Keeps a failure the ledger could not take (the database is gone) for later. */
  onUnrecorded?: (key: LedgerKey, failure: Failure) => Promise<void>;
}

/**
 * Time as the daemon sees it: injectable, so tests can run days of polling in
 * seconds.
 *
 * @module
 */
import { abortableSleep } from "../domain/async.ts";

/** A clock. */
export interface Clock {
  /** The current instant. */
  now(): Date;
  /** Wait `ms` (rejects with the abort reason if `signal` aborts first). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep: abortableSleep,
};

/**
 * A validated `--params` combination: what the command line asks for, before
 * it meets the configured sources.
 *
 * @module
 */
import type { Cycle } from "./cycles.ts";
import type { IsoDate } from "./gas_day.ts";

/** One validated `--params` combination. */
export interface ParamCombo {
  /** Gas day, when given. */
  gasDay?: IsoDate;
  /** Cycle, when given. */
  cycle?: Cycle;
  /** Asset filter, when given. */
  asset?: string;
  /** Source-name filter, when given. */
  source?: string;
  /** Every other parameter, passed through to the request (searchType included). */
  request: Record<string, string>;
}

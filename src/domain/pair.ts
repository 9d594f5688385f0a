/**
 * The identity of a pair: one source's report for one gas day and cycle.
 * Everything keyed by a pair derives from this one type: the ledger's and
 * the poll state's rows, the pair lock, the rows of a report's table. Two
 * sources of one asset (`searchType` ALL and NOM, say) are two pairs, with
 * their own rows, ledger entries, locks and poll state.
 *
 * @module
 */
import type { IsoDate } from "./gas_day.ts";

/** One source's report for one gas day and cycle. */
export interface PairKey {
  /** Configured source name (unique). */
  readonly source: string;
  /** Report id (`operationally-available`, ...). */
  readonly report: string;
  /** Asset code (the source's). */
  readonly asset: string;
  /** Gas day. */
  readonly gasDay: IsoDate;
  /** Cycle label as stored (`Timely`, `Intraday 1`, ...). */
  readonly cycle: string;
}

/** Name of the transaction-scoped advisory lock of a pair. */
export function pairLockName(k: PairKey): string {
  return `tec-pipeline:pair:${k.source}:${k.report}:${k.gasDay}:${k.cycle}`;
}

/** The pair as one short line, for messages: `tw-oac 2024-01-17 Timely`. */
export function pairText(k: PairKey): string {
  return `${k.source} ${k.gasDay} ${k.cycle}`;
}

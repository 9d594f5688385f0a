/**
 * Nomination cycles as Energy Transfer's ipost names and numbers them.
 *
 * The codes are not contiguous (2 and 6 are unused): the original system probed
 * 1..8 blindly and never loaded Timely (0) or Final (5), so the table is the
 * single source of truth for every code, name and label.
 *
 * @module
 */

/** Stable identifier of a cycle, as used in config and on the command line. */
export type CycleId =
  | "timely"
  | "evening"
  | "intraday1"
  | "intraday2"
  | "intraday3"
  | "final";

/** One nomination cycle. */
export interface Cycle {
  /** Identifier used in config files and `--params cycle=<id>`. */
  readonly id: CycleId;
  /** Numeric `cycle=` request parameter understood by ipost. */
  readonly code: number;
  /** Label stored in the `cycle` column, e.g. `Intraday 1`. */
  readonly label: string;
}

/** Every cycle, in the order they are posted within a gas day. */
export const CYCLES: readonly Cycle[] = Object.freeze([
  { id: "timely", code: 0, label: "Timely" },
  { id: "evening", code: 1, label: "Evening" },
  { id: "intraday1", code: 3, label: "Intraday 1" },
  { id: "intraday2", code: 4, label: "Intraday 2" },
  { id: "intraday3", code: 7, label: "Intraday 3" },
  { id: "final", code: 5, label: "Final" },
]);

const BY_CODE = new Map<string, Cycle>();
const BY_NAME = new Map<string, Cycle>();
for (const c of CYCLES) {
  BY_CODE.set(String(c.code), c);
  BY_NAME.set(c.id, c);
  BY_NAME.set(normalise(c.label), c);
}

function normalise(text: string): string {
  return text.trim().toLowerCase().replace(/[\s_-]+/g, "");
}

/**
 * Resolve a cycle from its code (`"0"`), id (`"intraday1"`) or label
 * (`"Intraday 1"`); case, spaces, `_` and `-` are ignored.
 *
 * @returns the cycle, or `undefined` when the text names none.
 */
export function findCycle(text: string): Cycle | undefined {
  const t = text.trim();
  // Codes match exactly: "-1" or "_5" must not pass for 1 or 5.
  if (/^\d+$/.test(t)) return BY_CODE.get(t);
  return BY_NAME.get(normalise(t));
}

/** Human-readable list of accepted cycle spellings, for error messages. */
export function cycleChoices(): string {
  return CYCLES.map((c) => `${c.code}|${c.id}`).join(", ");
}

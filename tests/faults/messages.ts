/**
 * What the fault suite calls an unclear failure message: one an operator
 * cannot act on.
 *
 * @module
 */

/** Phrases that say nothing about the cause. */
const GENERIC: readonly [RegExp, string][] = [
  [/the driver does not report why/i, "says the cause is unknown"],
  [/^(undefined|null|\[object \w+\]|error|unknown error)$/i, "names no cause"],
  [/cannot read propert(y|ies) of (null|undefined)/i, "is an internal TypeError"],
  [/is not a function|is not defined|is undefined\b/i, "is an internal error"],
];

/**
 * Why a failure message is unclear, or `undefined` when it is a clear one-line
 * reason: empty, more than one line, a stack trace, `undefined`, an internal
 * TypeError, or a generic "cannot tell why".
 */
export function unclearReason(message: unknown): string | undefined {
  if (message === null || message === undefined) return "no reason recorded";
  const m = String(message);
  if (m.trim() === "") return "empty reason";
  if (/\n\s*at\s|^\s*at\s.+:\d+:\d+/m.test(m)) return "a stack trace";
  if (/[\r\n]/.test(m.trim())) return "more than one line";
  for (const [re, why] of GENERIC) if (re.test(m.trim())) return why;
  return undefined;
}

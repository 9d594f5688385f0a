/**
 * Retry policy as error types. A {@linkcode TerminalError} means the same
 * input will fail the same way again (a file whose header lacks a required
 * column, a request the host refuses for good): retrying soon only costs
 * requests and ledger rows. A {@linkcode TransientError} means the failure
 * lies outside the input (a full disk, a host that is down) and may clear.
 *
 * Errors are often wrapped (a load error carries the header error that caused
 * it), so {@linkcode isTerminal} reads the first marked class along the
 * `cause` chain. An error marked neither way counts as transient: when in
 * doubt, try again.
 *
 * @module
 */

/** A failure the same input will hit again: retry only when the input changes. */
export abstract class TerminalError extends Error {}

/** A failure outside the input, which may clear by itself: worth retrying. */
export abstract class TransientError extends Error {}

/**
 * A request that cannot be carried out as asked (a gas day where the daemon
 * follows its calendar, a filter that selects no source): the program's
 * entry point shows it as a usage error.
 */
export class InvalidRequestError extends TerminalError {
  /** Build the error. */
  constructor(message: string) {
    super(message);
    this.name = "InvalidRequestError";
  }
}

/** How deep {@linkcode isTerminal} follows `cause` (guards against cycles). */
const MAX_CAUSES = 8;

/** Whether `e`, or the first marked error among its causes, is a {@linkcode TerminalError}. */
export function isTerminal(e: unknown): boolean {
  let c: unknown = e;
  for (let depth = 0; depth < MAX_CAUSES && c instanceof Error; depth++) {
    if (c instanceof TerminalError) return true;
    if (c instanceof TransientError) return false;
    c = c.cause;
  }
  return false;
}

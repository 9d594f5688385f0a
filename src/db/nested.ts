/**
 * A {@linkcode Database} inside a transaction: what runs its own transactions
 * (the loader) runs them as savepoints of the caller's, so several loads
 * commit, or roll back, as one (a rebuild re-derives a pair's versions so).
 *
 * @module
 */
import type { Database, Transaction } from "./database.ts";

/**
 * `tx` as a database: `transaction(fn)` is a savepoint of `tx`, `ping` a
 * query on it, and `close` does nothing (the caller's transaction ends it).
 * `cursor` throws: a cursor is a read-only transaction of its own, which
 * cannot run inside another.
 *
 * @example
 * ```ts ignore
 * await db.transaction(async (tx) => {
 *   await loadFile(within(tx), first);
 *   await loadFile(within(tx), second); // both or neither
 * });
 * ```
 */
export function within(tx: Transaction): Database {
  return {
    query: (text, params) => tx.query(text, params),
    execute: (text, params) => tx.execute(text, params),
    transaction: (fn) => tx.savepoint(fn),
    cursor: () => {
      throw new Error("a cursor runs in a read-only transaction of its own, not inside one");
    },
    ping: async () => {
      await tx.query("SELECT 1");
    },
    close: () => Promise.resolve(),
  };
}

/**
 * Load one file into its report's table, atomically and idempotently: one
 * transaction holds the pair lock, the COPY, the quarantine, the upsert and
 * the ledger row. Any failure rolls all of it back and leaves a `failed`
 * ledger row, so no partial file ever reaches the table.
 *
 * A failure the same bytes will hit again (a `TerminalError`, such as a
 * missing header) is recorded as terminal, with the fingerprint of the layout
 * it was read with: until a file loads for the pair, those bytes are
 * answered `rejected` from the ledger, without loading or writing anything,
 * as long as they would be read the same way (a release or a source's
 * `header_aliases` that reads them differently gives them a fresh try).
 *
 * Per-file cost is mostly round trips (a real file is 287 rows): the checks
 * at the start go out together, pipelined on the transaction's connection
 * (each still runs after the pair lock is held), and a clean new file is one
 * COPY and one closing statement.
 *
 * @module
 */
import type { Database, Transaction } from "../db/database.ts";
import { DatabaseError } from "../db/database.ts";
import { isTerminal } from "../domain/errors.ts";
import { type PairKey, pairLockName } from "../domain/pair.ts";
import { countPairSql } from "./staging_sql.ts";
import {
  type Failure,
  type LedgerKey,
  type LoadCounts,
  priorState,
  recordFailure,
  type SameBytes,
  touchVersion,
} from "./ledger.ts";
import { TooManyRejected } from "./stage_rows.ts";
import { layoutFingerprint } from "../reports/layout.ts";
import { DuplicateKeys, Empty, writeDirect, writeStaged, type Written } from "./write_paths.ts";
import type { LoadRequest } from "./request.ts";

export type { LoadRequest };

/**
 * Result of {@linkcode loadFile}. `rejected`: these bytes already failed
 * terminally (`loadId` and `reason` are that failure's); nothing was written.
 */
export type LoadOutcome =
  | {
    status: "loaded";
    loadId: number;
    counts: LoadCounts;
    extraHeaders: string[];
    /** Another (gas day, cycle) of the source already had these very bytes (see `PriorState.sameBytes` in `ledger.ts`). */
    sameBytes?: SameBytes;
  }
  | { status: "unchanged"; loadId: number }
  | { status: "rejected"; loadId: number; reason: string }
  | { status: "empty" }
  | { status: "locked" };

/** A load that failed and was rolled back; {@linkcode LoadError.loadId} names its `failed` ledger row. */
export class LoadError extends Error {
  /** Ledger id of the failure record (undefined if even that could not be written). */
  readonly loadId?: number;
  /** Build the error. */
  constructor(message: string, loadId: number | undefined, options?: ErrorOptions) {
    super(message, options);
    this.name = "LoadError";
    this.loadId = loadId;
  }
}

/**
 * unique_violation, MERGE's "cannot affect row a second time", and a COPY
 * rejected without a reported cause (see `CopyRejectedError`): the careful
 * pass finds and reports what it was.
 */
const DUPLICATE_CODES = new Set(["23505", "21000", "25P02"]);

/** The pair of a request. */
export function pairOf(req: LoadRequest): PairKey {
  return {
    source: req.source,
    report: req.report.id,
    asset: req.asset,
    gasDay: req.gasDay,
    cycle: req.cycle.label,
  };
}

/** Key of the transaction-scoped advisory lock of a pair. */
export function pairLockKey(pair: PairKey): string {
  return pairLockName(pair);
}

function ledgerKey(req: LoadRequest): LedgerKey & { layoutSha: string } {
  return {
    ...pairOf(req),
    url: req.url,
    sha256: req.sha256,
    bytes: req.bytes,
    forced: req.force ?? false,
    layoutSha: layoutFingerprint(req.report.layout),
  };
}

async function lockPair(tx: Transaction, pair: PairKey, mode: "wait" | "skip"): Promise<boolean> {
  if (mode === "wait") {
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [pairLockKey(pair)]);
    return true;
  }
  const [r] = await tx.query<{ ok: boolean }>(
    "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok",
    [pairLockKey(pair)],
  );
  return r.ok;
}

/**
 * One pass in one transaction. The lock, the "same bytes?" check, the pair's
 * row count and a ledger id go out together: the server runs them in order,
 * so the checks read what was committed before the lock was granted.
 */
async function attempt(
  tx: Transaction,
  req: LoadRequest,
  careful: boolean,
  startedAt: Date,
): Promise<LoadOutcome> {
  const key = ledgerKey(req);
  const pairParams = [req.asset, req.gasDay, req.cycle.label, req.source];
  const [locked, prior, [{ n: present }]] = await Promise.all([
    lockPair(tx, key, req.lock ?? "wait"),
    priorState(tx, req.schema, { ...key, failuresFrom: req.failuresFrom }),
    tx.query<{ n: number }>(countPairSql(req.schema, req.report), pairParams),
  ]);
  const { nextId: loadId, sameBytes } = prior;
  if (!locked) return { status: "locked" };
  const seenAt = versionTime(req.seenAt ?? startedAt, prior.latestSeenAt);
  if (!req.force && prior.latestSha === req.sha256) {
    await touchVersion(tx, req.schema, prior.latestId!, seenAt, req.validators);
    return { status: "unchanged", loadId: prior.latestId! };
  }
  if (!req.force && prior.terminalId !== undefined) {
    return { status: "rejected", loadId: prior.terminalId, reason: prior.terminalError! };
  }
  const version = {
    loadId,
    seenAt,
    supersedes: prior.latestId,
    sameBytesAs: sameBytes?.loadId,
    validators: req.validators,
  };
  const w = { req, key, version, pairParams, step: stepper(req) };
  const written: Written = present === 0 && !careful
    ? await writeDirect(tx, w)
    : await writeStaged(tx, { ...w, careful, fresh: present === 0 });
  return { status: "loaded", loadId, ...written, ...(sameBytes && { sameBytes }) };
}

/**
 * A version's first sighting: when its bytes were fetched, but never before
 * the version it replaces (a replayed old file becomes the newest version as
 * of the current one's sighting, so every row version's validity stays an
 * interval; `rebuild` replays in fetch order and never needs this).
 */
function versionTime(fetched: Date, latest: Date | undefined): Date {
  return latest !== undefined && latest > fetched ? latest : fetched;
}

function stepper(req: LoadRequest) {
  return async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await fn();
    req.onStep?.(name, (performance.now() - t0) / 1000);
    return r;
  };
}

function needsCarefulPass(e: unknown): boolean {
  return e instanceof TooManyRejected || e instanceof DuplicateKeys ||
    (e instanceof DatabaseError && DUPLICATE_CODES.has(e.code));
}

/**
 * Load one file. See the module doc for the guarantees. Optimistic first (a
 * new pair is copied straight into the table); a duplicate key, a COPY the
 * server refused, or too many bad rows roll that back, and a careful pass in
 * a new transaction stages the file, quarantines both copies of every
 * duplicated key and reports any other cause properly.
 *
 * @throws {LoadError} after rolling back and recording the failure (its
 *   `cause` is the original error: a `TerminalError` when the same
 *   bytes would fail again)
 */
export async function loadFile(db: Database, req: LoadRequest): Promise<LoadOutcome> {
  const startedAt = new Date();
  try {
    try {
      return await db.transaction((tx) => attempt(tx, req, false, startedAt));
    } catch (e) {
      if (!needsCarefulPass(e)) throw e;
      return await db.transaction((tx) => attempt(tx, req, true, startedAt));
    }
  } catch (e) {
    if (e instanceof Empty) return { status: "empty" };
    const key = ledgerKey(req);
    const message = oneLine((e as Error).message ?? String(e));
    const failure: Failure = { error: message, startedAt, terminal: isTerminal(e) };
    let failedId: number | undefined;
    try {
      failedId = await recordFailure(db, req.schema, key, failure);
    } catch {
      // The database itself may be what failed: the failure waits in the
      // journal until it answers again; the caller still gets the cause.
      await req.onUnrecorded?.(key, failure).catch(() => {});
    }
    throw new LoadError(message, failedId, { cause: e });
  }
}

/** A reason on one line, whatever the driver or server put in it. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " / ").trim() || "unknown error";
}

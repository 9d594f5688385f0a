/**
 * Load one file into PostgreSQL, atomically and idempotently: one transaction
 * holds the pair lock, the ledger row, the COPY into staging, the quarantine
 * and the upsert. Any failure rolls all of it back and leaves a `failed`
 * ledger row, so no partial file ever reaches the table.
 *
 * A failure the same bytes will hit again (a `TerminalError`, such
 * as a missing header) is recorded as terminal: until a file loads for the
 * pair, those bytes are answered `rejected` from the ledger, without loading
 * or writing anything.
 *
 * @module
 */
import { type Database, DatabaseError, type Transaction } from "../db/database.ts";
import type { Cycle } from "../domain/cycles.ts";
import type { IsoDate } from "../domain/gas_day.ts";
import { isTerminal } from "../domain/errors.ts";
import {
  copyDirectSql,
  copyStageSql,
  countPairSql,
  createStageSql,
  insertFreshSql,
  markDuplicatesSql,
  mergeSql,
  quarantineRowsSql,
  quarantineSql,
  STAGE,
} from "./staging_sql.ts";
import {
  type Failure,
  finishLoad,
  latestLoaded,
  type LedgerKey,
  type LoadCounts,
  openLoad,
  recordFailure,
  terminalFailure,
} from "./ledger.ts";
import {
  copyLines,
  directSink,
  type Rejected,
  type StageStats,
  stagingSink,
  TooManyRejected,
} from "./stage_rows.ts";

/** The table the capacity report lands in. */
export const CAPACITY_TABLE = "operational_capacity";

/** What to load. */
export interface LoadRequest {
  /** Schema of the program's tables. */
  schema: string;
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
  /** Opens the bytes, inside the transaction (again for the careful pass after a duplicate). */
  open: () => Promise<ReadableStream<Uint8Array>>;
  /**
   * Load even when the latest load of the pair had the same bytes, or when
   * these bytes already failed terminally.
   */
  force?: boolean;
  /** When another process holds the pair: wait for it (default) or give up at once. */
  lock?: "wait" | "skip";
  /** Told how long each step took (for debug logs and the benchmark). */
  onStep?: (step: string, seconds: number) => void;
  /** Keeps a failure the ledger could not take (the database is gone) for later. */
  onUnrecorded?: (key: LedgerKey, failure: Failure) => Promise<void>;
}

/**
 * Result of {@linkcode loadFile}. `rejected`: these bytes already failed
 * terminally (`loadId` and `reason` are that failure's); nothing was written.
 */
export type LoadOutcome =
  | { status: "loaded"; loadId: number; counts: LoadCounts; extraHeaders: string[] }
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

class Empty extends Error {}

/**
 * unique_violation, MERGE's "cannot affect row a second time", and a COPY
 * rejected without a reported cause (see `CopyRejectedError`).
 */
const DUPLICATE_CODES = new Set(["23505", "21000", "25P02"]);

interface WriteContext {
  req: LoadRequest;
  loadId: number;
  pair: string[];
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

/** What one write pass did. */
interface Written {
  counts: LoadCounts;
  extraHeaders: string[];
}

/** Rejected rows a direct load keeps in memory before it falls back to staging. */
const DIRECT_REJECT_LIMIT = 10_000;

/**
 * The pair holds no rows yet: COPY straight into the table, as fast as a plain
 * COPY, keeping the (normally few) rejected rows aside for quarantine. A
 * duplicate key in the file makes the server reject the COPY, and too many
 * rejected rows throw {@linkcode TooManyRejected}; either way the caller stages.
 */
async function writeDirect(tx: Transaction, w: WriteContext): Promise<Written> {
  const { req, loadId, pair, step } = w;
  const stats: StageStats = { rowsRead: 0, rejected: 0, extraHeaders: [] };
  const rejected: Rejected[] = [];
  const sink = directSink({
    asset: req.asset,
    gasDay: req.gasDay,
    cycle: req.cycle.label,
    loadId,
    rejected,
    limit: DIRECT_REJECT_LIMIT,
  });
  const bytes = await req.open();
  await step(
    "copy",
    () => tx.copyIn(copyDirectSql(req.schema, CAPACITY_TABLE), copyLines(bytes, stats, sink)),
  );
  if (stats.rowsRead === 0) throw new Empty();
  const [{ n: quarantined }] = await step(
    "quarantine",
    () =>
      tx.query<{ n: number }>(quarantineRowsSql(req.schema), [
        loadId,
        ...pair,
        req.sha256,
        rejected.map((r) => r.line),
        rejected.map((r) => r.raw),
        rejected.map((r) => r.reason),
      ]),
  );
  return {
    counts: {
      rowsRead: stats.rowsRead,
      inserted: stats.rowsRead - quarantined,
      updated: 0,
      unchanged: 0,
      quarantined,
    },
    extraHeaders: stats.extraHeaders,
  };
}

/**
 * Stage the file in a temporary table and merge it into the table. `careful`
 * keeps every raw line and quarantines duplicate keys first; without it the
 * merge fails on a duplicate and the caller retries carefully.
 */
async function writeStaged(
  tx: Transaction,
  w: WriteContext & { careful: boolean },
): Promise<Written> {
  const { req, loadId, pair, step } = w;
  await tx.query(createStageSql());
  const stats: StageStats = { rowsRead: 0, rejected: 0, extraHeaders: [] };
  const bytes = await req.open();
  await step(
    "copy",
    () => tx.copyIn(copyStageSql(), copyLines(bytes, stats, stagingSink(w.careful))),
  );
  if (stats.rowsRead === 0) throw new Empty();
  if (w.careful) await step("duplicates", () => tx.query(markDuplicatesSql()));
  const [{ n: quarantined }] = await step(
    "quarantine",
    () => tx.query<{ n: number }>(quarantineSql(req.schema), [loadId, ...pair, req.sha256]),
  );
  const good = stats.rowsRead - quarantined;
  const [{ n: before }] = await tx.query<{ n: number }>(
    countPairSql(req.schema, CAPACITY_TABLE),
    pair,
  );
  if (before === 0) {
    // Nothing to match against: a plain insert is cheaper than MERGE.
    const n = await step(
      "insert",
      () => tx.execute(insertFreshSql(req.schema, CAPACITY_TABLE), [...pair, loadId]),
    );
    return {
      counts: { rowsRead: stats.rowsRead, inserted: n, updated: 0, unchanged: 0, quarantined },
      extraHeaders: stats.extraHeaders,
    };
  }
  // Temp tables are never auto-analysed; the merge join needs statistics.
  await step("analyze", () => tx.query(`ANALYZE ${STAGE}`));
  const written = await step(
    "merge",
    () => tx.execute(mergeSql(req.schema, CAPACITY_TABLE), [...pair, loadId]),
  );
  const [{ n: after }] = await tx.query<{ n: number }>(
    countPairSql(req.schema, CAPACITY_TABLE),
    pair,
  );
  const inserted = after - before;
  return {
    counts: {
      rowsRead: stats.rowsRead,
      inserted,
      updated: written - inserted,
      unchanged: good - written,
      quarantined,
    },
    extraHeaders: stats.extraHeaders,
  };
}

/**
 * Write the file optimistically first, under a savepoint: into an empty pair
 * by a direct COPY, into a filled one by a merge without the duplicate scan.
 * A duplicate key (or, for the direct COPY, any rejection or too many bad
 * rows) rolls that back, and the careful staged pass redoes it, quarantining
 * both copies of every duplicated key and reporting any other cause properly.
 */
async function write(tx: Transaction, w: WriteContext): Promise<Written> {
  const [{ n: present }] = await tx.query<{ n: number }>(
    countPairSql(w.req.schema, CAPACITY_TABLE),
    w.pair,
  );
  try {
    return await tx.savepoint((sp) =>
      present === 0 ? writeDirect(sp, w) : writeStaged(sp, { ...w, careful: false })
    );
  } catch (e) {
    const retry = e instanceof TooManyRejected ||
      (e instanceof DatabaseError && DUPLICATE_CODES.has(e.code));
    if (!retry) throw e;
    return await writeStaged(tx, { ...w, careful: true });
  }
}

/** Key of the transaction-scoped advisory lock of one (asset, gas day, cycle). */
export function pairLockKey(asset: string, gasDay: string, cycle: string): string {
  return `tec-pipeline:pair:${asset}:${gasDay}:${cycle}`;
}

/**
 * Load one file. See the module doc for the guarantees.
 *
 * @throws {LoadError} after rolling back and recording the failure (its
 *   `cause` is the original error: a `TerminalError` when the same
 *   bytes would fail again)
 */
export async function loadFile(db: Database, req: LoadRequest): Promise<LoadOutcome> {
  const startedAt = new Date();
  const key: LedgerKey = {
    source: req.source,
    asset: req.asset,
    gasDay: req.gasDay,
    cycle: req.cycle.label,
    url: req.url,
    sha256: req.sha256,
    bytes: req.bytes,
    forced: req.force ?? false,
  };
  const pair = [req.asset, req.gasDay, req.cycle.label];
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await fn();
    req.onStep?.(name, (performance.now() - t0) / 1000);
    return r;
  };
  try {
    return await db.transaction(async (tx): Promise<LoadOutcome> => {
      const lockKey = pairLockKey(req.asset, req.gasDay, req.cycle.label);
      if (req.lock === "skip") {
        const [r] = await tx.query<{ ok: boolean }>(
          "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok",
          [lockKey],
        );
        if (!r.ok) return { status: "locked" };
      } else {
        await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [lockKey]);
      }
      if (!req.force) {
        const prior = await latestLoaded(tx, req.schema, {
          asset: req.asset,
          gasDay: req.gasDay,
          cycle: req.cycle.label,
        });
        if (prior && prior.sha256 === req.sha256) {
          return { status: "unchanged", loadId: prior.load_id };
        }
        const failed = await terminalFailure(tx, req.schema, {
          asset: req.asset,
          gasDay: req.gasDay,
          cycle: req.cycle.label,
          sha256: req.sha256,
        });
        if (failed) return { status: "rejected", loadId: failed.load_id, reason: failed.error };
      }
      const loadId = await openLoad(tx, req.schema, key);
      const written = await write(tx, { req, loadId, pair, step });
      await finishLoad(tx, req.schema, loadId, written.counts);
      return { status: "loaded", loadId, ...written };
    });
  } catch (e) {
    if (e instanceof Empty) return { status: "empty" };
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

/**
 * The two ways a file's rows reach its report's table, inside the load's
 * transaction (see `load_file.ts`): straight into a pair that holds no rows
 * yet, or through a staging table merged into the rows already there. Each
 * ends by writing the ledger row and the quarantined rows in one statement.
 *
 * @module
 */
import type { Transaction } from "../db/database.ts";
import {
  analyzeStageSql,
  copyDirectSql,
  copyStageSql,
  HASH_JOINS_ONLY,
  insertFreshSql,
  markDuplicatesSql,
  mergeSql,
  prepareStageSql,
  replaceSql,
  stageCountsSql,
  stageTable,
} from "./staging_sql.ts";
import { insertLoaded, type LedgerKey, type LoadCounts, type Version } from "./ledger.ts";
import {
  copyLines,
  directSink,
  type Rejected,
  type StageStats,
  stagingSink,
} from "./stage_rows.ts";
import type { LoadRequest } from "./request.ts";

/** The file has a header and no rows: "not posted yet", nothing written. */
export class Empty extends Error {}

/** Staged rows share a key: roll back, and let the careful pass quarantine every copy. */
export class DuplicateKeys extends Error {}

/** What one write pass did. */
export interface Written {
  /** Its counts. */
  counts: LoadCounts;
  /** Headers of the file the layout does not use. */
  extraHeaders: string[];
}

/** What a write pass is given. */
export interface WriteContext {
  /** The load. */
  req: LoadRequest;
  /** Its ledger identity. */
  key: LedgerKey;
  /** The version it writes (its ledger row is written at the end). */
  version: Version;
  /** asset, gas day, cycle, source: the pair's parameters of `staging_sql.ts`. */
  pairParams: unknown[];
  /** Times a step (for debug logs and the benchmark). */
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

/** Rejected rows a direct load keeps in memory before it falls back to staging. */
const DIRECT_REJECT_LIMIT = 10_000;

/**
 * The pair holds no rows yet: COPY straight into the table, as fast as a plain
 * COPY, keeping the (normally few) rejected rows aside for quarantine. A
 * duplicate key in the file makes the server reject the COPY, and too many
 * rejected rows throw `TooManyRejected`; either way the caller stages.
 */
export async function writeDirect(tx: Transaction, w: WriteContext): Promise<Written> {
  const { req, step } = w;
  const loadId = w.version.loadId;
  const stats: StageStats = { rowsRead: 0, rejected: 0, extraHeaders: [] };
  const rejected: Rejected[] = [];
  const sink = directSink({
    asset: req.asset,
    gasDay: req.gasDay,
    cycle: req.cycle.label,
    source: req.source,
    loadId,
    rejected,
    limit: DIRECT_REJECT_LIMIT,
  });
  const bytes = await req.open();
  await step(
    "copy",
    () =>
      tx.copyIn(
        copyDirectSql(req.schema, req.report),
        copyLines(bytes, stats, sink, req.report.layout),
      ),
  );
  if (stats.rowsRead === 0) throw new Empty();
  const counts: LoadCounts = {
    rowsRead: stats.rowsRead,
    inserted: stats.rowsRead - rejected.length,
    updated: 0,
    unchanged: 0,
    quarantined: rejected.length,
    deleted: 0,
  };
  await step("ledger", () => insertLoaded(tx, req.schema, w.key, w.version, counts, { rejected }));
  return { counts, extraHeaders: stats.extraHeaders };
}

/**
 * Stage the file in a temporary table and make the pair's rows equal its good
 * rows: close the versions it changes or drops, delete the dropped, merge the
 * rest. `careful` keeps every raw line and quarantines duplicate keys first;
 * without it a duplicate rolls the pass back and the caller retries
 * carefully. `fresh`: the pair holds no rows, so a plain insert does instead.
 */
export async function writeStaged(
  tx: Transaction,
  w: WriteContext & { careful: boolean; fresh: boolean },
): Promise<Written> {
  const { req, step } = w;
  const report = req.report;
  const stats: StageStats = { rowsRead: 0, rejected: 0, extraHeaders: [] };
  const [, bytes] = await Promise.all([tx.query(prepareStageSql(report)), req.open()]);
  await step(
    "copy",
    () =>
      tx.copyIn(
        copyStageSql(report),
        copyLines(bytes, stats, stagingSink(report.layout, w.careful), report.layout),
      ),
  );
  if (stats.rowsRead === 0) throw new Empty();
  if (w.careful) await step("duplicates", () => tx.query(markDuplicatesSql(report)));
  const counts = await step(
    "merge",
    () => (w.fresh ? insertFresh : replace)(tx, w, stats.rowsRead),
  );
  await step(
    "ledger",
    () => insertLoaded(tx, req.schema, w.key, w.version, counts, { stage: stageTable(report) }),
  );
  return { counts, extraHeaders: stats.extraHeaders };
}

/** What the stage holds (see `stageCountsSql`). */
interface StageCounts {
  quarantined: number;
  duplicates: number;
  inserted: number;
}

/**
 * The statements of a staged pass after the COPY, and their answers. None
 * needs an answer of another, so they all go out together (one round trip;
 * the server runs them in order, so the counts are read before any write).
 */
async function afterCopy<T>(
  tx: Transaction,
  w: WriteContext,
  rowsRead: number,
  writes: () => Promise<T>,
): Promise<{ stage: StageCounts; written: T }> {
  const { req, pairParams } = w;
  // Issued in this order, so run in it: `writes` is called after the others are sent.
  const [, [stage], written] = await Promise.all([
    tx.execute(analyzeStageSql(req.report, rowsRead)),
    tx.query<StageCounts>(stageCountsSql(req.schema, req.report), pairParams),
    writes(),
  ]);
  if (stage.duplicates > 0) throw new DuplicateKeys();
  return { stage, written };
}

async function insertFresh(
  tx: Transaction,
  w: WriteContext,
  rowsRead: number,
): Promise<LoadCounts> {
  const { req, pairParams } = w;
  const insert = () =>
    tx.execute(insertFreshSql(req.schema, req.report), [...pairParams, w.version.loadId]);
  const { stage, written: inserted } = await afterCopy(tx, w, rowsRead, insert);
  return {
    rowsRead,
    inserted,
    updated: 0,
    unchanged: 0,
    quarantined: stage.quarantined,
    deleted: 0,
  };
}

/** The pair holds rows: retire what the file replaces, delete what it dropped, merge the rest. */
async function replace(tx: Transaction, w: WriteContext, rowsRead: number): Promise<LoadCounts> {
  const { req, pairParams } = w;
  const { loadId, seenAt } = w.version;
  const [hashOnly, restore] = HASH_JOINS_ONLY;
  const writes = () =>
    Promise.all([
      tx.execute(hashOnly),
      tx.query<{ deleted: number }>(
        replaceSql(req.schema, req.report),
        [...pairParams, loadId, seenAt],
      ),
      tx.execute(mergeSql(req.schema, req.report), [...pairParams, loadId]),
      tx.execute(restore),
    ]);
  const { stage, written: [, [{ deleted }], merged] } = await afterCopy(tx, w, rowsRead, writes);
  return {
    rowsRead,
    inserted: stage.inserted,
    updated: merged - stage.inserted,
    unchanged: rowsRead - stage.quarantined - merged,
    quarantined: stage.quarantined,
    deleted,
  };
}

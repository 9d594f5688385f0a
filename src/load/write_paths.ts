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
  copyDirectSql,
  copyStageSql,
  countPairSql,
  createStageSql,
  insertFreshSql,
  markDuplicatesSql,
  mergeSql,
  STAGE,
} from "./staging_sql.ts";
import { insertLoaded, type LedgerKey, type LoadCounts } from "./ledger.ts";
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
  /** Its ledger id (reserved; the row is written at the end). */
  loadId: number;
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
  const { req, loadId, step } = w;
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
  };
  await step("ledger", () => insertLoaded(tx, req.schema, w.key, loadId, counts, { rejected }));
  return { counts, extraHeaders: stats.extraHeaders };
}

/**
 * Stage the file in a temporary table and merge it into the table. `careful`
 * keeps every raw line and quarantines duplicate keys first; without it the
 * merge fails on a duplicate and the caller retries carefully. `fresh`: the
 * pair holds no rows, so a plain insert does instead of a merge.
 */
export async function writeStaged(
  tx: Transaction,
  w: WriteContext & { careful: boolean; fresh: boolean },
): Promise<Written> {
  const { req, loadId, pairParams, step } = w;
  const layout = req.report.layout;
  await tx.query(createStageSql(layout));
  const stats: StageStats = { rowsRead: 0, rejected: 0, extraHeaders: [] };
  const bytes = await req.open();
  await step(
    "copy",
    () =>
      tx.copyIn(
        copyStageSql(layout),
        copyLines(bytes, stats, stagingSink(layout, w.careful), layout),
      ),
  );
  if (stats.rowsRead === 0) throw new Empty();
  if (w.careful) await step("duplicates", () => tx.query(markDuplicatesSql(layout)));
  const [{ n: quarantined }] = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${STAGE} WHERE reason IS NOT NULL`,
  );
  const good = stats.rowsRead - quarantined;
  let counts: LoadCounts;
  if (w.fresh) {
    const n = await step(
      "insert",
      () => tx.execute(insertFreshSql(req.schema, req.report), [...pairParams, loadId]),
    );
    counts = { rowsRead: stats.rowsRead, inserted: n, updated: 0, unchanged: 0, quarantined };
  } else {
    counts = await merge(tx, w, stats.rowsRead, good, quarantined);
  }
  await step("ledger", () => insertLoaded(tx, req.schema, w.key, loadId, counts, { staged: true }));
  return { counts, extraHeaders: stats.extraHeaders };
}

async function merge(
  tx: Transaction,
  w: WriteContext,
  rowsRead: number,
  good: number,
  quarantined: number,
): Promise<LoadCounts> {
  const { req, loadId, pairParams, step } = w;
  const count = async () =>
    (await tx.query<{ n: number }>(countPairSql(req.schema, req.report), pairParams))[0].n;
  const before = await count();
  // Temp tables are never auto-analysed; the merge join needs statistics.
  await step("analyze", () => tx.query(`ANALYZE ${STAGE}`));
  const written = await step(
    "merge",
    () => tx.execute(mergeSql(req.schema, req.report), [...pairParams, loadId]),
  );
  const inserted = (await count()) - before;
  return {
    rowsRead,
    inserted,
    updated: written - inserted,
    unchanged: good - written,
    quarantined,
  };
}

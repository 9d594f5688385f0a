/**
 * The SQL of the `rebuild_request` table (migration 008): the raw archive's
 * request records of one rebuild run, written with COPY, read back pair by
 * pair in fetch order, deleted when the run ends.
 *
 * @module
 */
import { type Queryable, quoteIdent, type Transaction } from "../db/database.ts";
import type { IsoDate } from "../domain/gas_day.ts";
import { copyRow } from "../load/copy_text.ts";

/** One archived request, as queued. */
export interface QueuedRequest {
  /** Source name. */
  source: string;
  /** Gas day. */
  gasDay: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** When the body was received. */
  fetchedAt: string;
  /** The body's sha256. */
  sha256: string;
  /** URL requested. */
  url: string;
}

/** A pair's queued requests, oldest fetch first. */
export interface QueuedPair {
  /** Source name. */
  source: string;
  /** Gas day. */
  gasDay: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** Its requests in fetch order. */
  requests: { sha256: string; fetchedAt: Date; url: string }[];
}

function table(schema: string): string {
  return `${quoteIdent(schema)}.rebuild_request`;
}

/** Rows of runs that started over a day ago (a killed run's). Returns how many went. */
export function sweepStaleRuns(db: Queryable, schema: string): Promise<number> {
  return db.execute(`DELETE FROM ${table(schema)} WHERE created_at < now() - interval '1 day'`);
}

/** COPY `requests` into the queue of run `runId`, streamed. */
export function enqueue(
  tx: Transaction,
  schema: string,
  runId: string,
  requests: AsyncIterable<QueuedRequest>,
): Promise<void> {
  async function* chunks(): AsyncGenerator<string> {
    let out = "";
    for await (const r of requests) {
      out += copyRow([runId, r.source, r.gasDay, r.cycle, r.fetchedAt, r.sha256, r.url]);
      if (out.length >= 64 * 1024) {
        yield out;
        out = "";
      }
    }
    if (out !== "") yield out;
  }
  return tx.copyIn(
    `COPY ${table(schema)} (run_id, source, gas_day, cycle, fetched_at, sha256, url) FROM STDIN`,
    chunks(),
  );
}

/**
 * The run's pairs in (gas day, source, cycle) order, `pageSize` at a time,
 * each with its requests in fetch order: memory is one page.
 */
export async function* queuedPairs(
  db: Queryable,
  schema: string,
  runId: string,
  pageSize = 200,
): AsyncGenerator<QueuedPair> {
  let after: [string, string, string] = ["0001-01-01", "", ""];
  for (;;) {
    const page = await db.query<{
      source: string;
      gas_day: string;
      cycle: string;
      requests: { sha256: string; fetched_at: string; url: string }[];
    }>(
      `SELECT source, to_char(gas_day, 'YYYY-MM-DD') AS gas_day, cycle,
         json_agg(json_build_object('sha256', sha256, 'fetched_at', fetched_at, 'url', url)
                  ORDER BY fetched_at, sha256) AS requests
       FROM ${table(schema)}
       WHERE run_id = $1 AND (gas_day, source, cycle) > ($2::date, $3, $4)
       GROUP BY gas_day, source, cycle ORDER BY gas_day, source, cycle LIMIT $5`,
      [runId, ...after, pageSize],
    );
    for (const p of page) {
      yield {
        source: p.source,
        gasDay: p.gas_day,
        cycle: p.cycle,
        requests: p.requests.map((r) => ({
          sha256: r.sha256,
          fetchedAt: new Date(r.fetched_at),
          url: r.url,
        })),
      };
    }
    if (page.length < pageSize) return;
    const last = page[page.length - 1];
    after = [last.gas_day, last.source, last.cycle];
  }
}

/** Delete the run's rows. */
export async function dropRun(db: Queryable, schema: string, runId: string): Promise<void> {
  await db.execute(`DELETE FROM ${table(schema)} WHERE run_id = $1`, [runId]);
}

/**
 * `tec-pipeline sql "select ..." [--format table|csv|json]`: one read-only
 * query on the configured engine, its rows streamed to standard output (an
 * aligned table on a terminal, CSV otherwise, unless `--format` says).
 *
 * The query runs through a cursor in a read-only transaction: a statement
 * that would write fails, and memory stays one batch whatever the result.
 *
 * @module
 */
import { InvalidRequestError } from "../../domain/errors.ts";
import { ROW_FORMATS, type RowFormat, RowWriter } from "../../format/rows.ts";
import { EXIT } from "../exit.ts";
import { type CommandEnv, withDatabase } from "./context.ts";

/** Rows per cursor batch (a table's column widths come from the first). */
export const SQL_BATCH_ROWS = 500;

/** A validated `sql` command. */
export interface SqlRequest {
  /** The query (a SELECT, WITH, VALUES or TABLE: what a cursor can read). */
  query: string;
  /** How rows are written. */
  format: RowFormat;
}

/** Where the rows go (standard output by default). */
export interface SqlIo {
  /** Write all of `bytes`. */
  write(bytes: Uint8Array): Promise<void>;
  /** Whether it is a terminal (picks the table format when none is given). */
  isTerminal: boolean;
}

/**
 * The query (the one argument after `sql`) and `--format`.
 *
 * @throws {InvalidRequestError} naming what is missing or wrong
 */
export function parseSqlRequest(
  a: { query?: string; format?: string },
  isTerminal: boolean,
): SqlRequest {
  const query = a.query?.trim().replace(/;\s*$/, "") ?? "";
  if (query === "") {
    throw new InvalidRequestError('sql: expected a query, e.g. tec-pipeline sql "select 1"');
  }
  if (a.format !== undefined && !(ROW_FORMATS as readonly string[]).includes(a.format)) {
    throw new InvalidRequestError(
      `sql --format: expected ${ROW_FORMATS.join(", ")}, got ${JSON.stringify(a.format)}`,
    );
  }
  return { query, format: (a.format as RowFormat) ?? (isTerminal ? "table" : "csv") };
}

function stdoutIo(): SqlIo {
  return {
    async write(bytes) {
      for (let off = 0; off < bytes.length;) off += await Deno.stdout.write(bytes.subarray(off));
    },
    isTerminal: Deno.stdout.isTerminal(),
  };
}

/** Run the query; 0 when its rows were written, 1 when the database refused it. */
export function runSql(env: CommandEnv, req: SqlRequest, io: SqlIo = stdoutIo()): Promise<number> {
  return withDatabase(env, async (rt) => {
    const out = new RowWriter(req.format);
    const enc = new TextEncoder();
    try {
      for await (const batch of rt.db.cursor(req.query, [], SQL_BATCH_ROWS)) {
        await io.write(enc.encode(out.batch(batch)));
      }
      await io.write(enc.encode(out.end()));
    } catch (e) {
      env.log.error("sql.failed", { reason: (e as Error).message, rows_written: out.rows });
      return EXIT.failed;
    }
    env.log.debug("sql.done", { rows: out.rows });
    return EXIT.ok;
  });
}

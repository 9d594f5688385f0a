/**
 * Schema migrations: the `sql/NNN_name.sql` files, embedded in the program,
 * applied in order under an advisory lock and recorded in a table. Re-running
 * is a no-op; a migration that changed after it was applied is an error, not a
 * silent re-run.
 *
 * @module
 */
import { createHash } from "node:crypto";
import m001 from "../../sql/001_init.sql" with { type: "text" };
import m002 from "../../sql/002_poll_state.sql" with { type: "text" };
import m003 from "../../sql/003_terminal_failures.sql" with { type: "text" };
import m004 from "../../sql/004_claim_leases.sql" with { type: "text" };
import m005 from "../../sql/005_pair_identity.sql" with { type: "text" };
import m006 from "../../sql/006_versions_history.sql" with { type: "text" };
import m007 from "../../sql/007_analyst_views.sql" with { type: "text" };
import m008 from "../../sql/008_rebuild_requests.sql" with { type: "text" };
import m009 from "../../sql/009_messenger_capacity.sql" with { type: "text" };
import m010 from "../../sql/010_ignored_params_latency.sql" with { type: "text" };
import m011 from "../../sql/011_dashboard_indexes.sql" with { type: "text" };
import m012 from "../../sql/012_capacity_history.sql" with { type: "text" };
import m013 from "../../sql/013_tsq_split.sql" with { type: "text" };
import m014 from "../../sql/014_terminal_layout.sql" with { type: "text" };
import { type Database, quoteIdent } from "./database.ts";

/** One migration. */
export interface Migration {
  /** Ordinal, from the file name. */
  version: number;
  /** File name without `.sql`. */
  name: string;
  /** SQL text. */
  sql: string;
}

/** Every migration, in order. Add new files here (imports keep them embedded). */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  { version: 1, name: "001_init", sql: m001 },
  { version: 2, name: "002_poll_state", sql: m002 },
  { version: 3, name: "003_terminal_failures", sql: m003 },
  { version: 4, name: "004_claim_leases", sql: m004 },
  { version: 5, name: "005_pair_identity", sql: m005 },
  { version: 6, name: "006_versions_history", sql: m006 },
  { version: 7, name: "007_analyst_views", sql: m007 },
  { version: 8, name: "008_rebuild_requests", sql: m008 },
  { version: 9, name: "009_messenger_capacity", sql: m009 },
  { version: 10, name: "010_ignored_params_latency", sql: m010 },
  { version: 11, name: "011_dashboard_indexes", sql: m011 },
  { version: 12, name: "012_capacity_history", sql: m012 },
  { version: 13, name: "013_tsq_split", sql: m013 },
  { version: 14, name: "014_terminal_layout", sql: m014 },
]);

/** sha256 of a migration's text, to detect edits after it was applied. */
export function checksum(sql: string): string {
  return createHash("sha256").update(sql).digest("hex");
}

/** What {@linkcode migrate} did. */
export interface MigrateResult {
  /** Versions applied now. */
  applied: number[];
  /** Latest version in the database afterwards. */
  current: number;
}

/** Options for {@linkcode migrate}. */
export interface MigrateOptions {
  /** Target schema (created if missing). */
  schema: string;
  /** Migrations to apply (defaults to the embedded ones). */
  migrations?: readonly Migration[];
}

/**
 * Bring `schema` up to date. Concurrent callers (several replicas starting at
 * once) serialise on a transaction-scoped advisory lock; the second finds
 * nothing to do.
 */
export async function migrate(db: Database, opts: MigrateOptions): Promise<MigrateResult> {
  const schema = quoteIdent(opts.schema);
  const migrations = opts.migrations ?? MIGRATIONS;
  return await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
      `tec-pipeline:migrate:${opts.schema}`,
    ]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.query(`SET LOCAL search_path TO ${schema}`);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number; name: string; checksum: string }>(
      "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
    );
    const done = new Map(rows.map((r) => [r.version, r]));
    const applied: number[] = [];
    for (const m of migrations) {
      const sum = checksum(m.sql);
      const prior = done.get(m.version);
      if (prior) {
        if (prior.checksum !== sum) {
          throw new Error(
            `migration ${m.name} was changed after it was applied to schema ${opts.schema} ` +
              `(recorded checksum ${prior.checksum.slice(0, 12)}, embedded ${sum.slice(0, 12)}); ` +
              "add a new migration instead of editing an applied one",
          );
        }
        continue;
      }
      await tx.query(m.sql);
      await tx.query(
        "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
        [
          m.version,
          m.name,
          sum,
        ],
      );
      applied.push(m.version);
    }
    const latest = Math.max(0, ...rows.map((r) => r.version), ...applied);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    if (latest > known) {
      throw new Error(
        `schema ${opts.schema} is at migration ${latest}, newer than this program knows (${known}); ` +
          "run a newer tec-pipeline",
      );
    }
    return { applied, current: latest };
  });
}

/** Whether every embedded migration is applied (for readiness checks). */
export async function isMigrated(db: Database, schema: string): Promise<boolean> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.schema_migrations`,
  ).catch(() => [{ n: -1 }]);
  return rows[0].n >= MIGRATIONS.length;
}

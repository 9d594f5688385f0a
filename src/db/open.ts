/**
 * Open the configured engine: a PostgreSQL server through postgres.js, or
 * the embedded store (PGlite) under `data_dir`. The only place that chooses.
 *
 * @module
 */
import type { DatabaseConfig } from "../config/schema.ts";
import type { Database } from "./database.ts";
import { connectPostgres } from "./postgres.ts";
import { openEmbedded } from "./pglite.ts";

/** Options for {@linkcode openDatabase}. */
export interface OpenOptions {
  /** `application_name` reported to a server. @default {"tec-pipeline"} */
  applicationName?: string;
}

/**
 * The database `c` names. A server pool sends nothing until its first query;
 * the embedded store is opened (and locked) here.
 *
 * @throws {StoreLockedError} when another process has the embedded store open
 */
export function openDatabase(c: DatabaseConfig, o: OpenOptions = {}): Promise<Database> {
  if (c.engine === "embedded") {
    return openEmbedded({ dir: c.embeddedDir ?? "./data/pg", schema: c.schema });
  }
  return Promise.resolve(connectPostgres({ config: c, applicationName: o.applicationName }));
}

/** The engine in a few words, for the first log line: which, and where. */
export function describeEngine(c: DatabaseConfig): Record<string, string> {
  if (c.engine === "embedded") {
    return { engine: "embedded", dir: c.embeddedDir ?? "./data/pg", schema: c.schema };
  }
  if (c.url) {
    try {
      const u = new URL(c.url.reveal());
      return {
        engine: "server",
        server: `${u.hostname}:${u.port || 5432}`,
        database: decodeURIComponent(u.pathname.slice(1)) || "(default)",
        schema: c.schema,
      };
    } catch {
      return { engine: "server", server: "(DATABASE_URL)", schema: c.schema };
    }
  }
  return { engine: "server", server: `${c.host}:${c.port}`, database: c.name, schema: c.schema };
}

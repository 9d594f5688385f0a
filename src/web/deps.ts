/**
 * What the dashboard needs from the rest of the program, and the pure helpers
 * its pages share (the configured assets and sources).
 *
 * @module
 */
import type { Config, SourceConfig } from "../config/schema.ts";
import type { Database } from "../db/database.ts";

/** The dashboard's settings and services. */
export interface WebDeps {
  /** The database (read in read-only transactions only). */
  db: Database;
  /** Schema of the tables. */
  schema: string;
  /** Configured sources (disabled ones too: their rows are still there). */
  sources: readonly SourceConfig[];
  /** IANA zone of the gas-day clock (expected posting times). */
  timezone: string;
  /** Locations whose OAC is under this share of their OPC are highlighted (0..1). */
  lowOacShare: number;
  /** The clock. */
  now: () => Date;
}

/** The dashboard's settings as the configuration gives them. */
export function webDeps(config: Config, db: Database, now: () => Date = () => new Date()): WebDeps {
  return {
    db,
    schema: config.database.schema,
    sources: config.sources,
    timezone: config.timezone,
    lowOacShare: config.dashboard.lowOacShare,
    now,
  };
}

/** The configured assets, in configuration order, each once. */
export function assetsOf(deps: Pick<WebDeps, "sources">): string[] {
  return [...new Set(deps.sources.map((s) => s.asset))];
}

/** The configured sources of `asset`. */
export function sourcesOf(deps: Pick<WebDeps, "sources">, asset: string): string[] {
  return deps.sources.filter((s) => s.asset === asset).map((s) => s.name);
}

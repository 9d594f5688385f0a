/**
 * Everything a command needs, built from the configuration: logger, database
 * (migrated), raw archive. Closing it closes the database.
 *
 * @module
 */
import type { Config, LogLevel } from "../config/schema.ts";
import { connectPostgres } from "../db/postgres.ts";
import type { Database } from "../db/database.ts";
import { migrate } from "../db/migrate.ts";
import { Logger } from "../log/logger.ts";
import { RawArchive } from "../archive/raw_archive.ts";

/** Built services. */
export interface Runtime {
  /** Configuration. */
  config: Config;
  /** Logger. */
  log: Logger;
  /** Database. */
  db: Database;
  /** Raw archive. */
  archive: RawArchive;
  /** Close the database. */
  close(): Promise<void>;
}

/** Options for {@linkcode createLogger}. */
export interface CreateLoggerOptions {
  /** Configuration (level, format, secrets to mask). */
  config: Config;
  /** Level from the command line, winning over the configuration. */
  level?: LogLevel;
  /** Where lines go (standard error by default). */
  write?: (line: string) => void;
}

/** Create the logger for a configuration, masking its secrets. */
export function createLogger(opts: CreateLoggerOptions): Logger {
  const { config } = opts;
  const log = new Logger({
    level: opts.level ?? config.log.level,
    format: config.log.format,
    write: opts.write,
  });
  log.addSecret(config.database.password?.reveal());
  log.addSecret(config.database.url?.reveal());
  return log;
}

/** Options for {@linkcode openRuntime}. */
export interface OpenRuntimeOptions {
  /** Configuration. */
  config: Config;
  /** Logger. */
  log: Logger;
  /** Database (defaults to postgres.js from the config). */
  db?: Database;
}

/** Connect and migrate. */
export async function openRuntime(opts: OpenRuntimeOptions): Promise<Runtime> {
  const { config, log } = opts;
  const db = opts.db ?? connectPostgres({ config: config.database });
  try {
    const m = await migrate(db, { schema: config.database.schema });
    log.info("db.ready", {
      host: config.database.url ? undefined : config.database.host,
      database: config.database.url ? undefined : config.database.name,
      schema: config.database.schema,
      migrations_applied: m.applied,
      schema_version: m.current,
    });
  } catch (e) {
    await db.close({ timeoutSeconds: 1 }).catch(() => {});
    throw e;
  }
  return { config, log, db, archive: new RawArchive(config.dataDir), close: () => db.close() };
}

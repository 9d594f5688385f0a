/**
 * Everything a command needs, built from the configuration: logger, database,
 * raw archive. {@linkcode openRuntime} opens the engine (a server pool does
 * no I/O until used); {@linkcode prepareDatabase} connects and migrates.
 * Closing it closes the database.
 *
 * @module
 */
import type { Config, LogLevel } from "../config/schema.ts";
import { describeEngine, openDatabase } from "../db/open.ts";
import type { Database } from "../db/database.ts";
import { migrate, type MigrateResult } from "../db/migrate.ts";
import { Logger } from "../log/logger.ts";
import { DEFAULT_INCOMING_AGE_MS, RawArchive } from "../archive/raw_archive.ts";
import { FailureJournal } from "../load/failure_journal.ts";

/** Built services. */
export interface Runtime {
  /** Configuration. */
  config: Config;
  /** Logger. */
  log: Logger;
  /** Database (a pool: nothing is sent until the first query). */
  db: Database;
  /** Raw archive. */
  archive: RawArchive;
  /** Failures waiting for the ledger (the database was gone when they happened). */
  journal: FailureJournal;
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

/** Options for {@linkcode createRuntime}. */
export interface CreateRuntimeOptions {
  /** Configuration. */
  config: Config;
  /** Logger. */
  log: Logger;
  /** Database (defaults to the configured engine, see `db/open.ts`). */
  db?: Database;
}

/**
 * Build the services, and say first which database engine is used and
 * where. A server pool sends nothing yet; the embedded store is opened (and
 * locked: a second process fails here, at once).
 *
 * @throws {StoreLockedError} when another process has the embedded store open
 */
export async function openRuntime(opts: CreateRuntimeOptions): Promise<Runtime> {
  const { config, log } = opts;
  log.info("db.engine", describeEngine(config.database));
  const db = opts.db ?? await openDatabase(config.database);
  return {
    config,
    log,
    db,
    archive: new RawArchive(config.dataDir),
    journal: new FailureJournal(config.dataDir),
    close: () => db.close(),
  };
}

/** Connect and migrate (idempotent); logs `db.ready`. Throws when the database cannot be used. */
export async function prepareDatabase(rt: Runtime): Promise<MigrateResult> {
  const { config, log } = rt;
  const m = await migrate(rt.db, { schema: config.database.schema });
  log.info("db.ready", {
    ...describeEngine(config.database),
    migrations_applied: m.applied,
    schema_version: m.current,
  });
  await flushJournal(rt);
  return m;
}

/** Write the failures that waited for the database into the ledger; logs how many. */
export async function flushJournal(rt: Pick<Runtime, "db" | "config" | "journal" | "log">) {
  const n = await rt.journal.flush(rt.db, rt.config.database.schema).catch(() => 0);
  if (n > 0) rt.log.info("ledger.recorded_late", { failures: n });
}

/**
 * Remove the partial downloads a killed process left in the archive. Only
 * files untouched for longer than any download may take: a replica sharing
 * the data directory may be writing one right now.
 */
export async function sweepArchive(rt: Pick<Runtime, "archive" | "config" | "log">): Promise<void> {
  const olderThanMs = Math.max(DEFAULT_INCOMING_AGE_MS, 2000 * rt.config.http.timeoutSeconds);
  await rt.archive.sweepIncoming({ olderThanMs, log: rt.log }).catch((e) =>
    rt.log.warn("archive.sweep_failed", { reason: (e as Error).message })
  );
}

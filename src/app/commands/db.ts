/**
 * `tec-pipeline db serve` and `tec-pipeline db copy-to`: the embedded store
 * for other tools, and out into a server.
 *
 * - `serve [--addr 127.0.0.1:5433]` speaks the PostgreSQL protocol over TCP
 *   (pglite-socket) for psql, pgAdmin or a BI tool, until SIGINT/SIGTERM.
 *   One session behind every client: their transactions take turns. COPY
 *   through it is not supported (it wedges the engine; measured), LISTEN and
 *   NOTIFY do not work; use `tec-pipeline export` or `sql` for bulk reads.
 * - `copy-to <postgres-url>` moves every table into the server's schema
 *   (`db/copy_store.ts`: all or nothing, verified, idempotent).
 *
 * @module
 */
import { Secret } from "../../config/secret.ts";
import type { Config } from "../../config/schema.ts";
import { parseHostPort } from "../../config/host_port.ts";
import { InvalidRequestError } from "../../domain/errors.ts";
import { connectPostgres } from "../../db/postgres.ts";
import { embeddedEngine } from "../../db/pglite.ts";
import { CopyConflictError, copyStore } from "../../db/copy_store.ts";
import { migrate } from "../../db/migrate.ts";
import { safeUrl } from "../../log/redact.ts";
import { Shutdown } from "../shutdown.ts";
import { EXIT } from "../exit.ts";
import { type CommandEnv, withDatabase } from "./context.ts";

/** Where `db serve` listens by default: loopback, beside a server's 5432. */
export const DEFAULT_SERVE_ADDR = "127.0.0.1:5433";

/**
 * Both `db` actions work on the embedded store only.
 *
 * @throws {InvalidRequestError} when the configuration names a server
 */
export function requireEmbedded(config: Config, action: string): void {
  if (config.database.engine === "embedded") return;
  throw new InvalidRequestError(
    `db ${action} works on the embedded database; this configuration names a server ` +
      "(DATABASE_URL, DB_HOST or database.* in the config file): use it directly",
  );
}

/**
 * `--addr`, validated.
 *
 * @throws {InvalidRequestError} naming `--addr` and what was expected
 */
export function parseServeAddr(text: string | undefined): { hostname: string; port: number } {
  try {
    return parseHostPort(text ?? DEFAULT_SERVE_ADDR, "--addr");
  } catch (e) {
    throw new InvalidRequestError(`db serve ${(e as Error).message}`);
  }
}

/** Serve the embedded store until a stop request; 0 when stopped, 1 when it cannot listen. */
export function runDbServe(
  env: CommandEnv,
  addr: { hostname: string; port: number },
): Promise<number> {
  return withDatabase(env, async (rt) => {
    const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
    const server = new PGLiteSocketServer({
      db: embeddedEngine(rt.db)!,
      host: addr.hostname,
      port: addr.port,
      maxConnections: 8,
    });
    try {
      await server.start();
    } catch (e) {
      env.log.error("db.serve_failed", {
        addr: `${addr.hostname}:${addr.port}`,
        reason: (e as Error).message,
      });
      return EXIT.failed;
    }
    env.log.info("db.serving", {
      addr: `${addr.hostname}:${addr.port}`,
      dir: env.config.database.embeddedDir,
      connect: `psql -h ${addr.hostname} -p ${addr.port} -U postgres postgres`,
      note: "COPY through this socket is not supported; use tec-pipeline export or sql",
    });
    const shutdown = new Shutdown({ log: env.log, timeoutSeconds: 5, stop: env.stop });
    try {
      await shutdown.requested();
    } finally {
      shutdown.dispose();
      await server.stop();
    }
    env.log.info("db.served", {});
    return EXIT.ok;
  });
}

/**
 * The server `copy-to` writes into.
 *
 * @throws {InvalidRequestError} when the URL is not a postgres:// URL
 */
export function parseCopyTarget(url: string): Secret {
  if (!/^postgres(ql)?:\/\/[^/]/.test(url)) {
    throw new InvalidRequestError(
      `db copy-to: expected a postgres:// or postgresql:// URL, got ${
        JSON.stringify(safeUrl(url))
      }`,
    );
  }
  return new Secret(url);
}

/** Copy the embedded store into `url`'s server; 0 done (or already there), 1 refused or failed. */
export function runDbCopyTo(env: CommandEnv, url: Secret): Promise<number> {
  const schema = env.config.database.schema;
  const shown = safeUrl(url.reveal());
  env.log.addSecret(url.reveal());
  return withDatabase(env, async (rt) => {
    const target = connectPostgres({
      config: { ...env.config.database, engine: "server", url, maxConnections: 2 },
      applicationName: "tec-pipeline copy-to",
    });
    try {
      const m = await migrate(target, { schema });
      env.log.info("copy.target_ready", { target: shown, schema, migrations_applied: m.applied });
      const tables = await copyStore(
        rt.db,
        target,
        schema,
        (t) => env.log.info("copy.table", { ...t }),
      );
      const copied = tables.filter((t) => t.status === "copied");
      env.log.info("copy.done", {
        target: shown,
        schema,
        tables_copied: copied.length,
        tables_present: tables.length - copied.length,
        rows_copied: copied.reduce((n, t) => n + t.rows, 0),
      });
      return EXIT.ok;
    } catch (e) {
      const event = e instanceof CopyConflictError ? "copy.refused" : "copy.failed";
      env.log.error(event, { target: shown, schema, reason: (e as Error).message });
      return EXIT.failed;
    } finally {
      await target.close().catch(() => {});
    }
  });
}

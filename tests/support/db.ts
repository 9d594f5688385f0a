/**
 * A fresh database per test, never a mock: on the PostgreSQL server named by
 * `TEST_PG_*`, or on the embedded engine (PGlite), as {@linkcode testEngine}
 * says. Created on demand, dropped at the end.
 *
 * Server: `TEST_PG_HOST` (127.0.0.1), `TEST_PG_PORT` (5432), `TEST_PG_USER`
 * (postgres), `TEST_PG_PASSWORD` (none). Engine: `TEST_ENGINE` (`server`,
 * `embedded`; unset: the server when it answers, else embedded, which
 * `tests/support/engine.ts` decides once for `deno task test` and says).
 *
 * @module
 */
import type { DatabaseConfig, DatabaseEngine } from "../../src/config/schema.ts";
import { Secret } from "../../src/config/secret.ts";
import type { Database } from "../../src/db/database.ts";
import { connectPostgres } from "../../src/db/postgres.ts";
import { openEmbedded } from "../../src/db/pglite.ts";
import { embeddedTemplate } from "./embedded_template.ts";

/** A throw-away database. */
export interface TestDatabase {
  /** Settings to reach it (`engine` says which). */
  config: DatabaseConfig;
  /** An open handle on it. */
  db: Database;
  /** Close the handle and drop the database. */
  drop(): Promise<void>;
}

/** The engine the tests run on (`TEST_ENGINE`; `server` when unset and not decided by the task). */
export function testEngine(): DatabaseEngine {
  return Deno.env.get("TEST_ENGINE") === "embedded" ? "embedded" : "server";
}

/**
 * For a test that needs what only a server gives (several processes on one
 * database, other sessions, the postgres.js driver): `ignore` on the embedded
 * engine, and a name that says why.
 *
 * @example
 * ```ts ignore
 * const only = serverOnly("two daemons share one database");
 * Deno.test({ name: `replicas: ...${only.note}`, ignore: only.ignore, fn: ... });
 * ```
 */
export function serverOnly(why: string): { ignore: boolean; note: string } {
  const ignore = testEngine() === "embedded";
  return { ignore, note: ignore ? ` (server only: ${why})` : "" };
}

/** Settings of the admin connection (database `postgres`). */
export function adminConfig(name = "postgres"): DatabaseConfig {
  const pw = Deno.env.get("TEST_PG_PASSWORD");
  return {
    engine: "server",
    host: Deno.env.get("TEST_PG_HOST") ?? "127.0.0.1",
    port: Number(Deno.env.get("TEST_PG_PORT") ?? 5432),
    name,
    user: Deno.env.get("TEST_PG_USER") ?? "postgres",
    password: pw ? new Secret(pw) : undefined,
    schema: "staging",
    maxConnections: 4,
    connectTimeoutSeconds: 10,
    lockTimeoutSeconds: 60,
    statementTimeoutSeconds: 900,
  };
}

/** Create a database with a unique name (a store in a temp dir, embedded) and open it. */
export function freshDatabase(schema = "staging"): Promise<TestDatabase> {
  return testEngine() === "embedded" ? freshEmbedded(schema) : freshServer(schema);
}

async function freshServer(schema: string): Promise<TestDatabase> {
  const name = `tec_test_${Deno.pid}_${crypto.randomUUID().slice(0, 8)}`;
  const admin = connectPostgres({ config: adminConfig() });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const config = { ...adminConfig(name), schema };
  const db = connectPostgres({ config });
  return {
    config,
    db,
    async drop() {
      await db.close({ timeoutSeconds: 1 });
      const a = connectPostgres({ config: adminConfig() });
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.close();
      }
    },
  };
}

/** A copy of an initialised, empty store (initdb once per run, not per test). */
export function freshEmbeddedDatabase(schema = "staging"): Promise<TestDatabase> {
  return freshEmbedded(schema);
}

async function freshEmbedded(schema: string): Promise<TestDatabase> {
  const parent = await Deno.makeTempDir({ prefix: "tec-test-pg-" });
  const dir = `${parent}/pg`;
  const copy = await new Deno.Command("cp", { args: ["-a", await embeddedTemplate(), dir] })
    .output();
  if (!copy.success) throw new Error(`cp: ${new TextDecoder().decode(copy.stderr)}`);
  const config: DatabaseConfig = {
    ...adminConfig(),
    engine: "embedded",
    embeddedDir: dir,
    schema,
  };
  const db = await openEmbedded({ dir });
  return {
    config,
    db,
    async drop() {
      await db.close();
      await Deno.remove(parent, { recursive: true }).catch(() => {});
    },
  };
}

/** A table lock held by an open transaction until {@linkcode HeldLock.release}. */
export interface HeldLock {
  /** Backend pid of the holding transaction. */
  holder: number;
  /** Pids of the backends now waiting for this holder (its lock). */
  waiters(): Promise<number[]>;
  /** Whether a backend still exists (its client may have gone). */
  alive(pid: number): Promise<boolean>;
  /** Commit the holding transaction, letting the waiters on. Idempotent. */
  release(): Promise<void>;
}

/**
 * Lock `table` (schema-qualified, e.g. `staging.operational_capacity`) in
 * `mode` (default `SHARE`: readers pass, any INSERT/COPY/UPDATE waits) inside
 * an open transaction of `db`. Lets a test stop the program mid-load at a
 * known point, independent of how fast the machine is.
 */
export async function holdTableLock(
  db: Database,
  table: string,
  mode = "SHARE",
): Promise<HeldLock> {
  const held = Promise.withResolvers<number>();
  const done = Promise.withResolvers<void>();
  const tx = db.transaction(async (tx) => {
    await tx.query(`LOCK TABLE ${table} IN ${mode} MODE`);
    const [{ pid }] = await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    held.resolve(pid);
    await done.promise;
  });
  tx.catch((e) => held.reject(e));
  const holder = await held.promise;
  return {
    holder,
    async waiters() {
      const rows = await db.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))",
        [holder],
      );
      return rows.map((r) => r.pid);
    },
    async alive(pid) {
      const rows = await db.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1::int", [pid]);
      return rows.length > 0;
    },
    async release() {
      done.resolve();
      await tx;
    },
  };
}

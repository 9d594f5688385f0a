/**
 * A fresh PostgreSQL database per test file, on the real server (never a
 * mock): created on demand, dropped at the end.
 *
 * Connection: `TEST_PG_HOST` (127.0.0.1), `TEST_PG_PORT` (5432), `TEST_PG_USER`
 * (postgres), `TEST_PG_PASSWORD` (none).
 *
 * @module
 */
import type { DatabaseConfig } from "../../src/config/schema.ts";
import { Secret } from "../../src/config/secret.ts";
import type { Database } from "../../src/db/database.ts";
import { connectPostgres } from "../../src/db/postgres.ts";

/** A throw-away database. */
export interface TestDatabase {
  /** Settings to reach it. */
  config: DatabaseConfig;
  /** An open pool on it. */
  db: Database;
  /** Close the pool and drop the database. */
  drop(): Promise<void>;
}

/** Settings of the admin connection (database `postgres`). */
export function adminConfig(name = "postgres"): DatabaseConfig {
  const pw = Deno.env.get("TEST_PG_PASSWORD");
  return {
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

/** Create a database with a unique name and connect to it. */
export async function freshDatabase(schema = "staging"): Promise<TestDatabase> {
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

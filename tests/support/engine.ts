/**
 * `deno task test` runs this first: prints the engine the suite runs on
 * (`server` or `embedded`) to standard output, for `TEST_ENGINE`, and says
 * why on standard error. `TEST_ENGINE` already set wins; otherwise the
 * server named by `TEST_PG_*` when it answers within a second, else the
 * embedded engine.
 *
 * @module
 */
import { connectPostgres } from "../../src/db/postgres.ts";
import { adminConfig } from "./db.ts";

const given = Deno.env.get("TEST_ENGINE");
if (given === "server" || given === "embedded") {
  console.error(`tests: database engine ${given} (TEST_ENGINE)`);
  console.log(given);
} else {
  const c = adminConfig();
  const db = connectPostgres({ config: { ...c, connectTimeoutSeconds: 1, maxConnections: 1 } });
  const where = `${c.host}:${c.port}`;
  try {
    await db.ping(1000);
    console.error(`tests: database engine server (PostgreSQL at ${where}; TEST_PG_*)`);
    console.log("server");
  } catch (e) {
    console.error(
      `tests: database engine embedded (no PostgreSQL answers at ${where}: ${
        (e as Error).message
      }; set TEST_PG_HOST/TEST_PG_PORT for a server)`,
    );
    console.log("embedded");
  } finally {
    await db.close({ timeoutSeconds: 0 }).catch(() => {});
  }
}

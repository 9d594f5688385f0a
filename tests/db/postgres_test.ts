/**
 * The driver, contained: a backend that dies in any step settles the
 * transaction with a one-line error (no uncaught exception ends the process),
 * a service that is not PostgreSQL is named at once, and a hard close cancels
 * what the server is doing for us.
 */
import assert from "node:assert/strict";
import { connectPostgres } from "../../src/db/postgres.ts";
import type { Transaction } from "../../src/db/database.ts";
import { adminConfig, freshDatabase, serverOnly } from "../support/db.ts";

const SERVER_ONLY = serverOnly("the postgres.js driver against a server");
const admin = () => connectPostgres({ config: adminConfig(), applicationName: "tec-test-admin" });

/** Run `body` in a transaction whose backend is terminated `ms` after it starts. */
async function killedTransaction(
  ms: number,
  body: (tx: Transaction) => Promise<unknown>,
): Promise<{ error: Error; elapsed: number }> {
  const db = connectPostgres({ config: adminConfig() });
  const a = admin();
  try {
    const started = performance.now();
    const error = await db.transaction(async (tx) => {
      const [{ pid }] = await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      setTimeout(() => a.query("SELECT pg_terminate_backend($1)", [pid]).catch(() => {}), ms);
      await body(tx);
    }).then(() => new Error("resolved"), (e: Error) => e);
    const elapsed = performance.now() - started;
    // The pool recovers: the next statement gets a fresh connection.
    assert.deepEqual(await db.query("SELECT 1 AS x").catch(() => db.query("SELECT 1 AS x")), [
      { x: 1 },
    ]);
    return { error, elapsed };
  } finally {
    await db.close({ timeoutSeconds: 1 });
    await a.close();
  }
}

const slowCopy = async function* () {
  for (let i = 0; i < 100; i++) {
    yield "line\n".repeat(5000);
    await new Promise((r) => setTimeout(r, 20));
  }
};

for (
  const [name, body] of [
    ["a statement", (tx: Transaction) => tx.query("SELECT pg_sleep(5)")],
    [
      "a statement in a savepoint",
      (tx: Transaction) => tx.savepoint((sp) => sp.query("SELECT pg_sleep(5)")),
    ],
    ["a COPY", async (tx: Transaction) => {
      await tx.query("CREATE TEMP TABLE t (x text)");
      await tx.copyIn("COPY t FROM STDIN", slowCopy());
    }],
    ["a COPY in a savepoint", async (tx: Transaction) => {
      await tx.query("CREATE TEMP TABLE t (x text)");
      await tx.savepoint((sp) => sp.copyIn("COPY t FROM STDIN", slowCopy()));
    }],
  ] as const
) {
  Deno.test(
    `driver: a backend terminated during ${name} rejects the transaction at once${SERVER_ONLY.note}`,
    { ignore: SERVER_ONLY.ignore },
    async () => {
      const { error, elapsed } = await killedTransaction(200, body);
      assert.notEqual(error.message, "resolved");
      assert.match(error.message, /CONNECTION_CLOSED|terminating connection|ECONNRESET/);
      assert.ok(!error.message.includes("\n"), "one line");
      assert.ok(elapsed < 3000, `settled in ${elapsed} ms, not after the statement`);
    },
  );
}

Deno.test(
  "driver: a service on the port that is not PostgreSQL is named, without a reconnect storm" +
    SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    let connections = 0;
    const serving = (async () => {
      for await (const c of l) {
        connections++;
        await c.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n")).catch(() => {});
        c.close();
      }
    })().catch(() => {});
    const db = connectPostgres({ config: { ...adminConfig(), port, connectTimeoutSeconds: 3 } });
    try {
      const started = performance.now();
      await assert.rejects(() => db.query("SELECT 1"), (e: Error) => {
        assert.equal(
          e.message,
          `127.0.0.1:${port} answered, but not as PostgreSQL: it said "HTTP/1.1 400 Bad Request"`,
        );
        return true;
      });
      assert.ok(performance.now() - started < 3000, "within the connect timeout");
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(connections <= 2, `${connections} connections: no storm`);
    } finally {
      await db.close({ timeoutSeconds: 0 });
      l.close();
      await serving;
    }
  },
);

Deno.test(
  "driver: close with a zero timeout cancels the statement on the server" + SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    // This run's own name: a sleep left by an earlier run must not count.
    const name = `tec-test-cancel-${crypto.randomUUID().slice(0, 8)}`;
    const db = connectPostgres({ config: adminConfig(), applicationName: name });
    const a = admin();
    try {
      const sleeping = db.query("SELECT pg_sleep(30)").then(
        () => "finished",
        (e: Error) => e.message,
      );
      const active = async () =>
        (await a.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE application_name = $1 AND state = 'active'`,
          [name],
        ))[0].n;
      const deadline = Date.now() + 5000;
      while (await active() === 0) {
        if (Date.now() > deadline) throw new Error("the statement never started");
        await new Promise((r) => setTimeout(r, 20));
      }
      const started = performance.now();
      await db.close({ timeoutSeconds: 0 });
      assert.notEqual(await sleeping, "finished");
      assert.ok(performance.now() - started < 1000);
      const gone = Date.now() + 3000;
      while (await active() > 0) {
        if (Date.now() > gone) throw new Error("the server is still running the statement");
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await a.close();
    }
  },
);

Deno.test(
  "driver: a readiness ping answers within its bound when the server does not" + SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    // A listener that accepts and never answers: a partition, as far as the client can tell.
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const c of l) held.push(c);
    })().catch(() => {});
    const db = connectPostgres({
      config: { ...adminConfig(), port: (l.addr as Deno.NetAddr).port },
    });
    try {
      const started = performance.now();
      await assert.rejects(() => db.ping(500), /no answer within 0\.5 s/);
      assert.ok(performance.now() - started < 1500);
    } finally {
      await db.close({ timeoutSeconds: 0 });
      for (const c of held) c.close();
      l.close();
      await accepting;
    }
  },
);

Deno.test(
  "driver: a lock held past lock_timeout fails the statement, naming the setting" +
    SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const t = await freshDatabase();
    const db = connectPostgres({ config: { ...t.config, lockTimeoutSeconds: 1 } });
    try {
      await t.db.query("CREATE TABLE held (x int)");
      const holding = Promise.withResolvers<void>();
      const release = Promise.withResolvers<void>();
      const holder = t.db.transaction(async (tx) => {
        await tx.query("LOCK TABLE held IN ACCESS EXCLUSIVE MODE");
        holding.resolve();
        await release.promise;
      });
      await holding.promise;
      const started = performance.now();
      await assert.rejects(() => db.query("SELECT * FROM held"), (e: Error) => {
        assert.match(
          e.message,
          /lock timeout: waited longer than database\.lock_timeout_seconds \(1 s\)/,
        );
        return true;
      });
      const waited = performance.now() - started;
      assert.ok(waited >= 900 && waited < 5000, `waited ${waited} ms`);
      release.resolve();
      await holder;
    } finally {
      await db.close();
      await t.drop();
    }
  },
);

Deno.test(
  "driver: a statement past statement_timeout is cancelled by the server, naming the setting" +
    SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const db = connectPostgres({ config: { ...adminConfig(), statementTimeoutSeconds: 1 } });
    try {
      await assert.rejects(
        () => db.query("SELECT pg_sleep(10)"),
        /statement timeout: ran longer than database\.statement_timeout_seconds \(1 s\)/,
      );
    } finally {
      await db.close();
    }
  },
);

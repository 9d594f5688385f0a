/**
 * What is the embedded engine's own, whatever engine the rest of the suite
 * uses: one session whose readiness check does not queue behind a load,
 * statements taken in order, every open of one directory sharing one engine
 * and the lock going with the last handle, a server's error fields kept.
 */
import assert from "node:assert/strict";
import { freshEmbeddedDatabase } from "../support/db.ts";
import { openEmbedded } from "../../src/db/pglite.ts";
import { lockStore } from "../../src/db/embedded_lock.ts";
import { DatabaseError } from "../../src/db/database.ts";

Deno.test("pglite: ping answers at once while a transaction holds the one session", async () => {
  const t = await freshEmbeddedDatabase();
  try {
    const release = Promise.withResolvers<void>();
    const inTx = Promise.withResolvers<void>();
    const load = t.db.transaction(async (tx) => {
      await tx.query("SELECT 1");
      inTx.resolve();
      await release.promise;
    });
    await inTx.promise;
    const order: string[] = [];
    const queued = t.db.query("SELECT 2 AS n").then(() => order.push("query"));
    const started = performance.now();
    await t.db.ping(1000);
    order.push("ping");
    assert.ok(performance.now() - started < 500, "ping did not wait for the transaction");
    release.resolve();
    await load;
    await queued;
    assert.deepEqual(
      order,
      ["ping", "query"],
      "the query waited for the transaction, ping did not",
    );
  } finally {
    await t.drop();
  }
});

Deno.test("pglite: opens of one directory share the engine; the lock goes with the last", async () => {
  const t = await freshEmbeddedDatabase();
  const dir = t.config.embeddedDir!;
  const second = await openEmbedded({ dir });
  try {
    await second.query("CREATE TABLE public.shared (n int)");
    await t.db.query("INSERT INTO public.shared VALUES (1)");
    const [r] = await second.query<{ n: number }>("SELECT count(*)::int AS n FROM public.shared");
    assert.equal(r.n, 1, "one engine behind both handles");
    await second.close();
    await t.db.ping(1000);
    await assert.rejects(lockStore(dir), /in use by process/, "still held by the first handle");
  } finally {
    await second.close();
    await t.drop();
  }
  const lock = await lockStore(dir).catch((e) => e);
  assert.ok(!(lock instanceof Error), `the last close released the lock: ${lock}`);
  lock.release();
});

Deno.test("pglite: a server error keeps its SQLSTATE, detail and constraint", async () => {
  const t = await freshEmbeddedDatabase();
  try {
    await t.db.query("CREATE TABLE public.u (k int PRIMARY KEY)");
    await t.db.query("INSERT INTO public.u VALUES (1)");
    const e = await t.db.query("INSERT INTO public.u VALUES (1)").catch((x) => x);
    assert.ok(e instanceof DatabaseError, String(e));
    assert.equal(e.code, "23505");
    assert.equal(e.constraint, "u_pkey");
    assert.match(String(e.detail), /\(k\)=\(1\)/);
  } finally {
    await t.drop();
  }
});

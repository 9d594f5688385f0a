/**
 * The value contract of `src/db/database.ts`, on whichever engine the suite
 * runs (CI runs it on both): the same SQL gives the same JavaScript values
 * through `query` and `cursor`; a COPY larger than the embedded engine's
 * blob size arrives whole, cut anywhere by its chunks; a savepoint undoes
 * its own COPY only.
 */
import assert from "node:assert/strict";
import { freshDatabase, testEngine } from "../support/db.ts";
import { COPY_BLOB_BYTES } from "../../src/db/pglite.ts";

const TYPED = `SELECT 1::int2 AS i2, 2::int4 AS i4, 9007199254740993::int8 AS i8,
  1.50::numeric AS num, 0.5::float8 AS f8, true AS bool, 'x'::text AS txt,
  date '2024-01-17' AS day, timestamptz '2024-01-17 09:00:00+00' AS at,
  '{"k":1}'::jsonb AS doc, NULL::text AS nothing, ARRAY['a','b'] AS texts, ARRAY[1::int8] AS ints`;

const EXPECTED = {
  i2: 1,
  i4: 2,
  i8: "9007199254740993",
  num: "1.50",
  f8: 0.5,
  bool: true,
  txt: "x",
  day: "2024-01-17",
  at: new Date("2024-01-17T09:00:00Z"),
  doc: { k: 1 },
  nothing: null,
  texts: ["a", "b"],
  ints: ["1"],
};

Deno.test(`value contract (${testEngine()}): query and cursor give the documented values`, async () => {
  const t = await freshDatabase();
  try {
    const [row] = await t.db.query(TYPED);
    assert.deepEqual(row, EXPECTED);
    const batches: unknown[] = [];
    for await (const b of t.db.cursor(TYPED, [], 10)) batches.push(...b);
    assert.deepEqual(batches, [EXPECTED]);
    const [bound] = await t.db.query<{ d: string; n: string }>(
      "SELECT $1::date AS d, $2::int8 + 1 AS n",
      ["2024-02-29", "9007199254740993"],
    );
    assert.deepEqual(bound, { d: "2024-02-29", n: "9007199254740994" }, "parameters as text");
  } finally {
    await t.drop();
  }
});

/** `rows` lines of COPY text, in chunks that cut lines anywhere. */
async function* chunks(rows: number, chunkBytes: number, first = 0): AsyncIterable<string> {
  let pending = "";
  for (let i = first; i < first + rows; i++) {
    pending += `${i}\t${"v".repeat(90)}${i}\n`;
    while (pending.length >= chunkBytes) {
      yield pending.slice(0, chunkBytes);
      pending = pending.slice(chunkBytes);
    }
  }
  if (pending) yield pending;
}

Deno.test(`value contract (${testEngine()}): a COPY past the blob size lands whole; a savepoint undoes only its own`, async () => {
  const t = await freshDatabase();
  // ~2.5 blobs of the embedded engine: the cuts fall inside rows.
  const rows = Math.ceil((COPY_BLOB_BYTES * 2.5) / 100);
  try {
    await t.db.query("CREATE TABLE public.big (id int PRIMARY KEY, v text NOT NULL)");
    await t.db.transaction(async (tx) => {
      await tx.copyIn("COPY public.big (id, v) FROM STDIN", chunks(10, 7, -10));
      await assert.rejects(
        tx.savepoint(async (sp) => {
          await sp.copyIn("COPY public.big (id, v) FROM STDIN", chunks(rows, 65_521));
          throw new Error("undo");
        }),
        /undo/,
      );
      const [n] = await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM public.big");
      assert.equal(n.n, 10, "the savepoint's rows are gone, the earlier COPY stays");
      await tx.query("DELETE FROM public.big");
      await tx.copyIn("COPY public.big (id, v) FROM STDIN", chunks(rows, 65_521));
    });
    const [r] = await t.db.query<{ n: number; bad: number }>(
      `SELECT count(*)::int AS n,
              count(*) FILTER (WHERE v <> repeat('v', 90) || id OR id < 0)::int AS bad FROM public.big`,
    );
    assert.deepEqual(r, { n: rows, bad: 0 });
  } finally {
    await t.drop();
  }
});

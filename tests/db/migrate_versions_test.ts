/**
 * Migration 006: an installation from before versions keeps every row, and its
 * ledger's loads become versions: first and last seen when they ran, each
 * superseded by the pair's next one; the rows it holds are history at once.
 */
import assert from "node:assert/strict";
import { migrate, MIGRATIONS } from "../../src/db/migrate.ts";
import { freshDatabase } from "../support/db.ts";

const T1 = new Date("2024-01-16T23:05:00Z");
const T2 = new Date("2024-01-17T01:10:00Z");
const later = (d: Date, s: number) => new Date(d.getTime() + s * 1000);

Deno.test("migration 006 seeds versions and history from the ledger, dropping nothing", async () => {
  const t = await freshDatabase();
  try {
    await migrate(t.db, {
      schema: "staging",
      migrations: MIGRATIONS.filter((m) => m.version <= 5),
    });
    const load = async (status: string, at: Date, sha: string) =>
      (await t.db.query<{ id: number }>(
        `INSERT INTO staging.load_ledger
           (source, report, asset, gas_day, cycle, sha256, bytes, status, started_at, finished_at)
         VALUES ('tw-oac', 'operationally-available', 'TW', '2024-01-17', 'Timely', $1, 10, $2,
                 $3, $3::timestamptz + interval '1 second')
         RETURNING load_id::int AS id`,
        [sha.repeat(64), status, at],
      ))[0].id;
    const v1 = await load("loaded", T1, "a");
    await load("failed", later(T1, 600), "b");
    const v2 = await load("loaded", T2, "c");
    for (const [loc, id] of [["1", v1], ["2", v2]] as const) {
      await t.db.query(
        `INSERT INTO staging.operational_capacity
           (asset, gas_day, cycle, source, loc, flow_ind, opc, load_id)
         VALUES ('TW', '2024-01-17', 'Timely', 'tw-oac', $1, 'D', 100, $2)`,
        [loc, id],
      );
    }
    const r = await migrate(t.db, { schema: "staging" });
    assert.ok(r.applied.includes(6));
    assert.deepEqual(
      await t.db.query(
        `SELECT load_id::int AS id, first_seen_at, last_seen_at, superseded_at, deleted
         FROM staging.load_ledger WHERE status = 'loaded' ORDER BY load_id`,
      ),
      [
        { id: v1, first_seen_at: T1, last_seen_at: later(T1, 1), superseded_at: T2, deleted: 0 },
        { id: v2, first_seen_at: T2, last_seen_at: later(T2, 1), superseded_at: null, deleted: 0 },
      ],
    );
    assert.deepEqual(
      await t.db.query(
        `SELECT loc, valid_from, valid_to FROM staging.operational_capacity_history ORDER BY loc`,
      ),
      [
        { loc: "1", valid_from: T1, valid_to: null },
        { loc: "2", valid_from: T2, valid_to: null },
      ],
    );
    const asOf = async (at: Date) =>
      (await t.db.query<{ loc: string }>(
        `SELECT loc FROM staging.capacity_as_of('TW', '2024-01-17', 'Timely', $1)`,
        [at],
      )).map((x) => x.loc);
    assert.deepEqual(await asOf(later(T1, -1)), []);
    assert.deepEqual(await asOf(later(T1, 60)), ["1"]);
    assert.deepEqual(await asOf(later(T2, 60)), ["1", "2"]);
    // The status a rebuild gives the versions it derives again is allowed now.
    await t.db.query(`UPDATE staging.load_ledger SET status = 'replaced' WHERE load_id = $1`, [v1]);
  } finally {
    await t.drop();
  }
});

/**
 * Migration 005: an installation with rows of the one-identity-per-asset era
 * keeps every row, each under the source that loaded it.
 */
import assert from "node:assert/strict";
import { migrate, MIGRATIONS } from "../../src/db/migrate.ts";
import { freshDatabase } from "../support/db.ts";

Deno.test("migration 005 keeps existing rows under the source that loaded them, dropping nothing", async () => {
  const t = await freshDatabase();
  try {
    await migrate(t.db, {
      schema: "staging",
      migrations: MIGRATIONS.filter((m) => m.version <= 4),
    });
    const load = async (source: string, cycle: string) =>
      (await t.db.query<{ id: number }>(
        `INSERT INTO staging.load_ledger (source, asset, gas_day, cycle, sha256, bytes, status)
         VALUES ($1, 'TW', '2024-01-17', $2, $3, 10, 'loaded') RETURNING load_id::int AS id`,
        [source, cycle, (source + cycle).padEnd(64, "0").slice(0, 64).replace(/[^0-9a-f]/g, "a")],
      ))[0].id;
    const timely = await load("tw-all", "Timely");
    const final = await load("tw-nom", "Final");
    for (
      const [id, cycle, loc] of [[timely, "Timely", "1"], [timely, "Timely", "2"], [
        final,
        "Final",
        "1",
      ]]
    ) {
      await t.db.query(
        `INSERT INTO staging.operational_capacity (asset, gas_day, cycle, loc, flow_ind, load_id)
         VALUES ('TW', '2024-01-17', $1, $2, 'D', $3)`,
        [cycle, loc, id],
      );
    }
    await t.db.query(
      `INSERT INTO staging.quarantine (load_id, asset, gas_day, cycle, sha256, line_no, raw_line, reason)
       VALUES ($1, 'TW', '2024-01-17', 'Timely', 'x', 3, 'raw', 'bad')`,
      [timely],
    );
    await t.db.query(
      `INSERT INTO staging.poll_state (source, asset, gas_day, cycle, status, next_check_at)
       VALUES ('tw-all', 'TW', '2024-01-17', 'Timely', 'loaded', now())`,
    );
    const r = await migrate(t.db, { schema: "staging" });
    assert.ok(r.applied.includes(5));
    assert.deepEqual(
      await t.db.query(
        "SELECT source, cycle, loc FROM staging.operational_capacity ORDER BY cycle, loc",
      ),
      [
        { source: "tw-nom", cycle: "Final", loc: "1" },
        { source: "tw-all", cycle: "Timely", loc: "1" },
        { source: "tw-all", cycle: "Timely", loc: "2" },
      ],
    );
    assert.deepEqual(await t.db.query("SELECT source, report FROM staging.quarantine"), [
      { source: "tw-all", report: "operationally-available" },
    ]);
    assert.deepEqual(await t.db.query("SELECT DISTINCT report FROM staging.load_ledger"), [
      { report: "operationally-available" },
    ]);
    assert.deepEqual(await t.db.query("SELECT source, report FROM staging.poll_state"), [
      { source: "tw-all", report: "operationally-available" },
    ]);
    // The same location under another source of the asset is a row of its own now.
    await t.db.query(
      `INSERT INTO staging.operational_capacity (source, asset, gas_day, cycle, loc, flow_ind, load_id)
       VALUES ('tw-nom', 'TW', '2024-01-17', 'Timely', '1', 'D', $1)`,
      [final],
    );
  } finally {
    await t.drop();
  }
});

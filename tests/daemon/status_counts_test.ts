/**
 * `tec_pairs`'s probe: the polling window's pairs by source and poll status,
 * one statement; two sources of one asset counted apart, the daemon's own
 * sources present with zeros before they have a pair.
 */
import assert from "node:assert/strict";
import { migrate } from "../../src/db/migrate.ts";
import { claimDue, statusCounts } from "../../src/daemon/poll_state.ts";
import { freshDatabase } from "../support/db.ts";

Deno.test("statusCounts: by source and status in the window; listed sources without pairs are zeros", async () => {
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    const now = new Date("2024-01-17T20:00:00Z");
    const claim = (source: string, pairs: { gasDay: string; cycle: string }[]) =>
      claimDue(t.db, {
        schema: "staging",
        report: "operationally-available",
        source,
        asset: "TW",
        pairs,
        now,
        leaseSeconds: 60,
        token: crypto.randomUUID(),
      });
    await claim("tw-oac", [
      { gasDay: "2023-12-01", cycle: "Timely" }, // before the window
      { gasDay: "2024-01-16", cycle: "Timely" },
      { gasDay: "2024-01-16", cycle: "Final" },
    ]);
    await claim("tw-nom", [{ gasDay: "2024-01-17", cycle: "Timely" }]);
    await t.db.execute(
      `UPDATE staging.poll_state SET status = 'loaded'
       WHERE source = 'tw-oac' AND gas_day = '2024-01-16' AND cycle = 'Final'`,
    );
    let statements = 0;
    const counting = {
      query: (text: string, params?: unknown[]) => {
        statements++;
        return t.db.query(text, params);
      },
    } as unknown as typeof t.db;
    const counts = await statusCounts(counting, {
      schema: "staging",
      fromDay: "2024-01-14",
      sources: ["tw-oac", "pepl"],
    });
    assert.equal(statements, 1, "one statement for every source");
    const [oac, nom, pepl] = ["tw-oac", "tw-nom", "pepl"].map((s) => counts[s]);
    assert.deepEqual(Object.keys(counts).sort(), ["pepl", "tw-nom", "tw-oac"]);
    assert.equal(oac.loaded, 1);
    assert.equal(oac.pending + oac.not_posted + oac.failed + oac.loaded, 2, "the 2023 pair is out");
    assert.equal(nom.pending + nom.not_posted + nom.failed + nom.loaded, 1);
    assert.deepEqual(pepl, { pending: 0, not_posted: 0, failed: 0, loaded: 0 });
  } finally {
    await t.drop();
  }
});

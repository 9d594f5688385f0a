import assert from "node:assert/strict";
import { FailureJournal } from "../../src/load/failure_journal.ts";
import { loadFile } from "../../src/load/load_file.ts";
import { migrate } from "../../src/db/migrate.ts";
import { findCycle } from "../../src/domain/cycles.ts";
import { connectPostgres } from "../../src/db/postgres.ts";
import { freshDatabase } from "../support/db.ts";
import { readFixture } from "../support/env.ts";
import { FAMILY_A } from "../../src/reports/family_a/report.ts";

Deno.test("journal: a failure the ledger cannot take waits on disk, then reaches the ledger once", async () => {
  const t = await freshDatabase();
  const dir = await Deno.makeTempDir();
  try {
    await migrate(t.db, { schema: "staging" });
    const journal = new FailureJournal(dir);
    const bytes = await readFixture("tw_good_8rows.csv");
    // A pool on the test database whose backends are killed while the load runs:
    // the load fails, and so does the failure's own ledger row.
    const doomed = connectPostgres({ config: { ...t.config, connectTimeoutSeconds: 1 } });
    const req = {
      schema: "staging",
      report: FAMILY_A,
      source: "tw-oac",
      asset: "TW",
      gasDay: "2024-01-17",
      cycle: findCycle("timely")!,
      url: "http://site/x",
      sha256: "d".repeat(64),
      bytes: bytes.length,
      open: async () => {
        await doomed.close({ timeoutSeconds: 0 });
        return new Blob([bytes as BlobPart]).stream();
      },
      onUnrecorded: (
        k: Parameters<FailureJournal["append"]>[0],
        f: Parameters<FailureJournal["append"]>[1],
      ) => journal.append(k, f),
    };
    await assert.rejects(() => loadFile(doomed, req));
    const waiting = await journal.pending();
    assert.equal(waiting.length, 1);
    assert.equal(waiting[0].key.sha256, "d".repeat(64));
    assert.ok(!waiting[0].failure.error.includes("\n"));
    const failed = async () => (await t.db.query<{ error: string }>(
      "SELECT error FROM staging.load_ledger WHERE status = 'failed'",
    ));
    assert.equal((await failed()).length, 0);
    assert.equal(await journal.flush(t.db, "staging"), 1);
    const rows = await failed();
    assert.equal(rows.length, 1);
    assert.match(rows[0].error, /recorded when the database answered again/);
    // Once written, never again.
    assert.equal(await journal.flush(t.db, "staging"), 0);
    assert.equal((await failed()).length, 1);
    assert.deepEqual(await journal.pending(), []);
  } finally {
    await t.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

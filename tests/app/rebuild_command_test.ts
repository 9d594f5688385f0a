/**
 * `tec-pipeline rebuild` as a user runs it: after loads with `--once`, it
 * re-derives the same table from the archive, says what it did, validates
 * its range, and a stop before the end is exit 4.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { pairKey, startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readFixture, writeConfig } from "../support/env.ts";
import { systemClock } from "../../src/daemon/clock.ts";

async function harness() {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tec-rebuild-" });
  const config = await writeConfig(dir, { requests_per_minute: "6000" });
  const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir: dir });
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    fake,
    t,
    lines,
    errors,
    run: (argv: string[], stop?: AbortSignal) =>
      main(["--config", config, ...argv], {
        env,
        clock: systemClock,
        logWrite: (l) => lines.push(l),
        printError: (l) => errors.push(l),
        stop,
      }),
    async done() {
      await fake.close();
      await t.drop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const table = (h: Awaited<ReturnType<typeof harness>>) =>
  h.t.db.query(
    `SELECT cycle, loc, flow_ind, opc, tsq, oac FROM staging.operational_capacity
     ORDER BY cycle, loc, flow_ind`,
  );

Deno.test("rebuild command: re-derives the loaded table from the archive and exits 0", async () => {
  const h = await harness();
  try {
    const v1 = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
    const v2 = v1.replace('"55000","60000","43560","16440"', '"55000","60000","1","59999"');
    h.fake.script(pairKey("TW", "2024-01-17", 0), [
      { kind: "csv", body: v1 },
      { kind: "csv", body: v2 },
    ]);
    const once = ["--once", "--params", "gasDay=2024-01-17", "cycle=0"];
    assert.equal(await h.run(once), 0);
    assert.equal(await h.run([...once, "--force"]), 0);
    const live = await table(h);
    assert.equal(live.length, 8);
    assert.equal(await h.run(["rebuild", "--from", "2024-01-17", "--to", "2024-01-17"]), 0);
    assert.deepEqual(await table(h), live);
    const done = h.lines.map((l) => JSON.parse(l)).find((l) => l.event === "rebuild.done");
    assert.ok(done, h.lines.join("\n"));
    assert.deepEqual(
      [done.requests, done.rebuilt, done.skipped, done.loaded, done.unchanged],
      [2, 1, 0, 2, 0],
    );
    const [{ n }] = await h.t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM staging.load_ledger WHERE status = 'replaced'`,
    );
    assert.equal(n, 2);
  } finally {
    await h.done();
  }
});

Deno.test("rebuild command: a bad range is one line and exit 2", async () => {
  const h = await harness();
  try {
    assert.equal(await h.run(["rebuild", "--from", "2024-02-30"]), 2);
    assert.match(h.errors.join("\n"), /^tec-pipeline: rebuild --from: .*2024-02-30/);
    h.errors.length = 0;
    assert.equal(await h.run(["rebuild", "--from", "2024-01-05", "--to", "2024-01-04"]), 2);
    assert.match(h.errors[0], /rebuild: --to 2024-01-04 is before --from 2024-01-05/);
  } finally {
    await h.done();
  }
});

Deno.test("rebuild command: stopped before the pairs, it keeps everything and exits 4", async () => {
  const h = await harness();
  try {
    const body = await readFixture("tw_good_8rows.csv");
    h.fake.setDefault(() => ({ kind: "csv", body }));
    assert.equal(await h.run(["--once", "--params", "gasDay=2024-01-17", "cycle=[0,1]"]), 0);
    const before = await table(h);
    const stop = new AbortController();
    stop.abort();
    assert.equal(await h.run(["rebuild"], stop.signal), 4);
    assert.deepEqual(await table(h), before);
    assert.ok(h.lines.some((l) => JSON.parse(l).event === "rebuild.interrupted"));
  } finally {
    await h.done();
  }
});

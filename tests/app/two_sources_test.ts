/**
 * One identity per pair: two sources of one asset (searchType ALL and NOM)
 * keep their own rows, ledger entries, "unchanged" checks, locks and poll state.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { pairKey, startFakeIpost, TW_HEADER } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv } from "../support/env.ts";
import { pairLockName } from "../../src/domain/pair.ts";

const ROW = (loc: number, tsq: number) =>
  `"${loc}","WEST TEXAS","POINT ${loc}","MQ","DPQ","D","1000","1000","${tsq}","${
    1000 - tsq
  }","N","N","N","Y",""\r\n`;

function config(baseUrl: string): string {
  const source = (name: string, type: string) =>
    `  - name: ${name}\n    asset: TW\n    base_url: ${baseUrl}\n    search_type: ${type}\n`;
  return `sources:\n${source("tw-all", "ALL")}${source("tw-nom", "NOM")}` +
    `daemon:\n  requests_per_minute: 6000\n`;
}

Deno.test("identity: two sources of one asset keep their own rows, ledger, checks, locks and poll state", async () => {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tec-two-" });
  try {
    const key = pairKey("TW", "2024-01-17", 0);
    // ALL: three locations; NOM: only the one with a scheduled quantity, and a
    // different value for it (the two reports of the day disagree).
    fake.script(`${key}|ALL`, [{
      kind: "csv",
      body: TW_HEADER + ROW(1, 0) + ROW(2, 0) + ROW(3, 500),
    }]);
    fake.script(`${key}|NOM`, [{ kind: "csv", body: TW_HEADER + ROW(3, 600) }]);
    const path = `${dir}/config.yaml`;
    await Deno.writeTextFile(path, config(fake.url));
    const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir: dir });
    delete (env as Record<string, string>).API_URL;
    const run = (argv: string[]) => main(["--config", path, ...argv], { env, logWrite: () => {} });
    assert.equal(await run(["--once", "--params", "gasDay=2024-01-17", "cycle=0"]), 0);
    const rows = await t.db.query<{ source: string; loc: string; tsq: string }>(
      `SELECT source, loc, tsq::text FROM staging.operational_capacity ORDER BY source, loc`,
    );
    assert.deepEqual(rows, [
      { source: "tw-all", loc: "1", tsq: "0" },
      { source: "tw-all", loc: "2", tsq: "0" },
      { source: "tw-all", loc: "3", tsq: "500" },
      { source: "tw-nom", loc: "3", tsq: "600" },
    ]);
    const ledger = async () =>
      await t.db.query<{ source: string; n: number }>(
        `SELECT source, count(*)::int AS n FROM staging.load_ledger WHERE status = 'loaded'
         GROUP BY source ORDER BY source`,
      );
    assert.deepEqual(await ledger(), [{ source: "tw-all", n: 1 }, { source: "tw-nom", n: 1 }]);
    // Each source's "same bytes?" check is its own: nothing reloads.
    assert.equal(await run(["--once", "--params", "gasDay=2024-01-17", "cycle=0"]), 0);
    assert.deepEqual(await ledger(), [{ source: "tw-all", n: 1 }, { source: "tw-nom", n: 1 }]);
    // Poll state: one row per source and pair.
    const at = new Date("2024-01-17T20:00:00Z");
    const code = await main(["--config", path, "--once"], {
      env,
      logWrite: () => {},
      clock: { now: () => at, sleep: () => Promise.resolve() },
    });
    assert.ok(code === 0 || code === 3);
    const polled = await t.db.query<{ source: string; report: string }>(
      "SELECT DISTINCT source, report FROM staging.poll_state ORDER BY source",
    );
    assert.deepEqual(polled, [
      { source: "tw-all", report: "operationally-available" },
      { source: "tw-nom", report: "operationally-available" },
    ]);
    const lock = (source: string) =>
      pairLockName({
        source,
        report: "operationally-available",
        asset: "TW",
        gasDay: "2024-01-17",
        cycle: "Timely",
      });
    assert.notEqual(lock("tw-all"), lock("tw-nom"));
  } finally {
    await fake.close();
    await t.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Header variants, end to end through the program and a real database: an
 * FGT file with TSQ split into `TSQ (Rec)` / `TSQ (Del)` loads (both parts
 * kept, TSQ derived, the `capacity` view and the exports reading it), and a
 * source's own `header_aliases` lets its renamed header load where the same
 * file fails for a source without them.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { pairKey, startFakeIpost, TW_HEADER } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv } from "../support/env.ts";

/** FGT's header as one public scraper reports it: TSQ split, in TSQ's place. */
const FGT_HEADER = TW_HEADER.replace('"TSQ"', '"TSQ (Rec)","TSQ (Del)"');

/** An FGT row: receipts `rec`, deliveries `del` (empty: not posted). */
const FGT_ROW = (loc: string, flow: string, rec: string, del: string) =>
  `"${loc}","Z3","POINT ${loc}","M2","RPQ","${flow}","90000","80000",${rec},${del},"5000",` +
  `"Y","N","N","Y",""\r\n`;

/** A family-A row for the renamed-header file. */
const ROW = (loc: string, tsq: number) =>
  `"${loc}","WEST TEXAS","POINT, ${loc}","MQ","DPQ","D","1000","1000","${tsq}","${
    1000 - tsq
  }","N","N","N","Y",""\r\n`;

function config(url: string): string {
  return "sources:\n" +
    `  - pipeline: FGT\n    base_url: ${url}\n` +
    // Tiger renames a header: its own alias says what it means.
    `  - pipeline: TGR\n    base_url: ${url}\n    header_aliases: { "Location Name": Loc Name }\n` +
    // Fayetteville Express gets the same renamed file and no alias: it fails, naming the header.
    `  - pipeline: FEP\n    base_url: ${url}\n` +
    "daemon:\n  requests_per_minute: 6000\n";
}

Deno.test("header variants: FGT's split TSQ loads with TSQ derived; a source's alias reads its renamed header", async () => {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tec-variants-" });
  try {
    const day = "2024-01-17";
    fake.script(pairKey("FGT", day, 0), [{
      kind: "csv",
      body: FGT_HEADER + FGT_ROW("10001", "R", '"60000"', '"15000"') +
        FGT_ROW("10002", "D", '"7000"', "") + FGT_ROW("10003", "R", '"0"', '"0"'),
    }]);
    const renamed = TW_HEADER.replace('"Loc Name"', '"Location Name"') + ROW("1", 200) +
      ROW("2", 300);
    fake.script(pairKey("TGR", day, 0), [{ kind: "csv", body: renamed }]);
    fake.script(pairKey("FEP", day, 0), [{ kind: "csv", body: renamed }]);
    const path = `${dir}/config.yaml`;
    await Deno.writeTextFile(path, config(fake.url));
    const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir: dir });
    delete (env as Record<string, string>).API_URL;
    const logs: string[] = [];
    const run = (argv: string[]) =>
      main(["--config", path, ...argv], { env, logWrite: (l) => void logs.push(l) });
    // FEP's file fails for good (exit 1: a load failed); the other two load.
    assert.equal(await run(["--once", "--params", `gasDay=${day}`, "cycle=0"]), 1);

    const rows = await t.db.query(
      `SELECT source, loc, tsq::text, tsq_rec::text, tsq_del::text, loc_name
       FROM staging.operational_capacity ORDER BY source, loc`,
    );
    assert.deepEqual(rows, [
      {
        source: "fgt",
        loc: "10001",
        tsq: "75000",
        tsq_rec: "60000",
        tsq_del: "15000",
        loc_name: "POINT 10001",
      },
      {
        source: "fgt",
        loc: "10002",
        tsq: null,
        tsq_rec: "7000",
        tsq_del: null,
        loc_name: "POINT 10002",
      },
      {
        source: "fgt",
        loc: "10003",
        tsq: "0",
        tsq_rec: "0",
        tsq_del: "0",
        loc_name: "POINT 10003",
      },
      { source: "tgr", loc: "1", tsq: "200", tsq_rec: null, tsq_del: null, loc_name: "POINT, 1" },
      { source: "tgr", loc: "2", tsq: "300", tsq_rec: null, tsq_del: null, loc_name: "POINT, 2" },
    ]);
    const [failed] = await t.db.query<{ source: string; error: string }>(
      "SELECT source, error FROM staging.load_ledger WHERE status = 'failed'",
    );
    assert.equal(failed.source, "fep");
    assert.match(failed.error, /required header missing: "Loc Name"; found .*"Location Name"/);

    // The view every family shares reads FGT's derived TSQ.
    const view = await t.db.query(
      `SELECT loc, tsq::text, utilisation::text FROM staging.capacity
       WHERE source = 'fgt' ORDER BY loc`,
    );
    assert.deepEqual(view, [
      { loc: "10001", tsq: "75000", utilisation: "0.9375" },
      { loc: "10002", tsq: null, utilisation: null },
      { loc: "10003", tsq: "0", utilisation: "0.0000" },
    ]);

    // Exports: JSON carries both parts; CSV is the documented 15 columns, TSQ derived.
    const out = (name: string) => `${dir}/${name}`;
    const exportArgs = ["export", "--from", day, "--to", day, "--source", "fgt"];
    assert.equal(await run([...exportArgs, "--format", "json", "--output", out("fgt.json")]), 0);
    const json = JSON.parse(await Deno.readTextFile(out("fgt.json")));
    assert.deepEqual(
      json.map((r: Record<string, unknown>) => [r.loc, r.tsq, r.tsq_rec, r.tsq_del]),
      [["10001", 75000, 60000, 15000], ["10002", null, 7000, null], ["10003", 0, 0, 0]],
    );
    assert.equal(await run([...exportArgs, "--format", "csv", "--output", out("fgt.csv")]), 0);
    const csv = (await Deno.readTextFile(out("fgt.csv"))).split("\r\n");
    assert.equal(csv[0] + "\r\n", '"Asset","Gas Day","Cycle","Source",' + TW_HEADER);
    assert.match(
      csv[1],
      /^"FGT","2024-01-17","Timely","fgt","10001",.*,"90000","80000","75000","5000",/,
    );
  } finally {
    await fake.close();
    await t.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The messenger family (PEPL, TGC, ROVER, SER, GR): its URL, its 21-column
 * layout read from a raw-format fixture (padded cells, spelled-out purpose,
 * signed miles, names with commas), a header that is not the documented
 * layout failing the file, and a whole run through the program into its own
 * table and the `capacity` view.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { findCycle } from "../../src/domain/cycles.ts";
import { readCsvRecords } from "../../src/parse/csv_records.ts";
import { convertRow, HeaderError, mapHeader } from "../../src/parse/row_converter.ts";
import { findReport } from "../../src/reports/all.ts";
import { MESSENGER, messengerUrl } from "../../src/reports/messenger/report.ts";
import { MESSENGER_LAYOUT, purposeCode } from "../../src/reports/messenger/layout.ts";
import { dbColumns, publishedColumns } from "../../src/reports/layout.ts";
import { csvHeader } from "../../src/load/capacity_read.ts";
import { classifyBody } from "../../src/source/classify.ts";
import { MESSENGER_HEADER, pairKey, startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv } from "../support/env.ts";

const FIXTURE = new URL("../fixtures/pepl_messenger_6rows.csv", import.meta.url);
const SAMPLES = new URL("../../../shared/samples/energy-transfer/", import.meta.url);

const PEPL = {
  asset: "PEPL",
  baseUrl: "https://peplmessenger.energytransfer.com",
  searchType: "ALL",
  params: {},
};

Deno.test("messenger URL: no asset in the path, gasDay MM/DD/YYYY, cycleDesc by name", () => {
  assert.equal(
    messengerUrl(PEPL, { gasDay: "2021-01-26", cycle: findCycle("timely")! }),
    "https://peplmessenger.energytransfer.com/ipost/capacity/operationally-available-by-location" +
      "?f=csv&extension=csv&asset=PEPL&gasDay=01%2F26%2F2021&cycleDesc=Timely&pointCd=&name=",
  );
  assert.match(
    messengerUrl(PEPL, { gasDay: "2021-01-26", cycle: findCycle("intraday1")! }),
    /&cycleDesc=Intraday%201&/,
  );
  // A source asking for codes gets cycle=; request params never override the reserved ones.
  const url = messengerUrl({ ...PEPL, cycleEncoding: "code", params: { extra: "a b" } }, {
    gasDay: "2021-01-26",
    cycle: findCycle("final")!,
    params: { cycleDesc: "Timely", gasDay: "x", name: "LEE" },
  });
  assert.match(url, /gasDay=01%2F26%2F2021&cycle=5&pointCd=&name=LEE&extra=a%20b$/);
  assert.equal(findReport("operationally-available-by-location"), MESSENGER);
});

Deno.test("messenger layout: 21 published columns in the documented order", () => {
  assert.deepEqual(publishedColumns(MESSENGER_LAYOUT).map((c) => c.header), [
    "Loc",
    "Loc Name",
    "Loc Purp Desc",
    "Loc/QTI",
    "DC",
    "OPC",
    "TSQ",
    "OAC",
    "Loc Zn",
    "IT",
    "Flow Ind",
    "State",
    "County",
    "Operator",
    "OBA",
    "G/T",
    "Miles",
    "EGM",
    "Flw Cntl",
    "All Qty Avail",
    "Qty Reason",
  ]);
  // An export in the published form writes each header once (the purpose code is derived).
  assert.equal(csvHeader(MESSENGER_LAYOUT, false).split(",").length, 21);
  assert.equal(purposeCode("  Delivery  location "), "MQ");
  assert.equal(purposeCode("Receipt Location   "), "M2");
  assert.equal(purposeCode("M2"), "M2");
});

/** The fixture's records, header first. */
async function records(bytes: Uint8Array<ArrayBuffer>): Promise<(string | null)[][]> {
  const out: (string | null)[][] = [];
  for await (const batch of readCsvRecords(new Blob([bytes]).stream())) {
    for (const r of batch) out.push(r.fields!);
  }
  return out;
}

Deno.test("messenger rows: trimmed, loc as text, purpose coded with the raw kept, miles signed", async () => {
  const [header, ...rows] = await records(await Deno.readFile(FIXTURE));
  const map = mapHeader(header, MESSENGER_LAYOUT);
  const cols = dbColumns(MESSENGER_LAYOUT);
  const typed = rows.map((r) => {
    const res = convertRow(r, map);
    assert.ok(res.ok, JSON.stringify(res));
    return Object.fromEntries(cols.map((c, i) => [c, res.values[i]]));
  });
  assert.equal(typed.length, 6);
  assert.deepEqual(typed.map((r) => [r.loc, r.flow_ind]), [
    ["00387", "D"],
    ["00425", "D"],
    ["00431", "D"],
    ["LEE8", "R"],
    ["LEE8", "D"],
    ["80009", "D"],
  ]);
  assert.equal(typed[0].loc_zn, "MKT");
  assert.equal(typed[0].state, "MO");
  assert.equal(typed[1].miles, "-248");
  assert.equal(typed[2].loc_name, "BRICK PLANT - VANDALIA, MO");
  assert.equal(typed[2].operator, "Brickworks, Inc.");
  assert.deepEqual([typed[2].loc_purp_desc, typed[2].loc_purp_desc_raw], [
    "MQ",
    "Delivery Location",
  ]);
  assert.deepEqual([typed[3].loc_purp_desc, typed[3].loc_purp_desc_raw], [
    "M2",
    "Receipt Location",
  ]);
  assert.deepEqual([typed[5].dc, typed[5].opc, typed[5].tsq, typed[5].oac], [
    null,
    null,
    "3521",
    null,
  ]);
  assert.equal(typed[5].loc_name, 'CITY OF "EAST" RENSSELAER');
  // A header-only body is "not posted", whatever the padding.
  const h = new TextEncoder().encode(MESSENGER_HEADER);
  assert.equal(
    classifyBody({ layout: MESSENGER_LAYOUT, prefix: h, totalBytes: h.length }).kind,
    "not_posted",
  );
});

Deno.test("messenger rows of the real samples (re-exports: their values) pass the checks", async () => {
  let names: string[];
  try {
    names = [...Deno.readDirSync(SAMPLES)].map((e) => e.name).filter((n) => /by-location/.test(n));
  } catch {
    return; // samples are not part of the repository
  }
  assert.equal(names.length, 2, "the PEPL and TGC samples");
  const header = publishedColumns(MESSENGER_LAYOUT).map((c) => c.header);
  const map = mapHeader(header, MESSENGER_LAYOUT);
  for (const name of names) {
    const [, ...rows] = await records(await Deno.readFile(new URL(name, SAMPLES)));
    // The re-export added an index column and three at the end; the 21 between are the file's.
    for (const r of rows) {
      const res = convertRow(r.slice(1, 22), map);
      assert.ok(res.ok, `${name}: ${JSON.stringify(res)}`);
    }
    assert.ok(rows.length >= 20, name);
  }
});

Deno.test("a messenger header that is not the documented layout fails, naming the column", () => {
  const good = publishedColumns(MESSENGER_LAYOUT).map((c) => c.header);
  const fails = (fields: string[], re: RegExp) =>
    assert.throws(() => mapHeader(fields, MESSENGER_LAYOUT), (e: unknown) => {
      assert.ok(e instanceof HeaderError);
      assert.match(e.message, re);
      return true;
    });
  fails(
    good.map((h) => (h === "TSQ" ? "Total Scheduled Quantity" : h)),
    /field 7 should be "TSQ", got "Total Scheduled Quantity"/,
  );
  fails(
    [...good.slice(0, 5), good[6], good[5], ...good.slice(7)],
    /field 6 should be "OPC", got "TSQ"/,
  );
  fails(good.slice(0, 20), /field 21 should be "Qty Reason", got the end of the header/);
  fails([...good, "Cycle_Desc"], /field 22 should be no more columns, got "Cycle_Desc"/);
  // Padding and case are not differences.
  mapHeader(good.map((h) => ` ${h.toUpperCase()}   `), MESSENGER_LAYOUT);
});

Deno.test("messenger: a run loads PEPL into messenger_capacity and the capacity view; a bad header fails the file", async () => {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tec-messenger-" });
  try {
    const body = await Deno.readFile(FIXTURE);
    fake.script(pairKey("PEPL", "2021-01-26", 0), [{ kind: "csv", body }]);
    const wrong = new TextDecoder().decode(body).replace('"OPC"', '"Operating Capacity"');
    fake.script(pairKey("PEPL", "2021-01-26", 5), [{ kind: "csv", body: wrong }]);
    const path = `${dir}/config.yaml`;
    await Deno.writeTextFile(
      path,
      // The preset gives asset, report and cycle encoding; the site is the fake.
      `sources:\n  - pipeline: PEPL\n    base_url: ${fake.url}\n` +
        `daemon:\n  requests_per_minute: 6000\n`,
    );
    const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir: dir });
    delete (env as Record<string, string>).API_URL;
    const lines: string[] = [];
    const run = (argv: string[]) =>
      main(["--config", path, ...argv], { env, logWrite: (l) => lines.push(l) });
    assert.equal(await run(["--once", "--params", "gasDay=2021-01-26", "cycle=0"]), 0);
    assert.equal(fake.requests[0].query.cycleDesc, "Timely");
    const rows = await t.db.query<Record<string, string | null>>(
      `SELECT loc, flow_ind, loc_purp_desc, loc_purp_desc_raw, miles::text, loc_zn, operator
       FROM staging.messenger_capacity ORDER BY loc, flow_ind`,
    );
    assert.equal(rows.length, 6);
    assert.deepEqual(rows[0], {
      loc: "00387",
      flow_ind: "D",
      loc_purp_desc: "MQ",
      loc_purp_desc_raw: "Delivery Location",
      miles: "379",
      loc_zn: "MKT",
      operator: "Midstates Gas Corp.",
    });
    assert.equal(rows.find((r) => r.loc === "00425")!.miles, "-248");
    const view = await t.db.query<Record<string, string | null>>(
      `SELECT report, asset, gas_day::text, cycle, source, loc, name, zone, flow, purpose,
              dc::text, opc::text, tsq::text, oac::text, utilisation::text
       FROM staging.capacity WHERE asset = 'PEPL' AND loc = 'LEE8' ORDER BY flow`,
    );
    assert.deepEqual(view, [
      {
        report: "operationally-available-by-location",
        asset: "PEPL",
        gas_day: "2021-01-26",
        cycle: "Timely",
        source: "pepl",
        loc: "LEE8",
        name: "LEE COUNTY STORAGE",
        zone: "FLD",
        flow: "D",
        purpose: "MQ",
        dc: "50000",
        opc: "48000",
        tsq: "0",
        oac: "48000",
        utilisation: "0.0000",
      },
      {
        report: "operationally-available-by-location",
        asset: "PEPL",
        gas_day: "2021-01-26",
        cycle: "Timely",
        source: "pepl",
        loc: "LEE8",
        name: "LEE COUNTY STORAGE",
        zone: "FLD",
        flow: "R",
        purpose: "M2",
        dc: "50000",
        opc: "48000",
        tsq: "12000",
        oac: "36000",
        utilisation: "0.2500",
      },
    ]);
    // Final: the header is not the layout. The file fails, loudly, and nothing of it lands.
    assert.notEqual(await run(["--once", "--params", "gasDay=2021-01-26", "cycle=5"]), 0);
    const [failed] = await t.db.query<{ status: string; error: string; terminal: boolean }>(
      `SELECT status, error, terminal FROM staging.load_ledger WHERE cycle = 'Final'`,
    );
    assert.equal(failed.status, "failed");
    assert.ok(failed.terminal);
    assert.match(failed.error, /field 6 should be "OPC", got "Operating Capacity"/);
    const [{ n }] = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM staging.messenger_capacity WHERE cycle = 'Final'`,
    );
    assert.equal(n, 0);
    assert.ok(lines.some((l) => l.includes("Operating Capacity")), "the log names the column");
  } finally {
    await fake.close();
    await t.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

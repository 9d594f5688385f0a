/**
 * Presets: `sources: [{ pipeline: PEPL }]` is a whole source for each known
 * Energy Transfer pipeline; any key still overrides; mistakes name the key.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load.ts";
import { type Config, type SourceConfig } from "../../src/config/schema.ts";
import { PIPELINE_PRESETS } from "../../src/config/presets.ts";
import { ConfigError } from "../../src/config/validate.ts";
import { findCycle } from "../../src/domain/cycles.ts";
import { reportFor } from "../../src/reports/all.ts";

async function load(text: string): Promise<Config> {
  const readTextFile = () => Promise.resolve(text);
  return (await loadConfig({ path: "test.yaml", readTextFile, env: {} })).config;
}

async function problems(text: string): Promise<string[]> {
  try {
    await load(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.lines();
  }
  assert.fail("accepted");
}

/** The URL the source's report builds for gas day 2024-01-17, Intraday 1. */
function url(s: SourceConfig): string {
  return reportFor(s.report).url(s, { gasDay: "2024-01-17", cycle: findCycle("intraday1")! });
}

Deno.test("presets: each known pipeline is one line", async () => {
  const names = ["TW", "FGT", "FEP", "TGR", "PEPL", "TGC", "ROVER", "SER", "GR"];
  assert.deepEqual(PIPELINE_PRESETS.map((p) => p.pipeline), names);
  const c = await load(`sources:\n${names.map((n) => `  - pipeline: ${n}\n`).join("")}`);
  const by = new Map(c.sources.map((s) => [s.name, s]));
  assert.deepEqual([...by.keys()], names.map((n) => n.toLowerCase()));
  for (const s of c.sources) assert.equal(s.asset, s.pipeline);
  assert.equal(
    url(by.get("tw")!),
    "https://twtransfer.energytransfer.com/ipost/TW/capacity/operationally-available" +
      "?f=csv&extension=csv&asset=TW&gasDay=01%2F17%2F2024&cycle=3&searchType=ALL" +
      "&searchString=&locType=ALL&locZone=ALL",
  );
  assert.match(url(by.get("fgt")!), /^https:\/\/fgttransfer\.energytransfer\.com\/ipost\/FGT\//);
  assert.match(url(by.get("tgr")!), /^https:\/\/tigertransfer\.energytransfer\.com\//);
  assert.equal(
    url(by.get("pepl")!),
    "https://peplmessenger.energytransfer.com/ipost/capacity/operationally-available-by-location" +
      "?f=csv&extension=csv&asset=PEPL&gasDay=01%2F17%2F2024&cycleDesc=Intraday%201" +
      "&pointCd=&name=",
  );
  assert.equal(by.get("tgc")!.report, "operationally-available-by-location");
  assert.match(url(by.get("gr")!), /^https:\/\/pipelines\.energytransfer\.com\/ipost\/capacity\//);
  assert.equal(by.get("rover")!.cycleEncoding, "name");
  assert.equal(by.get("fep")!.cycleEncoding, "code");
});

Deno.test("presets: any key overrides, the pipeline's name is case-insensitive", async () => {
  const c = await load(`sources:
  - pipeline: pepl
    name: pepl-local
    base_url: http://127.0.0.1:8999
    cycle_encoding: code
    cycles: [timely]
    params: { pointCd: "00387" }
  - pipeline: TW
    search_type: NOM
    params: {}
`);
  const [pepl, tw] = c.sources;
  assert.deepEqual(
    { ...pepl },
    {
      pipeline: "PEPL",
      name: "pepl-local",
      asset: "PEPL",
      baseUrl: "http://127.0.0.1:8999",
      report: "operationally-available-by-location",
      searchType: "ALL",
      cycles: ["timely"],
      params: { pointCd: "00387" },
      cycleEncoding: "code",
      enabled: true,
    },
  );
  assert.match(url(pepl), /gasDay=01%2F17%2F2024&cycle=3&pointCd=00387&name=$/);
  assert.deepEqual(tw.params, {}, "given params replace the preset's");
  assert.match(url(tw), /searchType=NOM$/);
  // Without a pipeline nothing changes: asset and base_url are required, the report family A.
  const plain = await load(
    "sources:\n  - asset: TW\n    base_url: https://twtransfer.energytransfer.com\n",
  );
  assert.equal(plain.sources[0].pipeline, undefined);
  assert.equal(plain.sources[0].cycleEncoding, undefined);
  assert.equal(plain.sources[0].report, "operationally-available");
});

Deno.test("presets: mistakes name the key", async () => {
  assert.deepEqual(await problems("sources:\n  - pipeline: PEPX\n"), [
    'test.yaml: sources[0].pipeline: unknown pipeline "PEPX"; did you mean PEPL? (known: TW, ' +
    "FGT, FEP, TGR, PEPL, TGC, ROVER, SER, GR; or leave it out and give asset, base_url and " +
    "report)",
  ]);
  assert.deepEqual(await problems("sources:\n  - pipeline: TW\n    cycle_encoding: title\n"), [
    'test.yaml: sources[0].cycle_encoding: expected one of code, name, got "title"',
  ]);
  assert.deepEqual(await problems("sources:\n  - pipeline: TW\n  - pipeline: tw\n"), [
    'test.yaml: sources[1].name: duplicate source name "tw"',
  ]);
  const none = await problems("sources:\n  - name: x\n");
  assert.ok(none.some((l) => /sources\[0\]\.asset: required.*pipeline: TW/.test(l)), none[0]);
  assert.ok(none.some((l) => /sources\[0\]\.base_url: required/.test(l)));
});

Deno.test("sources[].posting_times: a local time per cycle, on its usual day or with a day offset", async () => {
  const c = await load(`sources:
  - pipeline: PEPL
    posting_times: { intraday1: "13:10", timely: "-1d 17:05", final: "+1d 8:30" }
`);
  assert.deepEqual(c.sources[0].postingTimes, {
    intraday1: { dayOffset: 0, hour: 13, minute: 10 },
    timely: { dayOffset: -1, hour: 17, minute: 5 },
    final: { dayOffset: 1, hour: 8, minute: 30 },
  });
  assert.equal(c.daemon.graceMinutes, 0, "probes start at the posting time");
  assert.deepEqual(
    await problems(
      "sources:\n  - pipeline: TW\n    posting_times: { lunch: '12:00', evening: '25:00', '0': '18:00', timely: '17:00' }\n",
    ),
    [
      "test.yaml: sources[0].posting_times.lunch: not a cycle (timely, evening, intraday1, " +
      "intraday2, intraday3, final)",
      "test.yaml: sources[0].posting_times.evening: expected a local time HH:MM, optionally " +
      'after a day offset (-1d 17:30), got "25:00"',
      "test.yaml: sources[0].posting_times.timely: cycle timely is given twice",
    ],
  );
  assert.deepEqual(
    await problems("sources:\n  - pipeline: TW\n    posting_times: { timely: '-1d 08:00' }\n"),
    [
      "test.yaml: sources[0].posting_times.timely: with the grace it can fall due before the " +
      "previous gas day starts; expected no earlier than dayOffset -1 at 9:00",
    ],
  );
});

Deno.test("sources[].header_aliases is read, checked against the source's report", async () => {
  const ok = await load(
    "sources:\n  - pipeline: FGT\n    header_aliases: { Location Name: Loc Name }\n",
  );
  assert.deepEqual(ok.sources[0].headerAliases, { "Location Name": "Loc Name" });
  // Checked against the messenger layout for PEPL: family A's "Auth Overrun Ind" is not one of its headers.
  assert.deepEqual(
    await problems(
      "sources:\n  - pipeline: PEPL\n    header_aliases: { Overrun: Auth Overrun Ind, Miles: Loc }\n",
    ),
    [
      'test.yaml: sources[0].header_aliases.Overrun: "Auth Overrun Ind" is not a header of the ' +
      'report (expected one of "Loc", "Loc Name", "Loc Purp Desc", "Loc/QTI", "DC", "OPC", ' +
      '"TSQ", "OAC", "Loc Zn", "IT", "Flow Ind", "State", "County", "Operator", "OBA", "G/T", ' +
      '"Miles", "EGM", "Flw Cntl", "All Qty Avail", "Qty Reason")',
      'test.yaml: sources[0].header_aliases.Miles: "Miles" is already a header of the report',
    ],
  );
  assert.deepEqual(
    await problems("sources:\n  - pipeline: TW\n    header_aliases: [Loc]\n"),
    ["test.yaml: sources[0].header_aliases: expected a mapping of names to values, got a list"],
  );
});

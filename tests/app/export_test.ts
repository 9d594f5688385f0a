/**
 * `tec-pipeline export`, end to end on the real database: pairs loaded from
 * the fake site exported back as their files' rows, JSON, `--as-of` over the
 * history, `--output` atomicity, flat memory in a subprocess under the
 * program's V8 flags; and the option checks, and `Database.cursor`'s contract.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { parseCli } from "../../src/cli/args.ts";
import { UsageError } from "../../src/cli/params.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { InvalidRequestError } from "../../src/domain/errors.ts";
import { connectPostgres } from "../../src/db/postgres.ts";
import { DatabaseError } from "../../src/db/database.ts";
import { splitRecord } from "../../src/parse/csv_records.ts";
import { FAMILY_A_COLUMNS } from "../../src/reports/family_a/layout.ts";
import { purposeCode } from "../../src/reports/messenger/layout.ts";
import { RUNTIME_V8_FLAGS } from "../../src/app/permissions.ts";
import {
  type ExportArgs,
  parseAsOf,
  parseExportRequest,
  runExport,
} from "../../src/app/commands/export.ts";
import { pairKey, startFakeIpost, TW_HEADER } from "../support/fake_ipost.ts";
import {
  adminConfig,
  freshDatabase,
  serverOnly,
  type TestDatabase,
  testEngine,
} from "../support/db.ts";
import { memoryLogger, programEnv, readFixture, readSample } from "../support/env.ts";
import { systemClock } from "../../src/daemon/clock.ts";

const SOURCE = "tw-oac";
const DAY = "2024-01-17";
const TIMELY = "tw_oac_2024-01-17_cycle0-timely_searchALL.csv";
const FINAL = "tw_oac_2024-01-17_cycle5-final_searchALL.csv";

interface Run {
  code: number;
  logs: Record<string, unknown>[];
  errors: string;
}

/** The fake site, a fresh database, a data directory and `main` run against them. */
async function harness() {
  const fake = startFakeIpost();
  const t: TestDatabase = await freshDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tec-export-" });
  const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir: `${dir}/data` });
  const run = async (argv: string[], stop?: AbortSignal): Promise<Run> => {
    const lines: string[] = [];
    let errors = "";
    const code = await main(argv, {
      env,
      logWrite: (l) => lines.push(l),
      printError: (e) => (errors += e + "\n"),
      print: () => {},
      stop,
    });
    return { code, logs: lines.map((l) => JSON.parse(l)), errors };
  };
  return {
    fake,
    t,
    dir,
    env,
    run,
    /** Load one file through `--once`, as fetched from the fake site. */
    async load(body: Uint8Array, cycleCode: number, day = DAY) {
      fake.script(pairKey("TW", day, cycleCode), [{ kind: "csv", body }]);
      const r = await run(["--once", "--params", `gasDay=${day}`, `cycle=${cycleCode}`]);
      assert.equal(r.code, 0, r.errors);
    },
    async done() {
      await fake.close();
      await t.drop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function sampleOrFixture(name: string): Promise<Uint8Array> {
  return (await readSample(name)) ?? (await readFixture("tw_good_8rows.csv"));
}

/** A file's header line and its data lines (CRLF removed). */
function fileLines(body: Uint8Array | string): { header: string; rows: string[] } {
  const text = typeof body === "string" ? body : new TextDecoder().decode(body);
  assert.ok(text.endsWith("\r\n"), "CRLF after the last line");
  const lines = text.slice(0, -2).split("\r\n");
  return { header: lines[0], rows: lines.slice(1) };
}

const exportArgs = (extra: string[]) => [
  "export",
  "--from",
  DAY,
  "--to",
  DAY,
  ...extra,
];

const SERVER_ONLY = serverOnly("another session terminates the reader, or a second process reads");

Deno.test("export: a pair's CSV is its file's header and rows, sorted by loc and flow_ind", async () => {
  const h = await harness();
  try {
    const body = await sampleOrFixture(TIMELY);
    await h.load(body, 0);
    const out = `${h.dir}/timely.csv`;
    const r = await h.run(exportArgs(["--cycles", "timely", "--format", "csv", "--output", out]));
    assert.equal(r.code, 0, r.errors);
    const file = fileLines(body);
    const exported = await Deno.readTextFile(out);
    const got = fileLines(exported);
    assert.equal(got.header, file.header);
    assert.equal(got.header + "\r\n", TW_HEADER);
    assert.deepEqual([...got.rows].sort(), [...file.rows].sort());
    assert.equal(exported.split("\r\n").length, file.rows.length + 2, "every line ends CRLF");
    assert.doesNotMatch(exported.replaceAll("\r\n", ""), /[\r\n]/);
    // Sorted by (loc, flow_ind) in byte order, documented: the file's order is not kept.
    const keys = got.rows.map((l) => {
      const f = splitRecord(l) as string[];
      return [f[0], f[5]];
    });
    const sorted = [...keys].sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0
    );
    assert.deepEqual(keys, sorted);
    const done = r.logs.find((l) => l.event === "export.done");
    assert.equal(done?.rows, file.rows.length);
    assert.equal(done?.output, out);
  } finally {
    await h.done();
  }
});

Deno.test("export: more than one pair prefixes every row with Asset, Gas Day, Cycle, Source", async () => {
  const h = await harness();
  try {
    const timely = await sampleOrFixture(TIMELY);
    const final = await sampleOrFixture(FINAL);
    await h.load(timely, 0);
    await h.load(final, 5);
    const out = `${h.dir}/both.csv`;
    const r = await h.run(
      exportArgs(["--cycles", "final,timely", "--source", SOURCE, "--format", "csv", "-o", out]),
    );
    assert.equal(r.code, 0, r.errors);
    const got = fileLines(await Deno.readTextFile(out));
    assert.equal(got.header, `"Asset","Gas Day","Cycle","Source",${fileLines(timely).header}`);
    const prefix = (cycle: string) => `"TW","${DAY}","${cycle}","${SOURCE}",`;
    const timelyRows = fileLines(timely).rows;
    const finalRows = fileLines(final).rows;
    assert.equal(got.rows.length, timelyRows.length + finalRows.length);
    // Pairs in posting order: every Timely row before the first Final row.
    const firstFinal = got.rows.findIndex((l) => l.startsWith(prefix("Final")));
    assert.equal(firstFinal, timelyRows.length);
    const strip = (rows: string[], p: string) =>
      rows.map((l) => {
        assert.ok(l.startsWith(p), `${l} starts with ${p}`);
        return l.slice(p.length);
      }).sort();
    assert.deepEqual(
      strip(got.rows.slice(0, firstFinal), prefix("Timely")),
      [...timelyRows].sort(),
    );
    assert.deepEqual(strip(got.rows.slice(firstFinal), prefix("Final")), [...finalRows].sort());
  } finally {
    await h.done();
  }
});

/** What a file's row is as JSON: pair fields, db column names, quantities as numbers. */
function expectedJson(line: string, cycle: string): Record<string, unknown> {
  const fields = splitRecord(line) as (string | null)[];
  const o: Record<string, unknown> = { asset: "TW", gas_day: DAY, cycle, source: SOURCE };
  FAMILY_A_COLUMNS.forEach((c, i) => {
    // Past the file's 15 fields: the split TSQ's parts, which a TW file does not have.
    const v = i < fields.length ? fields[i] : null;
    o[c.column] = c.kind === "quantity" ? (v === null || v === "" ? null : Number(v)) : v;
  });
  return o;
}

Deno.test("export: JSON is an array of objects, pair fields and db columns, numbers and nulls", async () => {
  const h = await harness();
  try {
    const body = await sampleOrFixture(TIMELY);
    await h.load(body, 0);
    const out = `${h.dir}/timely.json`;
    const r = await h.run(exportArgs(["--cycles", "0", "--format", "json", "--output", out]));
    assert.equal(r.code, 0, r.errors);
    const text = await Deno.readTextFile(out);
    const got = JSON.parse(text) as Record<string, unknown>[];
    assert.ok(Array.isArray(got));
    const keys = ["asset", "gas_day", "cycle", "source", ...FAMILY_A_COLUMNS.map((c) => c.column)];
    for (const o of got) assert.deepEqual(Object.keys(o), keys);
    const expected = fileLines(body).rows.map((l) => expectedJson(l, "Timely"));
    const byKey = (o: Record<string, unknown>) => `${o.loc}|${o.flow_ind}`;
    const sort = (xs: Record<string, unknown>[]) =>
      [...xs].sort((a, b) => byKey(a) < byKey(b) ? -1 : 1);
    assert.deepEqual(sort(got), sort(expected));
    assert.ok(got.some((o) => o.dc === null || o.opc === null), "a missing quantity is null");
    assert.ok(got.every((o) => o.oac === null || typeof o.oac === "number"));
    // Streamed one object per line.
    assert.equal(text.split("\n").length, got.length + 3);
  } finally {
    await h.done();
  }
});

Deno.test("export: a selection without rows is a header (CSV) or [] (JSON), exit 0", async () => {
  const h = await harness();
  try {
    const csv = `${h.dir}/none.csv`;
    const a = await h.run(exportArgs(["--cycles", "evening", "--format", "csv", "--output", csv]));
    assert.equal(a.code, 0, a.errors);
    assert.equal(await Deno.readTextFile(csv), TW_HEADER);
    assert.equal(a.logs.find((l) => l.event === "export.done")?.rows, 0);
    const json = `${h.dir}/none.json`;
    const b = await h.run(exportArgs(["--format", "json", "--output", json]));
    assert.equal(b.code, 0, b.errors);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(json)), []);
    assert.equal((await Deno.readTextFile(json)).trim(), "[]");
    assert.equal(b.logs.find((l) => l.event === "export.done")?.rows, 0);
  } finally {
    await h.done();
  }
});

/** The instant the current version of the pair became valid (its file first seen). */
async function currentSince(t: TestDatabase, cycle: string): Promise<Date> {
  const [row] = await t.db.query<{ at: string }>(
    `SELECT to_char(min(valid_from) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
     FROM staging.operational_capacity_history
     WHERE gas_day = $1 AND cycle = $2 AND valid_to IS NULL`,
    [DAY, cycle],
  );
  return new Date(row.at);
}

Deno.test("export --as-of: reads the row versions valid at T from the history", async () => {
  const h = await harness();
  try {
    const body = await sampleOrFixture(TIMELY);
    await h.load(body, 0);
    const since = await currentSince(h.t, "Timely");
    const [{ loc, flow_ind, load_id }] = await h.t.db.query<
      { loc: string; flow_ind: string; load_id: string }
    >(
      `SELECT loc, flow_ind, load_id FROM staging.operational_capacity
       WHERE opc IS NOT NULL ORDER BY loc COLLATE "C" LIMIT 1`,
    );
    // An older version of one row, valid for the two hours before the current file.
    const validFrom = new Date(since.getTime() - 2 * 3600_000);
    await h.t.db.execute(
      `INSERT INTO staging.operational_capacity_retired
         (asset, gas_day, cycle, source, loc, loc_zn, loc_name, loc_purp_desc, loc_qti, flow_ind,
          dc, opc, tsq, oac, it, auth_overrun_ind, nom_cap_exceed_ind, all_qty_avail, qty_reason,
          load_id, valid_from, valid_to, load_id_to)
       SELECT asset, gas_day, cycle, source, loc, loc_zn, 'OLD NAME', loc_purp_desc, loc_qti,
              flow_ind, dc, 123456, NULL, oac, it, auth_overrun_ind, nom_cap_exceed_ind, 'N',
              'Total Scheduled Quantity unavailable', load_id, $1::timestamptz,
              $2::timestamptz, load_id
       FROM staging.operational_capacity WHERE loc = $3 AND flow_ind = $4`,
      [validFrom.toISOString(), since.toISOString(), loc, flow_ind],
    );
    assert.ok(Number(load_id) > 0);
    const at = async (asOf: string, name: string) => {
      const out = `${h.dir}/${name}.csv`;
      const r = await h.run(
        exportArgs(["--cycles", "timely", "--as-of", asOf, "--format", "csv", "--output", out]),
      );
      assert.equal(r.code, 0, r.errors);
      assert.equal(r.logs.find((l) => l.event === "export.done")?.as_of !== undefined, true);
      return fileLines(await Deno.readTextFile(out)).rows;
    };
    const between = new Date(since.getTime() - 3600_000);
    const old = await at(between.toISOString(), "old");
    assert.equal(old.length, 1, "only the retired version was valid then");
    const f = splitRecord(old[0]) as (string | null)[];
    assert.deepEqual([f[0], f[2], f[5], f[7], f[8], f[13]], [
      loc,
      "OLD NAME",
      flow_ind,
      "123456",
      null,
      "N",
    ]);
    // The same instant as a wall-clock time in the configured zone (America/Chicago).
    const local = Temporal.Instant.fromEpochMilliseconds(between.getTime())
      .toZonedDateTimeISO("America/Chicago").toPlainDateTime().toString();
    assert.deepEqual(await at(local, "old-local"), old);
    // After the current file appeared: the current rows, the file's values.
    const now = await at(new Date(since.getTime() + 1000).toISOString(), "now");
    assert.deepEqual([...now].sort(), [...fileLines(body).rows].sort());
    // Before any version: nothing.
    assert.deepEqual(await at(new Date(validFrom.getTime() - 1000).toISOString(), "none"), []);
  } finally {
    await h.done();
  }
});

// --report capacity: every family in one export -----------------------------------

/** The columns of `export --report capacity`, after the pair columns. */
const VIEW_HEADERS = [
  "Report",
  "Loc",
  "Loc Name",
  "Loc Zn",
  "Flow Ind",
  "Loc Purp Desc",
  "DC",
  "OPC",
  "TSQ",
  "OAC",
];
const VIEW_COLUMNS = ["loc", "name", "zone", "flow", "purpose", "dc", "opc", "tsq", "oac"];
const QUANTITIES = new Set(["dc", "opc", "tsq", "oac"]);

/**
 * What the view holds for each of a file's rows, worked out from the file:
 * the shared columns found by header; a messenger cell trimmed of its padding
 * and its purpose spelled as the family-A code; an empty quantity null.
 */
function viewRowsOf(
  body: Uint8Array,
  pair: { asset: string; source: string; report: string; messenger: boolean },
): Record<string, unknown>[] {
  const { header, rows } = fileLines(body);
  const headers = (splitRecord(header) as string[]).map((h) => h.trim());
  const at = VIEW_HEADERS.slice(1).map((h) => headers.indexOf(h));
  assert.ok(at.every((i) => i >= 0), `${pair.asset}: every shared header in ${header}`);
  return rows.map((line) => {
    const f = splitRecord(line) as (string | null)[];
    const o: Record<string, unknown> = {
      asset: pair.asset,
      gas_day: DAY,
      cycle: "Timely",
      source: pair.source,
      report: pair.report,
    };
    VIEW_COLUMNS.forEach((c, k) => {
      let v = f[at[k]];
      if (pair.messenger && v !== null) v = v.trim();
      if (c === "purpose" && pair.messenger && v !== null) v = purposeCode(v);
      o[c] = QUANTITIES.has(c) ? (v === null || v === "" ? null : Number(v)) : v;
    });
    return o;
  });
}

/** A view row as the export writes it in CSV (present values quoted, null empty). */
function viewCsvLine(o: Record<string, unknown>): string {
  return ["asset", "gas_day", "cycle", "source", "report", ...VIEW_COLUMNS]
    .map((c) => o[c] === null ? "" : `"${String(o[c]).replaceAll('"', '""')}"`).join(",");
}

/** Sources of both families on the fake site: TW (family A) and PEPL (messenger). */
async function twoFamilies() {
  const h = await harness();
  const config = `${h.dir}/two.yaml`;
  await Deno.writeTextFile(
    config,
    `sources:\n  - pipeline: TW\n    name: tw\n    base_url: ${h.fake.url}\n` +
      `  - pipeline: PEPL\n    name: pepl\n    base_url: ${h.fake.url}\n`,
  );
  const run = (argv: string[]) => h.run(["--config", config, ...argv]);
  const tw = await readFixture("tw_good_8rows.csv");
  const pepl = await readFixture("pepl_messenger_6rows.csv");
  h.fake.script(pairKey("TW", DAY, 0), [{ kind: "csv", body: tw }]);
  h.fake.script(pairKey("PEPL", DAY, 0), [{ kind: "csv", body: pepl }]);
  // One source after the other, so that an instant between their loads exists.
  for (const asset of ["TW", "PEPL"]) {
    const r = await run(["--once", "--params", `gasDay=${DAY}`, "cycle=0", `asset=${asset}`]);
    assert.equal(r.code, 0, r.errors);
  }
  const expected = [
    ...viewRowsOf(tw, {
      asset: "TW",
      source: "tw",
      report: "operationally-available",
      messenger: false,
    }),
    ...viewRowsOf(pepl, {
      asset: "PEPL",
      source: "pepl",
      report: "operationally-available-by-location",
      messenger: true,
    }),
  ];
  return { h, run, expected };
}

Deno.test("export --report capacity: rows of both families in one export, CSV and JSON, each with its source and asset", async () => {
  const { h, run, expected } = await twoFamilies();
  try {
    // Without --report, sources of two reports are refused, pointing at the option.
    const mixed = await run(exportArgs(["--format", "csv"]));
    assert.equal(mixed.code, 2);
    assert.match(mixed.errors, /^tec-pipeline: export: the selected sources publish different /);
    assert.match(mixed.errors, /--report capacity/);
    assert.equal(mixed.errors.trim().split("\n").length, 1);

    const csvOut = `${h.dir}/all.csv`;
    const c = await run(exportArgs(["--report", "capacity", "--format", "csv", "-o", csvOut]));
    assert.equal(c.code, 0, c.errors);
    const got = fileLines(await Deno.readTextFile(csvOut));
    assert.equal(
      got.header,
      ["Asset", "Gas Day", "Cycle", "Source", ...VIEW_HEADERS].map((x) => `"${x}"`).join(","),
    );
    assert.equal(expected.length, 8 + 6);
    assert.deepEqual([...got.rows].sort(), expected.map(viewCsvLine).sort());
    // Pair order: asset first (PEPL before TW), so every PEPL row comes before the first TW row.
    const assets = got.rows.map((l) => (splitRecord(l) as string[])[0]);
    assert.deepEqual(assets, [...assets].sort());
    assert.equal(c.logs.find((l) => l.event === "export.done")?.rows, expected.length);

    const jsonOut = `${h.dir}/all.json`;
    const j = await run(exportArgs(["--report", "capacity", "--format", "json", "-o", jsonOut]));
    assert.equal(j.code, 0, j.errors);
    const objects = JSON.parse(await Deno.readTextFile(jsonOut)) as Record<string, unknown>[];
    const keys = ["asset", "gas_day", "cycle", "source", "report", ...VIEW_COLUMNS];
    for (const o of objects) assert.deepEqual(Object.keys(o), keys);
    const byKey = (o: Record<string, unknown>) => `${o.source}|${o.loc}|${o.flow}`;
    const sort = (xs: Record<string, unknown>[]) =>
      [...xs].sort((a, b) => byKey(a) < byKey(b) ? -1 : 1);
    assert.deepEqual(sort(objects), sort(expected));
    assert.ok(objects.some((o) => o.source === "pepl" && o.loc === "LEE8" && o.purpose === "M2"));

    // A report id reads its own table: PEPL's one pair is its file's 21 columns again.
    const one = `${h.dir}/pepl.csv`;
    const p = await run(
      exportArgs([
        "--report",
        "operationally-available-by-location",
        "--cycles",
        "timely",
        "--format",
        "csv",
        "-o",
        one,
      ]),
    );
    assert.equal(p.code, 0, p.errors);
    const peplFile = fileLines(await Deno.readTextFile(one));
    assert.equal((splitRecord(peplFile.header) as string[]).length, 21);
    assert.equal(peplFile.rows.length, 6);

    const bad = await run(exportArgs(["--report", "all", "--format", "csv"]));
    assert.equal(bad.code, 2);
    assert.equal(
      bad.errors,
      "tec-pipeline: export --report: expected capacity, operationally-available, " +
        `operationally-available-by-location, got "all" (try 'tec-pipeline --help')\n`,
    );
  } finally {
    await h.done();
  }
});

Deno.test("export --report capacity --as-of: the versions valid at T, across families", async () => {
  const { h, run, expected } = await twoFamilies();
  try {
    const since = await h.t.db.query<{ source: string; at: string }>(
      `SELECT source, to_char(min(valid_from) AT TIME ZONE 'UTC',
                              'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
       FROM staging.capacity_history GROUP BY source`,
    );
    const twAt = new Date(since.find((s) => s.source === "tw")!.at).getTime();
    const peplAt = new Date(since.find((s) => s.source === "pepl")!.at).getTime();
    assert.ok(twAt < peplAt, "TW loaded first");
    const at = async (ms: number) => {
      const out = `${h.dir}/at-${ms}.json`;
      const r = await run(exportArgs([
        "--report",
        "capacity",
        "--as-of",
        new Date(ms).toISOString(),
        "--format",
        "json",
        "-o",
        out,
      ]));
      assert.equal(r.code, 0, r.errors);
      return (JSON.parse(await Deno.readTextFile(out)) as Record<string, unknown>[])
        .map((o) => `${o.source}|${o.loc}|${o.flow}|${o.oac}`).sort();
    };
    const keyOf = (o: Record<string, unknown>) => `${o.source}|${o.loc}|${o.flow}|${o.oac}`;
    assert.deepEqual(await at(twAt - 1), []);
    // PEPL's load is later than TW's by at least a process start; an instant between them.
    const between = twAt + Math.max(1, Math.floor((peplAt - twAt) / 2));
    assert.ok(between < peplAt);
    assert.deepEqual(
      await at(between),
      expected.filter((o) => o.source === "tw").map(keyOf).sort(),
    );
    assert.deepEqual(await at(peplAt + 1), expected.map(keyOf).sort());
  } finally {
    await h.done();
  }
});

/** Names in `dir`. */
async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("export --output: a failing export leaves no file, and an existing one untouched", async () => {
  const h = await harness();
  try {
    await h.load(await readFixture("tw_good_8rows.csv"), 0);
    const outDir = await Deno.makeTempDir({ dir: h.dir, prefix: "out-" });
    const out = `${outDir}/export.csv`;
    // Fails at the read, after the temporary file is written: a column the layout needs is gone.
    await h.t.db.execute("ALTER TABLE staging.operational_capacity RENAME COLUMN oac TO oac_gone");
    const r = await h.run(exportArgs(["--format", "csv", "--output", out]));
    assert.equal(r.code, 1, r.errors);
    const failed = r.logs.find((l) => l.event === "export.failed");
    assert.match(String(failed?.reason), /oac/);
    assert.deepEqual(await names(outDir), [], "no file, no temporary file");
    // An existing file is replaced only by a complete export.
    await Deno.writeTextFile(out, "previous\r\n");
    assert.equal((await h.run(exportArgs(["--format", "csv", "--output", out]))).code, 1);
    assert.equal(await Deno.readTextFile(out), "previous\r\n");
    assert.deepEqual(await names(outDir), ["export.csv"]);
    await h.t.db.execute("ALTER TABLE staging.operational_capacity RENAME COLUMN oac_gone TO oac");
    const ok = await h.run(exportArgs(["--format", "csv", "--output", out]));
    assert.equal(ok.code, 0, ok.errors);
    assert.equal(fileLines(await Deno.readTextFile(out)).rows.length, 8);
    assert.deepEqual(await names(outDir), ["export.csv"]);
  } finally {
    await h.done();
  }
});

/** The backends of this database waiting on a lock. */
async function waitingExports(t: TestDatabase): Promise<number[]> {
  const rows = await t.db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
     WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT t.%'`,
  );
  return rows.map((r) => r.pid);
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

Deno.test(
  "export --output: a read cut off mid-way (backend terminated) leaves no file; a stop is exit 4" +
    SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const h = await harness();
    try {
      await h.load(await readFixture("tw_good_8rows.csv"), 0);
      const outDir = await Deno.makeTempDir({ dir: h.dir, prefix: "out-" });
      const out = `${outDir}/export.csv`;
      const cut = async (stop?: AbortController) => {
        const lock = connectPostgres({ config: h.t.config });
        const release = Promise.withResolvers<void>();
        const held = lock.transaction(async (tx) => {
          await tx.execute("LOCK TABLE staging.operational_capacity IN ACCESS EXCLUSIVE MODE");
          await release.promise;
        });
        try {
          const running = h.run(exportArgs(["--format", "csv", "--output", out]), stop?.signal);
          const [pid] = await until("the export to wait", async () => {
            const p = await waitingExports(h.t);
            return p.length > 0 ? p : undefined;
          });
          // Mid-export: the header is in the temporary file, the target does not exist yet.
          const during = await names(outDir);
          assert.equal(during.length, 1);
          assert.match(during[0], /^\.export\.csv\..*\.tmp$/);
          if (stop) stop.abort();
          else await h.t.db.query("SELECT pg_terminate_backend($1::int)", [pid]);
          return await running;
        } finally {
          release.resolve();
          await held;
          await lock.close();
        }
      };
      const killed = await cut();
      assert.equal(killed.code, 1, killed.errors);
      assert.ok(killed.logs.some((l) => l.event === "export.failed"));
      assert.deepEqual(await names(outDir), []);
      const stopped = await cut(new AbortController());
      assert.equal(stopped.code, 4, stopped.errors);
      assert.ok(stopped.logs.some((l) => l.event === "export.interrupted"));
      assert.deepEqual(await names(outDir), []);
    } finally {
      await h.done();
    }
  },
);

const REPO = new URL("../../", import.meta.url);

/** `n` more generated rows, 300 per pair, six pairs a gas day from 2023-01-01: a TW-like year is 630k. */
async function generateRows(t: TestDatabase, from: number, to: number): Promise<void> {
  await t.db.execute(
    `INSERT INTO staging.operational_capacity
       (asset, gas_day, cycle, source, loc, loc_zn, loc_name, loc_purp_desc, loc_qti, flow_ind,
        dc, opc, tsq, oac, it, auth_overrun_ind, nom_cap_exceed_ind, all_qty_avail, qty_reason,
        load_id)
     SELECT 'TW', date '2023-01-01' + (g / 1800),
            (ARRAY['Timely','Evening','Intraday 1','Intraday 2','Intraday 3','Final'])[g / 300 % 6 + 1],
            $3, (100000 + g % 300)::text, 'WEST TEXAS', 'GENERATED LOCATION ' || g, 'MQ', 'DPQ', 'D',
            50000, 60000, g % 1000, 60000 - g % 1000, 'N', 'N', 'N', 'Y', '', 1
     FROM generate_series($1::int, $2::int - 1) g`,
    [from, to, SOURCE],
  );
}

/** How fast the test reads the child's standard output. */
const READER_BYTES_PER_S = 10_000_000;

interface Measured {
  code: number;
  rows: number;
  lines: number;
  bytes: number;
  peakKb: number;
  stderr: string;
}

/**
 * Run the export in a child process under the program's V8 flags, its CSV on
 * standard output (read here as it comes), and take its peak RSS (VmHWM, the
 * kernel's high-water mark) just before it exits.
 */
async function measuredExport(env: Record<string, string>, dir: string): Promise<Measured> {
  const child = `${dir}/child.ts`;
  await Deno.writeTextFile(
    child,
    `import { main } from ${JSON.stringify(new URL("src/main.ts", REPO).href)};
const code = await main(Deno.args, { env: Deno.env.toObject() });
const status = await Deno.readTextFile("/proc/self/status");
console.error(JSON.stringify({ event: "test.peak_rss", kb: Number(/VmHWM:\\s+(\\d+) kB/.exec(status)![1]) }));
Deno.exit(code);
`,
  );
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      new URL("deno.json", REPO).pathname,
      `--v8-flags=${RUNTIME_V8_FLAGS.join(",")}`,
      "--allow-all",
      child,
      ...["export", "--from", "2023-01-01", "--to", "2023-12-31", "--format", "csv"],
    ],
    cwd: new URL(".", REPO).pathname,
    env,
    stdout: "piped",
    stderr: "piped",
  });
  const p = cmd.spawn();
  const timer = setTimeout(() => p.kill("SIGKILL"), 120_000);
  let bytes = 0;
  let lines = 0;
  // A slow reader (READER_BYTES_PER_S): the export must wait for it rather than
  // buffer what it cannot write yet.
  const started = performance.now();
  const counting = (async () => {
    for await (const chunk of p.stdout) {
      bytes += chunk.length;
      for (const b of chunk) if (b === 10) lines++;
      const ahead = (bytes / READER_BYTES_PER_S) * 1000 - (performance.now() - started);
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
  })();
  const [stderr, status] = await Promise.all([new Response(p.stderr).text(), p.status, counting]);
  clearTimeout(timer);
  const logs = stderr.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  return {
    code: status.code,
    rows: Number(logs.find((l) => l.event === "export.done")?.rows),
    lines,
    bytes,
    peakKb: Number(logs.find((l) => l.event === "test.peak_rss")?.kb),
    stderr,
  };
}

/*
 * Measured on this project's 2-core machine (peak RSS, VmHWM; batches of 500
 * rows): this test's export of no rows 76-77 MB (runtime, modules, pool), of
 * 200k rows 113 MB (3 runs); a year, 630k rows, through `deno task start`
 * 96-98 MB to a file or a pipe. The heap fills to its working size, then
 * stays there. Control: the same 200k rows read with one plain query die
 * under these V8 flags ("Fatal JavaScript out of memory") and peak at 287 MB
 * without them. The bound: exporting 200k rows may add at most the old-space
 * cap these flags set (64 MB) to exporting none (measured: 36-37 MB); rows
 * held in memory cannot stay under it. That writes wait for the reader is
 * proven directly by the next test.
 */
const HEAP_CAP_KB = 64 * 1024;

Deno.test(
  "export: memory stays flat for 200,000 rows under the program's V8 flags, a slow reader included" +
    SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const h = await harness();
    try {
      // Migrate: an export of the empty database creates the tables.
      assert.equal((await h.run(exportArgs(["--format", "csv", "-o", `${h.dir}/e.csv`]))).code, 0);
      const none = await measuredExport(h.env, h.dir);
      assert.equal(none.code, 0, none.stderr);
      assert.equal(none.lines, 1, "the header alone");
      await generateRows(h.t, 0, 200_000);
      const large = await measuredExport(h.env, h.dir);
      assert.equal(large.code, 0, large.stderr);
      assert.equal(large.rows, 200_000);
      assert.equal(large.lines, 200_001, "header and every row on standard output");
      assert.ok(
        large.bytes > 25_000_000,
        `${large.bytes} bytes: more than the bound allows to hold`,
      );
      const grew = large.peakKb - none.peakKb;
      assert.ok(
        grew < HEAP_CAP_KB,
        `peak RSS ${large.peakKb} kB for 200k rows, ${none.peakKb} kB for none: grew ${grew} kB`,
      );
    } finally {
      await h.done();
    }
  },
);

Deno.test("export: each write waits for the one before (a slow standard output slows the read)", async () => {
  const h = await harness();
  try {
    await h.load(await sampleOrFixture(TIMELY), 0);
    await generateRows(h.t, 0, 5_000);
    const { config } = await loadConfig({ env: h.env });
    const { log, lines } = memoryLogger();
    let inFlight = 0;
    let most = 0;
    const chunks: string[] = [];
    const decoder = new TextDecoder();
    const stdout = {
      async write(p: Uint8Array) {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 2));
        // Part of it only, as a pipe may take: the rest must be written next.
        const n = Math.min(p.length, 40_000);
        chunks.push(decoder.decode(p.subarray(0, n), { stream: true }));
        inFlight--;
        return n;
      },
    };
    const req = parseExportRequest({
      from: "2023-01-01",
      to: DAY,
      format: "csv",
    }, config);
    const code = await runExport(
      {
        config,
        log,
        clock: systemClock,
        print: () => {},
        printError: (t) => assert.fail(t),
      },
      req,
      { stdout },
    );
    assert.equal(code, 0, lines.join("\n"));
    assert.equal(most, 1, "never two writes at once");
    const text = chunks.join("") + decoder.decode();
    const got = fileLines(text);
    const rows = Number(JSON.parse(lines.find((l) => l.includes("export.done"))!).rows);
    assert.equal(got.rows.length, rows);
    assert.ok(rows > 5_000);
    assert.ok(got.header.startsWith('"Asset","Gas Day","Cycle","Source","Loc"'));
  } finally {
    await h.done();
  }
});

/** The selection checks, each a one-line InvalidRequestError naming the option. */
async function testConfig(): Promise<Config> {
  return (await loadConfig({ env: {} })).config;
}

function refused(args: ExportArgs, config: Config): string {
  try {
    parseExportRequest(args, config);
  } catch (e) {
    assert.ok(e instanceof InvalidRequestError, `expected InvalidRequestError, got ${e}`);
    assert.doesNotMatch(e.message, /\n/);
    return e.message;
  }
  assert.fail(`accepted ${JSON.stringify(args)}`);
}

Deno.test("export options: every input is checked, with one line naming the option", async () => {
  const config = await testConfig();
  const ok: ExportArgs = { from: "2024-01-16", to: "2024-01-17", format: "csv" };
  assert.equal(
    refused({ ...ok, from: undefined }, config),
    "export: --from is required (YYYY-MM-DD)",
  );
  assert.equal(
    refused({ ...ok, to: "2024-02-30" }, config),
    'export --to: "2024-02-30" is not a date: February 2024 has 29 days',
  );
  assert.match(refused({ ...ok, from: "yesterday" }, config), /^export --from: expected a date/);
  assert.equal(
    refused({ ...ok, from: "2024-01-18" }, config),
    "export: --to 2024-01-17 is before --from 2024-01-18",
  );
  assert.match(
    refused({ ...ok, cycles: "timely,noon" }, config),
    /^export --cycles: "noon" is not/,
  );
  assert.equal(refused({ ...ok, cycles: " , " }, config), "export --cycles: expected at least one");
  assert.equal(
    refused({ ...ok, asset: "XX" }, config),
    'export --asset: "XX" is not a configured asset (configured: TW)',
  );
  assert.equal(
    refused({ ...ok, source: "tw" }, config),
    'export --source: "tw" is not a configured source (configured: tw-oac)',
  );
  assert.equal(
    refused({ ...ok, format: undefined }, config),
    "export: --format is required (csv or json)",
  );
  assert.equal(
    refused({ ...ok, format: "xml" }, config),
    'export --format: expected csv or json, got "xml"',
  );
  assert.match(
    refused({ ...ok, asOf: "soon" }, config),
    /^export --as-of: expected an ISO instant/,
  );
  const r = parseExportRequest({ ...ok, cycles: "final,0,timely", source: SOURCE }, config);
  assert.deepEqual(r.selection.cycles, ["Timely", "Final"], "posting order, once each");
  assert.deepEqual([r.selection.sources, r.selection.assets], [[SOURCE], ["TW"]]);
  assert.equal(r.pairs, 4);
  assert.equal(parseExportRequest({ ...ok, to: ok.from, cycles: "5" }, config).pairs, 1);
  assert.equal(parseExportRequest(ok, config).selection.cycles.length, 6);
  const base = config.sources[0];
  const more = (...extra: Partial<typeof base>[]): Config => ({
    ...config,
    sources: [base, ...extra.map((e) => ({ ...base, ...e }))],
  });
  assert.equal(
    refused({ ...ok, asset: "TW", source: "fgt" }, more({ name: "fgt", asset: "FGT" })),
    "export: no configured source is both --source fgt and --asset TW",
  );
  assert.equal(
    refused(ok, more({ name: "other", report: "another-report" })),
    "export: the selected sources publish different reports (operationally-available, " +
      "another-report); export one with --report, --source or --asset, or the columns they " +
      "share with --report capacity",
  );
  // --report: the view, or a report id narrowing the selection to its sources.
  const families = more({
    name: "pepl",
    asset: "PEPL",
    report: "operationally-available-by-location",
  });
  assert.equal(
    refused({ ...ok, report: "Capacity" }, families),
    "export --report: expected capacity, operationally-available, " +
      'operationally-available-by-location, got "Capacity"',
  );
  assert.equal(
    refused({ ...ok, report: "operationally-available-by-location", source: SOURCE }, families),
    "export --report: no selected source publishes operationally-available-by-location " +
      "(they publish operationally-available)",
  );
  const view = parseExportRequest(
    { ...ok, to: ok.from, cycles: "0", report: "capacity" },
    families,
  );
  assert.equal(view.relation.table, "capacity");
  assert.deepEqual([view.selection.sources, view.selection.assets], [
    [SOURCE, "pepl"],
    ["TW", "PEPL"],
  ]);
  assert.equal(view.withPair, true, "the view's rows are no file's: always with their pair");
  const onlyView = parseExportRequest(
    { ...ok, to: ok.from, cycles: "0", report: "capacity", source: SOURCE },
    families,
  );
  assert.deepEqual([onlyView.pairs, onlyView.withPair], [1, true]);
  const messenger = parseExportRequest(
    { ...ok, to: ok.from, cycles: "0", report: "operationally-available-by-location" },
    families,
  );
  assert.deepEqual(
    [messenger.relation.table, messenger.selection.sources, messenger.withPair],
    ["messenger_capacity", ["pepl"], false],
  );
  const both = parseExportRequest({ ...ok, asset: "TW,FGT" }, more({ name: "fgt", asset: "FGT" }));
  assert.deepEqual([both.selection.sources, both.selection.assets], [
    [SOURCE, "fgt"],
    ["TW", "FGT"],
  ]);
});

Deno.test("export --as-of: an instant, or a wall-clock time in the configured zone", () => {
  const zone = "America/Chicago";
  assert.equal(parseAsOf("2024-01-16T17:20", zone), "2024-01-16T23:20:00Z", "Central time");
  assert.equal(parseAsOf("2024-07-16 17:20:30", zone), "2024-07-16T22:20:30Z", "daylight time");
  assert.equal(parseAsOf("2024-01-16T23:20:00Z", zone), "2024-01-16T23:20:00Z");
  assert.equal(parseAsOf("2024-01-16T17:20-06:00", zone), "2024-01-16T23:20:00Z");
  assert.equal(parseAsOf("2024-01-16T17:20:00.25+0000", "UTC"), "2024-01-16T17:20:00.25Z");
  assert.equal(parseAsOf("2024-01-16T17:20", "UTC"), "2024-01-16T17:20:00Z");
  const bad = (text: string) => {
    try {
      parseAsOf(text, zone);
    } catch (e) {
      assert.ok(e instanceof InvalidRequestError);
      return e.message;
    }
    assert.fail(`accepted ${text}`);
  };
  assert.equal(
    bad("2024-03-10T02:30"),
    "export --as-of: 2024-03-10T02:30 does not exist in America/Chicago (the clocks skip it going forward)",
  );
  assert.equal(
    bad("2024-11-03T01:30"),
    "export --as-of: 2024-11-03T01:30 happens twice in America/Chicago (the clocks go back); " +
      "give the offset: 2024-11-03T01:30-05:00 (the first) or 2024-11-03T01:30-06:00 (the second)",
  );
  assert.equal(
    bad("2024-02-30T10:00"),
    'export --as-of: "2024-02-30" is not a date: February 2024 has 29 days',
  );
  assert.match(bad("2024-01-16T24:00"), /"24:00:00" is not a time of day/);
  assert.match(bad("2024-01-16T10:00+25:00"), /"\+25:00" is not a UTC offset/);
  assert.match(bad("2024-01-16"), /expected an ISO instant .* or a local time in America\/Chicago/);
  assert.match(bad("1705447200"), /got "1705447200"/);
});

Deno.test("export on the command line: its options, and bad usage is exit 2 with one line", async () => {
  const a = parseCli([
    "export",
    "--from",
    "2024-01-16",
    "--to",
    "2024-01-17",
    "--asset",
    "TW",
    "--source",
    SOURCE,
    "--report",
    "capacity",
    "--as-of",
    "2024-01-16T17:20",
    "--format",
    "json",
    "-o",
    "x.json",
  ]);
  assert.deepEqual(
    [a.command, a.from, a.to, a.asset, a.source, a.report, a.asOf, a.format, a.output],
    [
      "export",
      "2024-01-16",
      "2024-01-17",
      "TW",
      SOURCE,
      "capacity",
      "2024-01-16T17:20",
      "json",
      "x.json",
    ],
  );
  const usage = (argv: string[]) => {
    try {
      parseCli(argv);
    } catch (e) {
      assert.ok(e instanceof UsageError);
      return e.message;
    }
    assert.fail(`accepted ${argv.join(" ")}`);
  };
  assert.equal(usage(["--format", "csv"]), "--format belongs to the export and sql commands");
  assert.equal(usage(["backfill", "--output", "x"]), "--output belongs to the export command");
  assert.equal(usage(["export", "--dry-run"]), "--dry-run belongs to the backfill command");
  assert.equal(usage(["--report", "capacity"]), "--report belongs to the export command");
  assert.match(usage(["export", "--once"]), /^export reads the database: --once does not apply/);
  assert.match(usage(["export", "--params", "cycle=1"]), /--params does not apply/);
  const errors: string[] = [];
  const code = await main([
    "export",
    "--from",
    "2024-01-17",
    "--to",
    "2024-01-16",
    "--format",
    "csv",
  ], {
    env: {},
    printError: (e) => errors.push(e),
    print: () => {},
    logWrite: () => {},
  });
  assert.equal(code, 2);
  assert.deepEqual(errors, [
    "tec-pipeline: export: --to 2024-01-16 is before --from 2024-01-17 (try 'tec-pipeline --help')",
  ]);
});

Deno.test("export --output: a directory that does not exist is exit 2 naming it, before the database", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tec-export-out-" });
  try {
    const errors: string[] = [];
    const out = `${dir}/missing/x.csv`;
    const code = await main(
      ["export", "--from", DAY, "--to", DAY, "--format", "csv", "--output", out],
      {
        // No database answers here: the output is judged first.
        env: { DB_PORT: "1", DATA_DIR: `${dir}/data`, LOG_FORMAT: "json" },
        printError: (e) => errors.push(e),
        print: () => {},
        logWrite: () => {},
      },
    );
    assert.equal(code, 2);
    assert.deepEqual(errors, [
      `tec-pipeline: export --output ${out}: its directory ${dir}/missing does not exist`,
    ]);
    const asDir = await main(
      ["export", "--from", DAY, "--to", DAY, "--format", "csv", "--output", dir],
      {
        env: { DB_PORT: "1", DATA_DIR: `${dir}/data` },
        printError: (e) => errors.push(e),
        print: () => {},
        logWrite: () => {},
      },
    );
    assert.equal(asDir, 2);
    assert.equal(errors.at(-1), `tec-pipeline: export --output ${dir}: is a directory`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Database.cursor's contract (src/db/database.ts), on the real server.

/** `p`, or a failure after `ms` (a connection left inside the cursor's transaction would hang). */
async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("cursor: batches of at most n rows, values as query returns them, none for an empty result", async () => {
  const t = await freshDatabase();
  try {
    const q = `SELECT g AS n, (g * 10000000000)::bigint AS big, date '2024-01-17' + g AS day,
                      CASE WHEN g % 2 = 0 THEN NULL ELSE 'x' END AS maybe
               FROM generate_series(1, $1::int) g ORDER BY g`;
    const sizes: number[] = [];
    const all: Record<string, unknown>[] = [];
    for await (const b of t.db.cursor<Record<string, unknown>>(q, [25], 10)) {
      sizes.push(b.length);
      all.push(...b);
    }
    assert.deepEqual(sizes, [10, 10, 5]);
    assert.deepEqual(all, await t.db.query(q, [25]), "the same values as query");
    assert.deepEqual(all[0], { n: 1, big: "10000000000", day: "2024-01-18", maybe: "x" });
    let batches = 0;
    for await (const _ of t.db.cursor(q, [0], 10)) batches++;
    assert.equal(batches, 0);
    assert.throws(() => t.db.cursor(q, [1], 0), RangeError);
  } finally {
    await t.drop();
  }
});

Deno.test("cursor: read only; leaving early closes it and ends the transaction", async () => {
  const t = await freshDatabase();
  // A pool of one connection on a server; the embedded engine is one session anyway.
  const one = testEngine() === "embedded"
    ? t.db
    : connectPostgres({ config: { ...t.config, maxConnections: 1 } });
  try {
    await assert.rejects(
      async () => {
        for await (const _ of one.cursor("CREATE TABLE nope AS SELECT $1::int AS a", [1], 10)) {
          // nothing
        }
      },
      (e: unknown) => e instanceof DatabaseError && e.code === "25006",
    );
    let seen = 0;
    for await (const b of one.cursor("SELECT g FROM generate_series(1, $1::int) g", [1e6], 100)) {
      seen += b.length;
      if (seen >= 300) break;
    }
    assert.equal(seen, 300);
    // The pool's one connection is free again, outside the cursor's read-only transaction.
    const [s] = await within(
      5000,
      one.query<{ ro: string }>(
        "SELECT current_setting('transaction_read_only') AS ro FROM (SELECT $1::int) x",
        [1],
      ),
    );
    assert.equal(s.ro, "off", "the cursor's transaction has ended");
    await assert.rejects(async () => {
      for await (const _ of one.cursor("SELECT g FROM generate_series(1, $1::int) g", [1e6], 100)) {
        throw new Error("consumer failed");
      }
    }, /consumer failed/);
    assert.deepEqual(await within(5000, one.query("SELECT 1 AS ok")), [{ ok: 1 }]);
  } finally {
    if (one !== t.db) await one.close();
    await t.drop();
  }
});

Deno.test(
  "cursor: a connection lost while the consumer holds a batch rejects, never a silent end" +
    SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const t = await freshDatabase();
    try {
      const q = "SELECT g, pg_backend_pid() AS pid FROM generate_series(1, $1::int) g";
      let rows = 0;
      await assert.rejects(async () => {
        for await (const b of t.db.cursor<{ g: number; pid: number }>(q, [100_000], 100)) {
          if (rows === 0) {
            const admin = connectPostgres({ config: adminConfig() });
            try {
              await admin.query("SELECT pg_terminate_backend($1::int)", [b[0].pid]);
            } finally {
              await admin.close();
            }
            // Held while the connection goes: the error must still reach the loop.
            await new Promise((r) => setTimeout(r, 200));
          }
          rows += b.length;
        }
      });
      assert.ok(rows < 100_000, `${rows} rows: the read did not complete`);
    } finally {
      await t.drop();
    }
  },
);

Deno.test("cursor: the server is asked for a batch only once the one before has been taken", async () => {
  const t = await freshDatabase();
  try {
    const q = `SELECT g, (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS made_ms
               FROM generate_series(1, $1::int) g`;
    const made: number[] = [];
    const taken: number[] = [];
    for await (const b of t.db.cursor<{ g: number; made_ms: number }>(q, [60], 10)) {
      made.push(b[0].made_ms);
      await new Promise((r) => setTimeout(r, 150));
      taken.push(Date.now());
    }
    assert.equal(made.length, 6);
    // One batch may be read ahead: batch k+2 is made only after the consumer finished batch k.
    for (let k = 0; k + 2 < made.length; k++) {
      assert.ok(
        made[k + 2] >= taken[k] - 5,
        `batch ${k + 2} made at ${made[k + 2]}, batch ${k} finished at ${taken[k]}`,
      );
    }
  } finally {
    await t.drop();
  }
});

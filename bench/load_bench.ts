/**
 * `deno task bench`: the real pipeline (parse, validate, COPY, merge) against
 * plain `COPY` of the same file into an identical table, measured in the same
 * run on the same database. Each size runs in its own process so peak RSS is
 * that size's own.
 *
 * Then the small-file case (`bench/small_files.ts`): `BENCH_SMALL_FILES`
 * real-size files (default 2000; 0 skips it) through the real load path, beside
 * a psql session doing `BEGIN; \copy; COMMIT` per file, in the same run.
 *
 * Then the versions case (`bench/versions.ts`): a revision changing 10 of 287
 * rows against a fresh load (`BENCH_VERSION_PAIRS` pairs, default 300), and
 * `rebuild` of a year of one pipeline (`BENCH_REBUILD_DAYS` days x 6 cycles,
 * default 365, i.e. 2,190 files) against loading it live. 0 skips either.
 *
 * Every size runs on both engines (`BENCH_ENGINES`, default `server,embedded`):
 * the embedded one (PGlite) against its own plain COPY, with the time to
 * create and reopen its store, and beside the server's fresh load.
 *
 * Then the dashboard case (`bench/dashboard.ts`): `BENCH_DASHBOARD_DAYS` days
 * (default 365: a year of all six cycles of TW, ~630k rows, generated in SQL)
 * and every page asked `BENCH_DASHBOARD_RUNS` times (default 20) through
 * `app.request`: median and worst ms per page against 200 ms. 0 days skips it.
 *
 * Environment: `BENCH_ROWS` (comma-separated sizes, default `10000,1000000`),
 * `BENCH_RUNS` (runs per measurement, median reported, default 3), and the
 * `TEST_PG_*` variables of the tests.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { writeTwFile } from "./generate.ts";
import { smallFilesReport, type SmallFilesResult } from "./small_files.ts";
import { versionsReport, type VersionsResult } from "./versions.ts";
import { dashboardReport, type DashboardResult } from "./dashboard.ts";
import { migrate } from "../src/db/migrate.ts";
import { loadFile } from "../src/load/load_file.ts";
import { findCycle } from "../src/domain/cycles.ts";
import { adminConfig } from "../tests/support/db.ts";
import { connectPostgres } from "../src/db/postgres.ts";
import { openEmbedded } from "../src/db/pglite.ts";
import type { Database } from "../src/db/database.ts";
import { FAMILY_A } from "../src/reports/family_a/report.ts";

type Engine = "server" | "embedded";

interface SizeResult {
  engine: Engine;
  rows: number;
  bytes: number;
  ceilingSeconds: number;
  freshSeconds: number;
  updateSeconds: number;
  unchangedSeconds: number;
  peakRssMb: number;
  /** Embedded: creating the store (initdb) and reopening it, in seconds. */
  createSeconds?: number;
  reopenSeconds?: number;
}

const DIR = ".bench";
const V8_FLAGS = Deno.env.get("BENCH_V8_FLAGS") ??
  "--max-old-space-size=64,--max-semi-space-size=8";

/** The two files of one size: the data, and the same keys with changed values. */
function files(rows: number): [string, string] {
  return [`${DIR}/tw_${rows}_a.csv`, `${DIR}/tw_${rows}_b.csv`];
}

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of (await Deno.open(path)).readable) h.update(c);
  return h.digest("hex");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** An empty database of `engine`; for the embedded one, its create and reopen times too. */
async function benchDatabase(engine: Engine): Promise<{
  db: Database;
  drop: () => Promise<void>;
  createSeconds?: number;
  reopenSeconds?: number;
}> {
  if (engine === "embedded") {
    const dir = await Deno.makeTempDir({ prefix: "tec-bench-pg-" });
    const createSeconds = await timed(async () => await (await openEmbedded({ dir })).close());
    let db: Database | undefined;
    const reopenSeconds = await timed(async () => (db = await openEmbedded({ dir })));
    return {
      db: db!,
      createSeconds,
      reopenSeconds,
      drop: async () => {
        await db!.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
  }
  const name = `tec_bench_${Deno.pid}`;
  const admin = connectPostgres({ config: adminConfig() });
  await admin.query(`CREATE DATABASE ${name}`);
  const db = connectPostgres({ config: { ...adminConfig(name), maxConnections: 2 } });
  return {
    db,
    drop: async () => {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

/** Runs in the child: one size on one engine, everything measured here. */
async function child(
  engine: Engine,
  rows: number,
  runs: number,
  shaA: string,
  shaB: string,
): Promise<SizeResult> {
  // Peak RSS is sampled only while the pipeline loads: the ceiling COPY and the
  // file hashing around it are not the pipeline's memory.
  let peak = 0;
  let measuring = false;
  const sample = () => {
    if (measuring) peak = Math.max(peak, Deno.memoryUsage().rss);
  };
  const sampler = setInterval(sample, 20);
  const pipelineRun = async (fn: () => Promise<void>) => {
    measuring = true;
    try {
      await fn();
    } finally {
      sample();
      measuring = false;
    }
  };
  const [fileA, fileB] = files(rows);
  const bytes = (await Deno.stat(fileA)).size;

  const store = await benchDatabase(engine);
  const db = store.db;
  const fresh: number[] = [];
  const update: number[] = [];
  const unchanged: number[] = [];
  const ceiling: number[] = [];
  try {
    await migrate(db, { schema: "staging" });
    const timely = findCycle("timely")!;
    const req = (path: string, sha: string, force = false) => ({
      schema: "staging",
      report: FAMILY_A,
      source: "bench",
      asset: "TW",
      gasDay: "2024-01-17",
      cycle: timely,
      url: `file://${path}`,
      sha256: sha,
      bytes,
      force,
      onStep: Deno.env.get("BENCH_TRACE")
        ? (name: string, s: number) =>
          console.error(
            `  ${rows} ${name}: ${s.toFixed(3)} s, rss ${
              (Deno.memoryUsage().rss / 1e6).toFixed(0)
            } MB`,
          )
        : undefined,
      open: async () => (await Deno.open(path)).readable,
    });
    for (let r = 0; r < runs; r++) {
      await db.query("TRUNCATE staging.operational_capacity");
      peak = Math.max(peak, Deno.memoryUsage().rss);
      fresh.push(
        await timed(() =>
          pipelineRun(async () => {
            const o = await loadFile(db, req(fileA, shaA, true));
            if (o.status !== "loaded" || o.counts.inserted !== rows) {
              throw new Error(`fresh: ${JSON.stringify(o)}`);
            }
          })
        ),
      );
      update.push(
        await timed(() =>
          pipelineRun(async () => {
            const o = await loadFile(db, req(fileB, shaB, true));
            if (o.status !== "loaded" || o.counts.updated + o.counts.unchanged !== rows) {
              throw new Error(`update: ${JSON.stringify(o)}`);
            }
          })
        ),
      );
      unchanged.push(
        await timed(() =>
          pipelineRun(async () => {
            const o = await loadFile(db, req(fileB, shaB, true));
            if (o.status !== "loaded" || o.counts.unchanged !== rows) {
              throw new Error(`unchanged: ${JSON.stringify(o)}`);
            }
          })
        ),
      );
      await db.query("VACUUM staging.operational_capacity").catch(() => {});
    }
    // The ceiling: the same bytes, no parsing in JS, into an identical table.
    await db.query(
      "CREATE TABLE staging.ceiling (LIKE staging.operational_capacity INCLUDING ALL)",
    );
    await db.query(
      `ALTER TABLE staging.ceiling ALTER asset SET DEFAULT 'TW', ALTER source SET DEFAULT 'bench',
      ALTER gas_day SET DEFAULT '2024-01-17', ALTER cycle SET DEFAULT 'Timely', ALTER load_id SET DEFAULT 0`,
    );
    for (let r = 0; r < runs; r++) {
      await db.query("TRUNCATE staging.ceiling");
      ceiling.push(
        await timed(() =>
          db.transaction(async (tx) => {
            await tx.copyIn(
              `COPY staging.ceiling (loc, loc_zn, loc_name, loc_purp_desc, loc_qti, flow_ind, dc, opc, tsq, oac,
               it, auth_overrun_ind, nom_cap_exceed_ind, all_qty_avail, qty_reason) FROM STDIN (FORMAT csv, HEADER true)`,
              (await Deno.open(fileA)).readable,
            );
          })
        ),
      );
    }
    const [{ n }] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM staging.ceiling");
    if (n !== rows) throw new Error(`ceiling loaded ${n} rows, expected ${rows}`);
  } finally {
    clearInterval(sampler);
    await store.drop();
  }
  return {
    engine,
    createSeconds: store.createSeconds,
    reopenSeconds: store.reopenSeconds,
    rows,
    bytes,
    ceilingSeconds: median(ceiling),
    freshSeconds: median(fresh),
    updateSeconds: median(update),
    unchangedSeconds: median(unchanged),
    peakRssMb: peak / 1e6,
  };
}

/** Run `script` (beside this file) in a process of its own under the program's heap bounds; its JSON answer. */
async function runCase<T>(script: string, args: string[], what: string): Promise<T> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      // The same heap bounds as `deno task start` and the compiled binary.
      `--v8-flags=${V8_FLAGS}`,
      new URL(script, import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`the ${what} benchmark failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** One size on one engine, in a process of its own under the program's heap bounds. */
function runChild(
  engine: Engine,
  rows: number,
  runs: number,
  shaA: string,
  shaB: string,
): Promise<SizeResult> {
  return runCase(
    "./load_bench.ts",
    ["--child", engine, String(rows), String(runs), shaA, shaB],
    `${rows} rows (${engine})`,
  );
}

async function orchestrate(): Promise<void> {
  const sizes = (Deno.env.get("BENCH_ROWS") ?? "10000,1000000").split(",").map(Number);
  const runs = Number(Deno.env.get("BENCH_RUNS") ?? 3);
  const engines = (Deno.env.get("BENCH_ENGINES") ?? "server,embedded").split(",") as Engine[];
  for (const e of engines) {
    if (e !== "server" && e !== "embedded") throw new Error(`BENCH_ENGINES: unknown engine ${e}`);
  }
  const results: SizeResult[] = [];
  await Deno.mkdir(DIR, { recursive: true });
  for (const rows of sizes) {
    // Generated here, not in the child, so the child's peak RSS is the pipeline's own.
    const [a, b] = files(rows);
    await writeTwFile(a, rows, 0);
    await writeTwFile(b, rows, 1);
    // Hashed here too: a child that hashed 230 MB first would start the loads with a grown heap.
    const [shaA, shaB] = [await sha256File(a), await sha256File(b)];
    for (const engine of engines) {
      results.push(await runChild(engine, rows, runs, shaA, shaB));
    }
    await Deno.remove(a);
    await Deno.remove(b);
  }
  for (const line of sizesReport(results, runs)) console.log(line);
  const smallFiles = await smallFilesCase();
  if (smallFiles) { for (const line of smallFilesReport(smallFiles)) console.log(line); }
  const versions = await versionsCase();
  if (versions) { for (const line of versionsReport(versions)) console.log(line); }
  const dashboard = await dashboardCase();
  if (dashboard) { for (const line of dashboardReport(dashboard)) console.log(line); }
  await Deno.mkdir(DIR, { recursive: true });
  await Deno.writeTextFile(
    `${DIR}/results.json`,
    JSON.stringify({ results, smallFiles, versions, dashboard }, null, 2),
  );
}

/** The size table (both engines), the server's targets and the embedded engine beside it. */
function sizesReport(results: SizeResult[], runs: number): string[] {
  const rate = (rows: number, s: number) =>
    Math.round(rows / s).toLocaleString("en-US").padStart(9);
  const out = [
    `\ntec-pipeline load benchmark (median of ${runs}; rows/s; ratio = rows/s ÷ ceiling rows/s)`,
    "engine    rows       MB    ceiling COPY   fresh load (ratio)   update (ratio)      unchanged (ratio)   peak RSS",
  ];
  for (const r of results) {
    const c = r.rows / r.ceilingSeconds;
    const ratio = (s: number) => (r.rows / s / c).toFixed(2);
    out.push(
      `${r.engine.padEnd(9)} ${String(r.rows).padEnd(9)} ${
        (r.bytes / 1e6).toFixed(1).padStart(5)
      } ${rate(r.rows, r.ceilingSeconds)}      ${rate(r.rows, r.freshSeconds)} (${
        ratio(r.freshSeconds)
      })    ${rate(r.rows, r.updateSeconds)} (${ratio(r.updateSeconds)})   ${
        rate(r.rows, r.unchangedSeconds)
      } (${ratio(r.unchangedSeconds)})   ${r.peakRssMb.toFixed(0)} MB`,
    );
  }
  const server = results.filter((r) => r.engine === "server");
  if (server.length > 0) out.push(...serverTargets(server));
  for (const e of results.filter((r) => r.engine === "embedded")) {
    const s = server.find((r) => r.rows === e.rows);
    const beside = s ? `, ${(s.freshSeconds / e.freshSeconds).toFixed(2)} x the server's` : "";
    out.push(
      `  embedded fresh load at ${e.rows} rows: ${
        rate(e.rows, e.freshSeconds).trim()
      } rows/s${beside}; ` +
        `store created in ${e.createSeconds?.toFixed(2)} s, reopened in ${
          e.reopenSeconds?.toFixed(2)
        } s; peak RSS ${e.peakRssMb.toFixed(0)} MB`,
    );
  }
  return out;
}

/** The server engine's targets: the ratio to the ceiling, and memory flat in file size. */
function serverTargets(results: SizeResult[]): string[] {
  const big = results.reduce((a, b) => (b.rows > a.rows ? b : a));
  const small = results.reduce((a, b) => (b.rows < a.rows ? b : a));
  const freshRatio = big.ceilingSeconds / big.freshSeconds;
  return [
    "\ntargets (server):",
    `  fresh load >= 0.5 of ceiling at ${big.rows} rows: ${freshRatio.toFixed(2)} ${
      freshRatio >= 0.5 ? "PASS" : "MISS"
    }`,
    `  peak RSS < 200 MB: ${big.peakRssMb.toFixed(0)} MB ${big.peakRssMb < 200 ? "PASS" : "MISS"}`,
    `  RSS(${big.rows}) <= RSS(${small.rows}) + 50 MB: ${big.peakRssMb.toFixed(0)} <= ${
      (small.peakRssMb + 50).toFixed(0)
    } ${big.peakRssMb <= small.peakRssMb + 50 ? "PASS" : "MISS"}`,
  ];
}

/** The dashboard case, in a process of its own under the program's heap bounds. */
function dashboardCase(): Promise<DashboardResult | undefined> {
  const days = Number(Deno.env.get("BENCH_DASHBOARD_DAYS") ?? 365);
  const runs = Number(Deno.env.get("BENCH_DASHBOARD_RUNS") ?? 20);
  if (days <= 0) return Promise.resolve(undefined);
  return runCase("./dashboard.ts", [
    String(days),
    String(Math.max(runs, 1)),
    Deno.env.get("BENCH_DASHBOARD_ENGINE") ?? "server",
  ], "dashboard");
}

/** The versions case, in a process of its own under the program's heap bounds. */
function versionsCase(): Promise<VersionsResult | undefined> {
  const pairs = Number(Deno.env.get("BENCH_VERSION_PAIRS") ?? 300);
  const days = Number(Deno.env.get("BENCH_REBUILD_DAYS") ?? 365);
  if (pairs <= 0 && days <= 0) return Promise.resolve(undefined);
  return runCase(
    "./versions.ts",
    [String(Math.max(pairs, 1)), String(Math.max(days, 1))],
    "versions",
  );
}

/** The small-file case, in a process of its own under the program's heap bounds. */
function smallFilesCase(): Promise<SmallFilesResult | undefined> {
  const files = Number(Deno.env.get("BENCH_SMALL_FILES") ?? 2000);
  if (files <= 0) return Promise.resolve(undefined);
  return runCase("./small_files.ts", [
    `${DIR}/small`,
    String(files),
    Deno.env.get("BENCH_ENGINES") ?? "server,embedded",
  ], "small-file");
}

if (import.meta.main) {
  if (Deno.args[0] === "--child") {
    const [engine, rows, runs, shaA, shaB] = Deno.args.slice(1);
    console.log(
      JSON.stringify(await child(engine as Engine, Number(rows), Number(runs), shaA, shaB)),
    );
  } else {
    await orchestrate();
  }
}

/**
 * The small-file case of `deno task bench`: real-size files (287 rows, as TW
 * posts them) loaded one after another through the real load path, against a
 * psql session doing `BEGIN; \copy; COMMIT` per file on the same files into an
 * identical table, in the same run. Per-file cost matters as much as rows per
 * second: a year of one pipeline is 2,190 such files.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { HEADER, row } from "./generate.ts";
import { migrate } from "../src/db/migrate.ts";
import { loadFile } from "../src/load/load_file.ts";
import { findCycle } from "../src/domain/cycles.ts";
import { addDays } from "../src/domain/gas_day.ts";
import { adminConfig } from "../tests/support/db.ts";
import { connectPostgres } from "../src/db/postgres.ts";
import { openEmbedded } from "../src/db/pglite.ts";
import type { Database } from "../src/db/database.ts";
import { FAMILY_A } from "../src/reports/family_a/report.ts";

/** Rows of a real TW file (2024-01-17). */
export const REAL_ROWS = 287;

/** What the small-file case measured. */
export interface SmallFilesResult {
  files: number;
  rows: number;
  /** psql `BEGIN; \copy; COMMIT` per file, ms per file (mean over the session). */
  psqlMsPerFile: number;
  /** The pipeline's load of one file, median ms. */
  pipelineMedianMs: number;
  /** The pipeline's load of one file, 95th percentile ms. */
  pipelineP95Ms: number;
  /** Files per second through the pipeline (all files, one after another). */
  pipelineFilesPerSecond: number;
  /** The same files into the embedded engine (PGlite), median and p95 ms, when measured. */
  embeddedMedianMs?: number;
  embeddedP95Ms?: number;
}

/** Write `files` real-size files whose locations never repeat across files. */
export async function writeSmallFiles(dir: string, files: number): Promise<string[]> {
  await Deno.mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (let f = 0; f < files; f++) {
    let text = HEADER;
    // An even offset keeps each delivery/receipt pair of a location together.
    for (let i = 0; i < REAL_ROWS; i++) text += row(f * (REAL_ROWS + 1) + i, 0);
    const path = `${dir}/small_${f}.csv`;
    await Deno.writeTextFile(path, text);
    paths.push(path);
  }
  return paths;
}

const COLUMNS = "loc, loc_zn, loc_name, loc_purp_desc, loc_qti, flow_ind, dc, opc, tsq, oac, " +
  "it, auth_overrun_ind, nom_cap_exceed_ind, all_qty_avail, qty_reason";

async function psqlBaseline(dbName: string, paths: string[]): Promise<number> {
  const c = adminConfig(dbName);
  const script = paths.map((p) =>
    `BEGIN;\n\\copy staging.small_ceiling (${COLUMNS}) FROM '${p}' WITH (FORMAT csv, HEADER true)\nCOMMIT;\n`
  ).join("");
  const file = await Deno.makeTempFile({ suffix: ".sql" });
  await Deno.writeTextFile(file, script);
  const t0 = performance.now();
  const out = await new Deno.Command("psql", {
    args: [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      c.host,
      "-p",
      String(c.port),
      "-U",
      c.user,
      "-d",
      dbName,
      "-f",
      file,
    ],
    env: c.password ? { PGPASSWORD: c.password.reveal() } : {},
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  await Deno.remove(file);
  if (!out.success) throw new Error(`psql: ${new TextDecoder().decode(out.stderr)}`);
  return (seconds * 1000) / paths.length;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function quantiles(ms: number[]): { median: number; p95: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)],
    p95: sorted[Math.floor(sorted.length * 0.95)],
  };
}

/** Load every file as a new pair, one after another; ms per file. */
async function loadAll(db: Database, paths: string[]): Promise<number[]> {
  const timely = findCycle("timely")!;
  const ms: number[] = [];
  for (const [k, path] of paths.entries()) {
    const bytes = await Deno.readFile(path);
    const started = performance.now();
    const o = await loadFile(db, {
      schema: "staging",
      report: FAMILY_A,
      source: "bench",
      asset: "TW",
      gasDay: addDays("2020-01-01", k),
      cycle: timely,
      url: `file://${path}`,
      sha256: sha256(bytes),
      bytes: bytes.length,
      open: () => Promise.resolve(new Blob([bytes]).stream()),
    });
    ms.push(performance.now() - started);
    if (o.status !== "loaded" || o.counts.inserted !== REAL_ROWS) {
      throw new Error(`small file ${k}: ${JSON.stringify(o)}`);
    }
  }
  return ms;
}

/** The same files into a new embedded store. */
async function embeddedLoads(paths: string[]): Promise<number[]> {
  const dir = await Deno.makeTempDir({ prefix: "tec-bench-small-pg-" });
  const db = await openEmbedded({ dir });
  try {
    await migrate(db, { schema: "staging" });
    return await loadAll(db, paths);
  } finally {
    await db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs in its own process: both sides on one fresh database. */
export async function smallFiles(
  paths: string[],
  embeddedToo: boolean,
): Promise<SmallFilesResult> {
  const name = `tec_bench_small_${Deno.pid}`;
  const admin = connectPostgres({ config: adminConfig() });
  await admin.query(`CREATE DATABASE ${name}`);
  const db = connectPostgres({ config: { ...adminConfig(name), maxConnections: 2 } });
  try {
    await migrate(db, { schema: "staging" });
    await db.query(
      "CREATE TABLE staging.small_ceiling (LIKE staging.operational_capacity INCLUDING ALL)",
    );
    await db.query(
      `ALTER TABLE staging.small_ceiling ALTER asset SET DEFAULT 'TW', ALTER source SET DEFAULT 'bench',
      ALTER gas_day SET DEFAULT '2024-01-17', ALTER cycle SET DEFAULT 'Timely', ALTER load_id SET DEFAULT 0`,
    );
    const psqlMsPerFile = await psqlBaseline(name, paths);
    const t0 = performance.now();
    const ms = await loadAll(db, paths);
    const total = (performance.now() - t0) / 1000;
    const embedded = embeddedToo ? quantiles(await embeddedLoads(paths)) : undefined;
    return {
      files: paths.length,
      rows: REAL_ROWS,
      psqlMsPerFile,
      pipelineMedianMs: quantiles(ms).median,
      pipelineP95Ms: quantiles(ms).p95,
      pipelineFilesPerSecond: paths.length / total,
      embeddedMedianMs: embedded?.median,
      embeddedP95Ms: embedded?.p95,
    };
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
}

/** The lines of the report. */
export function smallFilesReport(r: SmallFilesResult): string[] {
  const ratio = r.psqlMsPerFile / r.pipelineMedianMs;
  return [
    `\nsmall files: ${r.files} files of ${r.rows} rows, one after another`,
    `  psql BEGIN; \\copy; COMMIT per file: ${r.psqlMsPerFile.toFixed(2)} ms/file (${
      (1000 / r.psqlMsPerFile).toFixed(0)
    } files/s)`,
    `  pipeline (loadFile): median ${r.pipelineMedianMs.toFixed(2)} ms/file, p95 ${
      r.pipelineP95Ms.toFixed(2)
    } ms, ${r.pipelineFilesPerSecond.toFixed(0)} files/s`,
    `  targets: median <= 5 ms: ${r.pipelineMedianMs <= 5 ? "PASS" : "MISS"}; ` +
    `>= 0.5 of the psql per-file rate: ${ratio.toFixed(2)} ${ratio >= 0.5 ? "PASS" : "MISS"}`,
    ...(r.embeddedMedianMs === undefined ? [] : [
      `  embedded engine (loadFile into PGlite): median ${
        r.embeddedMedianMs.toFixed(2)
      } ms/file, ` +
      `p95 ${r.embeddedP95Ms!.toFixed(2)} ms`,
    ]),
  ];
}

if (import.meta.main) {
  const [dir, files, engines] = Deno.args;
  const paths = await writeSmallFiles(dir, Number(files));
  console.log(JSON.stringify(await smallFiles(paths, (engines ?? "").includes("embedded"))));
  await Deno.remove(dir, { recursive: true });
}

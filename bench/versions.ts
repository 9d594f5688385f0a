/**
 * The versions case of `deno task bench`, in a process of its own under the
 * program's heap bounds:
 *
 * - **revision**: a real-size file (287 rows) loaded into a new pair, then a
 *   revision of it that changes 10 rows, pair after pair: the revision's
 *   median cost against the fresh load's, measured in the same run (target:
 *   at most 2x);
 * - **rebuild**: a year of one pipeline (365 days x 6 cycles = 2,190 files,
 *   each a pair of its own) archived and loaded live, then `rebuild` of all of
 *   it from the archive: its time against the live loads' (target: under a
 *   minute).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { HEADER, row } from "./generate.ts";
import { REAL_ROWS } from "./small_files.ts";
import { migrate } from "../src/db/migrate.ts";
import { loadFile, type LoadRequest } from "../src/load/load_file.ts";
import { CYCLES, findCycle } from "../src/domain/cycles.ts";
import { addDays } from "../src/domain/gas_day.ts";
import { adminConfig } from "../tests/support/db.ts";
import { connectPostgres } from "../src/db/postgres.ts";
import type { Database } from "../src/db/database.ts";
import { FAMILY_A } from "../src/reports/family_a/report.ts";
import { loadConfig } from "../src/config/load.ts";
import { RawArchive } from "../src/archive/raw_archive.ts";
import { Logger } from "../src/log/logger.ts";
import { type PipelineContext, replayFile } from "../src/pipeline/process_pair.ts";
import { rebuild } from "../src/pipeline/rebuild.ts";

/** What the versions case measured. */
export interface VersionsResult {
  /** Pairs in the revision case. */
  pairs: number;
  /** Fresh load of a 287-row file, median ms. */
  freshMedianMs: number;
  /** Its revision changing 10 rows, median ms. */
  revisionMedianMs: number;
  /** Files in the rebuild case. */
  files: number;
  /** Loading them live (one after another), seconds. */
  liveSeconds: number;
  /** Rebuilding all of them from the archive, seconds. */
  rebuildSeconds: number;
}

const CHANGED_ROWS = 10;

function fileText(variant: number, changed = 0): string {
  let text = HEADER;
  // Rows 1..changed: row 0 has no quantities to change (every 25th is unavailable).
  for (let i = 0; i < REAL_ROWS; i++) {
    text += row(i, i >= 1 && i <= changed ? variant + 1 : variant);
  }
  return text;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function request(text: string, gasDay: string): LoadRequest {
  const bytes = new TextEncoder().encode(text);
  return {
    schema: "staging",
    report: FAMILY_A,
    source: "tw-oac",
    asset: "TW",
    gasDay,
    cycle: findCycle("timely")!,
    url: "file://bench",
    sha256: createHash("sha256").update(bytes).digest("hex"),
    bytes: bytes.length,
    open: () => Promise.resolve(new Blob([bytes]).stream()),
  };
}

async function revisions(db: Database, pairs: number) {
  const [v1, v2] = [fileText(0), fileText(0, CHANGED_ROWS)];
  const fresh: number[] = [];
  const revised: number[] = [];
  for (let k = 0; k < pairs; k++) {
    const day = addDays("2010-01-01", k);
    let t0 = performance.now();
    const a = await loadFile(db, request(v1, day));
    fresh.push(performance.now() - t0);
    t0 = performance.now();
    const b = await loadFile(db, request(v2, day));
    revised.push(performance.now() - t0);
    if (a.status !== "loaded" || b.status !== "loaded" || b.counts.updated !== CHANGED_ROWS) {
      throw new Error(`revision ${k}: ${JSON.stringify([a, b])}`);
    }
  }
  return { freshMedianMs: median(fresh), revisionMedianMs: median(revised) };
}

/** A year of one pipeline into the archive, with a request record each. */
async function archiveYear(archive: RawArchive, days: number) {
  const files: { gasDay: string; cycle: number; sha256: string; path: string }[] = [];
  for (let d = 0; d < days; d++) {
    for (const [c, cycle] of CYCLES.entries()) {
      const body = new Blob([fileText(d * 6 + c)]).stream();
      const stored = await archive.store(body, { maxBytes: 1 << 20, prefixBytes: 4096 });
      const gasDay = addDays("2024-01-01", d);
      await archive.recordRequest(stored.sha256, {
        url: "http://bench/ipost",
        source: "tw-oac",
        asset: "TW",
        gasDay,
        cycle: cycle.code,
        status: 200,
        headers: {},
        fetchedAt: new Date(Date.UTC(2024, 0, 1 + d, c * 3)).toISOString(),
      });
      files.push({ gasDay, cycle: cycle.code, sha256: stored.sha256, path: stored.path });
    }
  }
  return files;
}

async function rebuildYear(db: Database, days: number) {
  const dir = await Deno.makeTempDir({ prefix: "tec-bench-archive-" });
  try {
    const { config } = await loadConfig({
      env: { DB_SCHEMA: "staging" },
      readTextFile: () => Promise.reject(new Deno.errors.NotFound("none")),
    });
    const log = new Logger({ level: "error", format: "json", write: () => {} });
    const ctx: PipelineContext = { config, db, archive: new RawArchive(dir), log };
    const files = await archiveYear(ctx.archive, days);
    let t0 = performance.now();
    for (const f of files) {
      const job = {
        source: config.sources[0],
        gasDay: f.gasDay,
        cycle: findCycle(String(f.cycle))!,
      };
      const o = await replayFile(ctx, job, f.path);
      if (o.status !== "loaded") throw new Error(`live ${f.gasDay}: ${JSON.stringify(o)}`);
    }
    const liveSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const s = await rebuild(ctx);
    const rebuildSeconds = (performance.now() - t0) / 1000;
    if (s.rebuilt !== files.length || s.files.loaded !== files.length) {
      throw new Error(`rebuild: ${JSON.stringify(s)}`);
    }
    return { files: files.length, liveSeconds, rebuildSeconds };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Both cases on one fresh database. */
export async function versions(pairs: number, days: number): Promise<VersionsResult> {
  const name = `tec_bench_versions_${Deno.pid}`;
  const admin = connectPostgres({ config: adminConfig() });
  await admin.query(`CREATE DATABASE ${name}`);
  const db = connectPostgres({ config: { ...adminConfig(name), maxConnections: 2 } });
  try {
    await migrate(db, { schema: "staging" });
    const r = await revisions(db, pairs);
    await db.query("TRUNCATE staging.operational_capacity, staging.operational_capacity_retired");
    return { pairs, ...r, ...(await rebuildYear(db, days)) };
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
}

/** The lines of the report. */
export function versionsReport(r: VersionsResult): string[] {
  const ratio = r.revisionMedianMs / r.freshMedianMs;
  return [
    `\nversions: ${r.pairs} pairs of ${REAL_ROWS} rows, each loaded then revised (${CHANGED_ROWS} rows changed)`,
    `  fresh load: median ${r.freshMedianMs.toFixed(2)} ms; revision: median ${
      r.revisionMedianMs.toFixed(2)
    } ms; revision / fresh ${ratio.toFixed(2)} (target <= 2: ${ratio <= 2 ? "PASS" : "MISS"})`,
    `rebuild: ${r.files} archived files (a year of one pipeline), one pair each`,
    `  live loads ${r.liveSeconds.toFixed(1)} s; rebuild from the archive ${
      r.rebuildSeconds.toFixed(1)
    } s (${(r.rebuildSeconds / r.liveSeconds).toFixed(2)} x live; target < 60 s: ${
      r.rebuildSeconds < 60 ? "PASS" : "MISS"
    })`,
  ];
}

if (import.meta.main) {
  const [pairs, days] = Deno.args.map(Number);
  console.log(JSON.stringify(await versions(pairs, days)));
}

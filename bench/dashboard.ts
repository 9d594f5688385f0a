/**
 * The dashboard case of `deno task bench`: a year of all six cycles of TW
 * (365 days x 6 cycles x 287 locations = 628,530 rows, with a ledger row per
 * pair, revisions on every Final, quarantined rows and poll state) generated
 * in SQL straight into the tables (seconds, not the hours of a live load),
 * then every page asked through `app.request()` (server side: routing,
 * validation, the read-only transaction, the queries, the rendering), each
 * `runs` times after a warm-up: median and worst per page, against the
 * 200 ms target.
 *
 * Run alone: `deno run --allow-all bench/dashboard.ts DAYS RUNS [server|embedded]`.
 *
 * @module
 */
import { migrate } from "../src/db/migrate.ts";
import { adminConfig } from "../tests/support/db.ts";
import { connectPostgres } from "../src/db/postgres.ts";
import { openEmbedded } from "../src/db/pglite.ts";
import type { Database } from "../src/db/database.ts";
import { loadConfig } from "../src/config/load.ts";
import { addDays } from "../src/domain/gas_day.ts";
import { createWebApp } from "../src/web/app.ts";
import { webDeps } from "../src/web/deps.ts";

/** Locations per file, as TW posts (searchType=ALL). */
export const LOCATIONS = 287;

/** What the dashboard case measured. */
export interface DashboardResult {
  /** Engine. */
  engine: string;
  /** Gas days generated. */
  days: number;
  /** Rows in the capacity table. */
  rows: number;
  /** Seconds to generate them. */
  generateSeconds: number;
  /** Requests per page. */
  runs: number;
  /** Per page: its URL, median and worst ms. */
  pages: { name: string; url: string; medianMs: number; maxMs: number; status: number }[];
}

const FIRST_DAY = "2024-01-01";

/** The year, in SQL: the ledger, the rows, revisions, quarantine, poll state. */
export async function generateYear(db: Database, days: number): Promise<number> {
  const last = addDays(FIRST_DAY, days - 1);
  await db.query(
    `INSERT INTO staging.load_ledger (source, report, asset, gas_day, cycle, url, sha256, bytes,
       rows_read, inserted, status, started_at, finished_at, first_seen_at, last_seen_at)
     SELECT 'tw-oac', 'operationally-available', 'TW', d::date, y.name, 'http://bench',
       md5(d::text || y.name) || md5(y.name || d::text), 60000, ${LOCATIONS}, ${LOCATIONS},
       'loaded', p, p, p, p
     FROM generate_series($1::date, $2::date, interval '1 day') d CROSS JOIN staging.cycles y,
       LATERAL (SELECT ((d::date + y.day_offset) + make_time(y.hour, y.minute, 0))
                  AT TIME ZONE 'America/Chicago' + interval '7 minutes' AS p) t`,
    [FIRST_DAY, last],
  );
  await db.query(
    `INSERT INTO staging.operational_capacity (asset, gas_day, cycle, source, loc, loc_zn, loc_name,
       loc_purp_desc, loc_qti, flow_ind, dc, opc, tsq, oac, it, auth_overrun_ind,
       nom_cap_exceed_ind, all_qty_avail, qty_reason, load_id, first_loaded_at, updated_at)
     SELECT l.asset, l.gas_day, l.cycle, l.source, (100000 + i)::text,
       (ARRAY['WEST TEXAS','PANHANDLE','CENTRAL','EAST OF THOREAU','WEST OF THOREAU'])[i % 5 + 1],
       'POINT ' || (100000 + i) || CASE WHEN i % 2 = 0 THEN '  DEL' ELSE '  REC' END,
       CASE WHEN i % 2 = 0 THEN 'MQ' ELSE 'M2' END, CASE WHEN i % 2 = 0 THEN 'DPQ' ELSE 'RPQ' END,
       CASE WHEN i % 2 = 0 THEN 'D' ELSE 'R' END,
       q.dc, q.dc, q.tsq, q.dc - q.tsq, 'N', 'N', 'N', 'Y', '', l.load_id, l.started_at, l.started_at
     FROM staging.load_ledger l CROSS JOIN generate_series(0, ${LOCATIONS - 1}) i,
       LATERAL (SELECT 1000 + (i * 37) % 850000 AS dc) c,
       LATERAL (SELECT c.dc, ((i * 13 + l.load_id * 7) % c.dc)::bigint AS tsq) q`,
  );
  // Every Final was posted twice: the first version's rows for one location in 29 are retired.
  await db.query(
    `INSERT INTO staging.operational_capacity_retired (asset, gas_day, cycle, source, loc, loc_zn,
       loc_name, loc_purp_desc, loc_qti, flow_ind, dc, opc, tsq, oac, it, auth_overrun_ind,
       nom_cap_exceed_ind, all_qty_avail, qty_reason, load_id, valid_from, valid_to, load_id_to)
     SELECT asset, gas_day, cycle, source, loc, loc_zn, loc_name, loc_purp_desc, loc_qti, flow_ind,
       dc, opc, tsq + 1, oac - 1, it, auth_overrun_ind, nom_cap_exceed_ind, all_qty_avail,
       qty_reason, load_id, first_loaded_at - interval '2 hours', first_loaded_at, load_id
     FROM staging.operational_capacity WHERE cycle = 'Final' AND loc::int % 29 = 0`,
  );
  await db.query(
    `INSERT INTO staging.quarantine (load_id, source, report, asset, gas_day, cycle, sha256,
       line_no, raw_line, reason)
     SELECT load_id, source, report, asset, gas_day, cycle, sha256, 5, '"1","2"',
       'expected 15 fields, got 2'
     FROM staging.load_ledger WHERE cycle = 'Intraday 2'`,
  );
  await db.query(
    `INSERT INTO staging.poll_state (source, report, asset, gas_day, cycle, status, next_check_at)
     SELECT source, report, asset, gas_day, cycle, 'loaded', now() FROM staging.load_ledger
     WHERE gas_day > $1::date - 3`,
    [last],
  );
  await db.query("ANALYZE");
  const [{ n }] = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM staging.operational_capacity",
  );
  return n;
}

/** The pages, as an analyst opens them on the year's last days. */
function pages(last: string): { name: string; url: string }[] {
  const pair = `asset=TW&gas_day=${last}&cycle=final`;
  return [
    { name: "overview (10 days)", url: "/" },
    { name: "overview (92 days)", url: "/?days=92" },
    { name: "capacity (pair)", url: `/capacity?${pair}` },
    { name: "capacity (zone, sort by OAC)", url: `/capacity?${pair}&zone=CENTRAL&sort=oac` },
    { name: "capacity (name filter)", url: `/capacity?${pair}&name=point+1001` },
    { name: "capacity.csv", url: `/capacity.csv?${pair}` },
    { name: "location (31 days)", url: "/location?asset=TW&loc=100116" },
    {
      name: "location (366 days)",
      url: `/location?asset=TW&loc=100116&from=${addDays(last, -365)}&to=${last}`,
    },
    { name: "location.csv (31 days)", url: "/location.csv?asset=TW&loc=100116" },
  ];
}

async function openBench(engine: string): Promise<{ db: Database; close(): Promise<void> }> {
  if (engine === "embedded") {
    const dir = await Deno.makeTempDir({ prefix: "tec-bench-web-" });
    const db = await openEmbedded({ dir: `${dir}/pg` });
    return {
      db,
      async close() {
        await db.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
  }
  const name = `tec_bench_web_${Deno.pid}`;
  const admin = connectPostgres({ config: adminConfig() });
  await admin.query(`CREATE DATABASE ${name}`);
  const db = connectPostgres({ config: { ...adminConfig(name), maxConnections: 2 } });
  return {
    db,
    async close() {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

/** Generate `days` days and time every page `runs` times. */
export async function dashboard(
  days: number,
  runs: number,
  engine = "server",
): Promise<DashboardResult> {
  const { db, close } = await openBench(engine);
  try {
    await migrate(db, { schema: "staging" });
    const t0 = performance.now();
    const rows = await generateYear(db, days);
    const generateSeconds = (performance.now() - t0) / 1000;
    const { config } = await loadConfig({
      env: { DB_SCHEMA: "staging" },
      readTextFile: () => Promise.reject(new Deno.errors.NotFound("none")),
    });
    const last = addDays(FIRST_DAY, days - 1);
    const app = createWebApp(webDeps(config, db, () => new Date(`${addDays(last, 1)}T20:00:00Z`)), {
      onError: (e, path) => console.error(`${path}: ${e.message}`),
    });
    const out: DashboardResult["pages"] = [];
    for (const p of pages(last)) {
      const times: number[] = [];
      let status = 0;
      for (let r = 0; r <= runs; r++) {
        const s = performance.now();
        const res = await app.request(p.url);
        await res.arrayBuffer();
        status = res.status;
        if (r > 0) times.push(performance.now() - s); // the first is a warm-up
      }
      if (status !== 200) throw new Error(`${p.url}: status ${status}`);
      times.sort((a, b) => a - b);
      out.push({
        ...p,
        status,
        medianMs: times[Math.floor(times.length / 2)],
        maxMs: times.at(-1)!,
      });
    }
    return { engine, days, rows, generateSeconds, runs, pages: out };
  } finally {
    await close();
  }
}

/** The lines of the report. */
export function dashboardReport(r: DashboardResult): string[] {
  const lines = [
    `\ndashboard (${r.engine}): ${
      r.rows.toLocaleString("en-US")
    } rows (${r.days} days x 6 cycles x ${LOCATIONS}), generated in ${
      r.generateSeconds.toFixed(1)
    } s; each page ${r.runs} times through app.request (target: median < 200 ms)`,
  ];
  for (const p of r.pages) {
    lines.push(
      `  ${p.name.padEnd(30)} median ${p.medianMs.toFixed(1).padStart(7)} ms   max ${
        p.maxMs.toFixed(1).padStart(7)
      } ms   ${p.medianMs < 200 ? "PASS" : "MISS"}`,
    );
  }
  return lines;
}

if (import.meta.main) {
  const [days, runs, engine] = Deno.args;
  console.log(JSON.stringify(await dashboard(Number(days), Number(runs), engine ?? "server")));
}

/**
 * A database for the dashboard's tests, loaded by the program from the fake
 * site: deterministic TW files for two gas days and three cycles (quantities
 * move from cycle to cycle), a revision, a file with bad rows (quarantine), a
 * file that fails, and hostile location names. Also the dashboard app on it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { Config } from "../../src/config/schema.ts";
import { Secret } from "../../src/config/secret.ts";
import { createWebApp } from "../../src/web/app.ts";
import { type WebDeps, webDeps } from "../../src/web/deps.ts";
import { pairKey, startFakeIpost, TW_HEADER } from "./fake_ipost.ts";
import { freshDatabase, type TestDatabase } from "./db.ts";
import { programEnv, readFixture } from "./env.ts";
import type { Hono } from "hono";

/** Gas days loaded. */
export const DAYS = ["2024-01-16", "2024-01-17"] as const;
/** Cycle codes loaded per day (Timely, Evening, Final). */
export const CYCLE_CODES = [0, 1, 5] as const;
/** A name that would run if a page did not escape it. */
export const HOSTILE_NAME = "<script>alert(1)</script>";
/** A second one, breaking out of an attribute. */
export const HOSTILE_ATTR = `"><img src=x onerror=alert(2)>`;
/** The location whose OAC is near zero on every cycle. */
export const LOW_LOC = "700005";
/** The location with the hostile name. */
export const HOSTILE_LOC = "700003";
/** The database password the harness's configuration carries (must never be shown). */
export const DB_SECRET = "s3cr3t-Pa55w0rd-never-shown";

/** The variant of the revised file (the second day's Final, posted again). */
const REVISION = 17;

const ZONES = ["WEST TEXAS", "PANHANDLE", "CENTRAL", "EAST OF THOREAU", "WEST OF THOREAU"];
const LOCATIONS = 30;

function q(v: string | number | null): string {
  return v === null ? "" : `"${String(v).replaceAll('"', '""')}"`;
}

/** One file: `variant` moves scheduled quantities (0 Timely of day 0, 1 Evening, ...). */
export function twFile(variant: number): string {
  let text = TW_HEADER;
  for (let i = 0; i < LOCATIONS; i++) {
    const loc = String(700000 + i);
    const name = i === 3
      ? HOSTILE_NAME
      : i === 4
      ? HOSTILE_ATTR
      : i === 5
      ? "WEST TEXAS WATER SYSTEMS SALES"
      : `POINT ${i}  ${i % 2 ? "REC" : "DEL"}`;
    const flows = i === 6 ? ["D", "R"] : [i % 2 ? "R" : "D"];
    for (const flow of flows) {
      const opc = i === 5 ? 2500 : 10_000 + i * 1_000;
      const tsq = i === 5
        ? (variant === REVISION ? 2467 : 2467 - (variant % 7) * 5)
        : (i * 1237 + variant * 311 * (i % 3)) % opc;
      const missing = i === 9;
      const row = [
        loc,
        ZONES[i % ZONES.length],
        name,
        flow === "D" ? "MQ" : "M2",
        flow === "D" ? "DPQ" : "RPQ",
        flow,
        opc,
        missing ? null : opc,
        missing ? null : tsq,
        missing ? null : opc - tsq,
        "N",
        "N",
        "N",
        missing ? "N" : "Y",
        missing ? "Operating Capacity unavailable" : "",
      ];
      text += row.map((v) => (v === null ? "" : q(v))).join(",") + "\r\n";
    }
  }
  return text;
}

/** What the dashboard tests get. */
export interface DashboardFixture {
  /** The test database. */
  t: TestDatabase;
  /** The program's configuration (with {@linkcode DB_SECRET} as the database password). */
  config: Config;
  /** The app's dependencies. */
  deps: WebDeps;
  /** The app. */
  app: Hono;
  /** Errors the app reported (500s). */
  errors: Error[];
  /** The program's environment (the fake site, the database, the data directory). */
  env: Record<string, string>;
  /** Drop everything. */
  done(): Promise<void>;
}

/** Load the files through `tec-pipeline --once` against the fake site. */
async function loadAll(env: Record<string, string>, fake: ReturnType<typeof startFakeIpost>) {
  let variant = 0;
  for (const day of DAYS) {
    for (const code of CYCLE_CODES) {
      fake.script(pairKey("TW", day, code), [{ kind: "csv", body: twFile(variant++) }]);
    }
  }
  // Intraday 1 of the second day: bad rows (quarantined); Intraday 2: not a CSV (fails).
  fake.script(pairKey("TW", DAYS[1], 3), [{
    kind: "csv",
    body: await readFixture("tw_bad_rows.csv"),
  }]);
  const renamed = TW_HEADER.replace('"OAC"', '"OAC Total"') + twFile(0).split("\r\n")[1] + "\r\n";
  fake.script(pairKey("TW", DAYS[1], 4), [{ kind: "csv", body: renamed }]);
  const run = (args: string[]) =>
    main(args, { env, logWrite: () => {}, print: () => {}, printError: () => {} });
  await run(["--once", "--params", `gasDay=[${DAYS.join(",")}]`, "cycle=[0,1,5]"]);
  await run(["--once", "--params", `gasDay=${DAYS[1]}`, "cycle=[3,4]"]);
  // A revision of the second day's Final: a later file changes it.
  fake.script(pairKey("TW", DAYS[1], 5), [{ kind: "csv", body: twFile(REVISION) }]);
  const code = await run(["--once", "--params", `gasDay=${DAYS[1]}`, "cycle=5"]);
  assert.equal(code, 0, "the revision loads");
}

/**
 * The files were loaded just now, years after their gas days: move every
 * sighting to a plausible time, a few minutes after the cycle's expected
 * posting (a pair's later version two hours after its first), keeping the
 * history consistent (superseded_at, the retired rows' validity). Gives the
 * overview's lags (and the screenshots) the same figures on every run.
 */
async function postingTimes(t: TestDatabase): Promise<void> {
  const s = t.config.schema;
  await t.db.query(
    `WITH v AS (
       SELECT l.load_id,
         ((l.gas_day + y.day_offset) + make_time(y.hour, y.minute, 0)) AT TIME ZONE 'America/Chicago'
           + interval '1 minute' * (4 + 3 * (l.load_id % 5))
           + interval '2 hours' * (row_number() OVER (PARTITION BY l.source, l.gas_day, l.cycle
                                                      ORDER BY l.load_id) - 1) AS seen
       FROM ${s}.load_ledger l JOIN ${s}.cycles y ON y.name = l.cycle)
     UPDATE ${s}.load_ledger l SET started_at = v.seen, finished_at = v.seen + interval '1 second',
       first_seen_at = CASE WHEN l.first_seen_at IS NULL THEN NULL ELSE v.seen END,
       last_seen_at = CASE WHEN l.last_seen_at IS NULL THEN NULL ELSE v.seen END
     FROM v WHERE v.load_id = l.load_id`,
  );
  await t.db.query(
    `UPDATE ${s}.load_ledger l SET superseded_at = n.first_seen_at FROM ${s}.load_ledger n
     WHERE l.superseded_at IS NOT NULL AND n.load_id = (
       SELECT min(m.load_id) FROM ${s}.load_ledger m WHERE m.source = l.source
         AND m.gas_day = l.gas_day AND m.cycle = l.cycle AND m.load_id > l.load_id
         AND m.status = 'loaded')`,
  );
  await t.db.query(
    `UPDATE ${s}.operational_capacity_retired r SET valid_from = a.first_seen_at,
       valid_to = b.first_seen_at
     FROM ${s}.load_ledger a, ${s}.load_ledger b WHERE a.load_id = r.load_id AND b.load_id = r.load_id_to`,
  );
}

/** The database loaded from the fake site, and the app on it. */
export async function dashboardFixture(): Promise<DashboardFixture> {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tec-web-" });
  const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir: `${dir}/data` });
  try {
    await loadAll(env, fake);
    await postingTimes(t);
  } finally {
    await fake.close();
  }
  const { config } = await loadConfig({ env });
  // Whatever the engine, the configuration the app is given holds a password.
  config.database.password = new Secret(DB_SECRET);
  const errors: Error[] = [];
  const deps = webDeps(config, t.db, () => new Date("2024-01-18T20:00:00Z"));
  const app = createWebApp(deps, { onError: (e) => errors.push(e) });
  return {
    t,
    config,
    deps,
    app,
    errors,
    env,
    async done() {
      await t.drop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * `rebuild` re-derives the versions, the history and the current table from
 * the raw archive in fetch order: what it leaves equals what the live loads
 * left, it can run twice, and it repairs an installation from before versions.
 */
import assert from "node:assert/strict";
import { type PipelineContext, processPair } from "../../src/pipeline/process_pair.ts";
import { rebuild, type RebuildSummary } from "../../src/pipeline/rebuild.ts";
import { loadConfig } from "../../src/config/load.ts";
import { RawArchive } from "../../src/archive/raw_archive.ts";
import { findCycle } from "../../src/domain/cycles.ts";
import { migrate } from "../../src/db/migrate.ts";
import { type FakeReply, pairKey, startFakeIpost, TW_HEADER } from "../support/fake_ipost.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { memoryLogger, readFixture } from "../support/env.ts";

const DAY = "2024-01-17";
type Row = Record<string, unknown>;

/** Three versions of one file: v2 drops 500001 and changes 500002, v3 brings 500001 back changed. */
async function versions(): Promise<[string, string, string]> {
  const v1 = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
  const lines = v1.split("\r\n");
  const v2 = lines.filter((l) => !l.startsWith('"500001"')).join("\r\n")
    .replace('"55000","60000","43560","16440"', '"55000","60000","50000","10000"');
  const v3 = v2.replace(
    TW_HEADER,
    `${TW_HEADER}"500001","WEST TEXAS","ALPHA FUEL","MQ","DPQ","D","3000","2000","0","2000","N","N","N","Y",""\r\n`,
  );
  assert.ok(v2 !== v1 && v3 !== v2 && v3.includes('"2000","0","2000"'));
  return [v1, v2, v3];
}

interface World {
  t: TestDatabase;
  ctx: PipelineContext;
  close(): Promise<void>;
}

async function world(): Promise<World> {
  const fake = startFakeIpost();
  const dir = await Deno.makeTempDir();
  const t = await freshDatabase();
  await migrate(t.db, { schema: "staging" });
  const { config } = await loadConfig({
    env: { API_URL: fake.url, DB_SCHEMA: "staging" },
    readTextFile: () => Promise.reject(new Deno.errors.NotFound("none")),
  });
  const [v1, v2, v3] = await versions();
  const bad = new TextDecoder().decode(await readFixture("tw_bad_rows.csv"));
  const noLoc = v1.replace('"Loc",', '"Location",');
  const csv = (body: string): FakeReply => ({ kind: "csv", body });
  const scripts: [number, FakeReply[]][] = [
    [0, [{ kind: "header_only" }, csv(v1), csv(v1), csv(v2), csv(v3), csv(v3)]],
    [1, [csv(bad), csv(bad)]],
    [3, [csv(noLoc), csv(noLoc), csv(v1)]],
  ];
  for (const [code, replies] of scripts) fake.script(pairKey("TW", DAY, code), replies);
  const ctx: PipelineContext = {
    config,
    db: t.db,
    archive: new RawArchive(dir),
    log: memoryLogger().log,
    sleep: () => Promise.resolve(),
  };
  // Live: each pair polled as often as it has answers, in turn.
  for (let round = 0; round < 6; round++) {
    for (const [code, replies] of scripts) {
      if (round >= replies.length) continue;
      await processPair(ctx, {
        source: config.sources[0],
        gasDay: DAY,
        cycle: findCycle(String(code))!,
      });
      await new Promise((r) => setTimeout(r, 3)); // distinct fetch times
    }
  }
  return {
    t,
    ctx,
    close: async () => {
      await fake.close();
      await t.drop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function strip(rows: Row[], ...keys: string[]): Row[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k))));
}

/** Everything a rebuild must re-derive, without the ledger ids it renumbers. */
async function snapshot(t: TestDatabase) {
  const q = (sql: string) => t.db.query<Row>(sql);
  return {
    current: strip(
      await q(`SELECT * FROM staging.operational_capacity ORDER BY cycle, loc, flow_ind`),
      "load_id",
      "first_loaded_at",
      "updated_at",
    ),
    history: strip(
      await q(
        `SELECT h.*, f.sha256 AS opened_by, c.sha256 AS closed_by
         FROM staging.operational_capacity_history h
         JOIN staging.load_ledger f ON f.load_id = h.load_id_from
         LEFT JOIN staging.load_ledger c ON c.load_id = h.load_id_to
         ORDER BY h.cycle, h.loc, h.flow_ind, h.valid_from`,
      ),
      "load_id_from",
      "load_id_to",
    ),
    versions: await q(
      `SELECT source, cycle, sha256, url, bytes, first_seen_at, last_seen_at, superseded_at,
         rows_read, inserted, updated, unchanged, quarantined, deleted
       FROM staging.load_ledger WHERE status = 'loaded' ORDER BY first_seen_at, cycle`,
    ),
    quarantine: await q(
      `SELECT l.sha256, q.line_no, q.raw_line, q.reason FROM staging.quarantine q
       JOIN staging.load_ledger l USING (load_id) WHERE l.status = 'loaded'
       ORDER BY l.sha256, q.line_no`,
    ),
  };
}

const statuses = (t: TestDatabase) =>
  t.db.query(
    `SELECT status, count(*)::int AS n FROM staging.load_ledger GROUP BY status ORDER BY status`,
  );

function assertSummary(s: RebuildSummary): void {
  assert.deepEqual(
    { ...s, files: { ...s.files } },
    {
      requests: 11,
      unreadable: 0,
      unknownSources: [],
      rebuilt: 3,
      skipped: 0,
      files: { loaded: 5, unchanged: 3, not_posted: 1, failed: 2, locked: 0 },
      interrupted: false,
    },
  );
}

Deno.test("rebuild: equals the live-loaded state, and running it again changes nothing", async () => {
  const w = await world();
  try {
    const live = await snapshot(w.t);
    assert.equal(live.versions.length, 5, "v1, v2, v3 of Timely; Evening; Intraday 1");
    assert.ok(live.history.some((h) => h.valid_to !== null), "the live history has closed rows");
    assert.ok(live.quarantine.length > 0);
    assertSummary(await rebuild(w.ctx));
    assert.deepEqual(await snapshot(w.t), live);
    assertSummary(await rebuild(w.ctx));
    assert.deepEqual(await snapshot(w.t), live);
    // Every replaced version stays in the ledger for the audit trail.
    assert.deepEqual(await statuses(w.t), [
      { status: "failed", n: 3 },
      { status: "loaded", n: 5 },
      { status: "replaced", n: 10 },
    ]);
  } finally {
    await w.close();
  }
});

Deno.test("rebuild: an installation from before versions gets the latest file's rows and its history", async () => {
  const w = await world();
  try {
    const live = await snapshot(w.t);
    // What the old loader left: dropped rows kept under their first load, no
    // retired versions, no sightings beyond the load times.
    const [v1] = await w.t.db.query<{ id: number }>(
      `SELECT min(load_id)::int AS id FROM staging.load_ledger
       WHERE status = 'loaded' AND cycle = 'Timely'`,
    );
    await w.t.db.query(
      `INSERT INTO staging.operational_capacity
         (asset, gas_day, cycle, source, loc, loc_zn, loc_name, loc_purp_desc, loc_qti, flow_ind,
          dc, opc, tsq, oac, it, auth_overrun_ind, nom_cap_exceed_ind, all_qty_avail, qty_reason,
          load_id)
       VALUES ('TW', $1, 'Timely', 'tw-oac', '599999', 'X', 'GONE', 'M2', 'RPQ', 'R',
               80808, 80808, 80808, 0, 'N', 'N', 'N', 'Y', '', $2)`,
      [DAY, v1.id],
    );
    await w.t.db.query(`TRUNCATE staging.operational_capacity_retired`);
    await w.t.db.query(
      `UPDATE staging.load_ledger SET first_seen_at = started_at, last_seen_at = finished_at,
         superseded_at = NULL`,
    );
    assert.notDeepEqual(await snapshot(w.t), live);
    const s = await rebuild(w.ctx, { from: DAY, to: DAY });
    assert.equal(s.rebuilt, 3);
    assert.deepEqual(await snapshot(w.t), live);
  } finally {
    await w.close();
  }
});

Deno.test("rebuild: a pair with a version the archive lacks is left as it was, and said so", async () => {
  const w = await world();
  try {
    const text = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
    const path = await Deno.makeTempFile({ suffix: ".csv" });
    await Deno.writeTextFile(
      path,
      text.replace('"3000","3000","0","3000"', '"3000","3000","1","2999"'),
    );
    const { replayFile } = await import("../../src/pipeline/process_pair.ts");
    const job = { source: w.ctx.config.sources[0], gasDay: DAY, cycle: findCycle("timely")! };
    assert.equal((await replayFile(w.ctx, job, path)).status, "loaded");
    const before = await snapshot(w.t);
    const skipped: string[] = [];
    const s = await rebuild(w.ctx, {
      onPair: (p) => p.skipped && skipped.push(`${p.pair.cycle}: ${p.skipped}`),
    });
    assert.equal(s.skipped, 1);
    assert.equal(s.rebuilt, 2);
    assert.equal(skipped.length, 1);
    assert.match(skipped[0], /^Timely: versions not in the archive: \d+ \(file:\/\/.*\.csv\)$/);
    assert.deepEqual(
      (await snapshot(w.t)).current.filter((r) => r.cycle === "Timely"),
      before.current.filter((r) => r.cycle === "Timely"),
    );
    await Deno.remove(path);
  } finally {
    await w.close();
  }
});

Deno.test("rebuild: a corrupt archived body leaves its pair as it was; a range leaves the rest", async () => {
  const w = await world();
  try {
    const before = await snapshot(w.t);
    const [ev] = await w.t.db.query<{ sha256: string }>(
      `SELECT sha256 FROM staging.load_ledger WHERE status = 'loaded' AND cycle = 'Evening'`,
    );
    await Deno.writeTextFile(w.ctx.archive.bodyPath(ev.sha256), "tampered", { append: true });
    const failed: string[] = [];
    const s = await rebuild(w.ctx, { onPair: (p) => p.skipped && failed.push(p.skipped) });
    assert.equal(s.skipped, 1);
    assert.match(failed[0], /hash to [0-9a-f]{64}, not to its name: corrupt/);
    assert.deepEqual(await snapshot(w.t), before);
    const none = await rebuild(w.ctx, { from: "2024-01-18" });
    assert.equal(none.requests, 0);
    assert.equal(none.rebuilt, 0);
  } finally {
    await w.close();
  }
});

/**
 * A faithful record: every distinct file of a pair is a version, the table
 * holds exactly the latest file's good rows, and the rows a newer file changed
 * or dropped stay answerable in the history and through capacity_as_of().
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { readFixture, readSample, samplesAbsent } from "../support/env.ts";
import { migrate } from "../../src/db/migrate.ts";
import { loadFile, type LoadOutcome, type LoadRequest } from "../../src/load/load_file.ts";
import { findCycle } from "../../src/domain/cycles.ts";
import { FAMILY_A } from "../../src/reports/family_a/report.ts";
import { publishedColumns } from "../../src/reports/layout.ts";

const TIMELY_SAMPLE = "tw_oac_2024-01-17_cycle0-timely_searchALL.csv";
const T1 = new Date("2024-01-16T17:05:00Z");
const T2 = new Date("2024-01-16T18:40:00Z");
const T3 = new Date("2024-01-16T21:15:00Z");
/** The columns a TW file has, in its order (the split TSQ's parts are not among them). */
const COLUMNS = publishedColumns(FAMILY_A.layout).map((c) => c.column);

function request(text: string, seenAt: Date, over: Partial<LoadRequest> = {}): LoadRequest {
  const bytes = new TextEncoder().encode(text);
  return {
    schema: "staging",
    report: FAMILY_A,
    source: "tw-oac",
    asset: "TW",
    gasDay: "2024-01-17",
    cycle: findCycle("timely")!,
    url: "http://fake/test",
    sha256: createHash("sha256").update(bytes).digest("hex"),
    bytes: bytes.length,
    seenAt,
    open: () => Promise.resolve(new Blob([bytes as BlobPart]).stream()),
    ...over,
  };
}

async function withDb(fn: (t: TestDatabase) => Promise<void>): Promise<void> {
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    await fn(t);
  } finally {
    await t.drop();
  }
}

function loaded(o: LoadOutcome): Extract<LoadOutcome, { status: "loaded" }> {
  assert.equal(o.status, "loaded", JSON.stringify(o));
  return o as Extract<LoadOutcome, { status: "loaded" }>;
}

/** The data lines of a CSV, each as its cells: an independent reading of the file. */
function cellsOf(text: string): string[][] {
  return text.split("\r\n").slice(1).filter((l) => l !== "").map((line) =>
    [...line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)].map((m) =>
      m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]
    )
  );
}

/** Every stored column of `rows` as text, '' for NULL, sorted: comparable with {@linkcode cellsOf}. */
function asCells(rows: Record<string, unknown>[]): string[][] {
  return rows.map((r) => COLUMNS.map((c) => r[c] === null ? "" : String(r[c]))).sort(byKey);
}

function byKey(a: string[], b: string[]): number {
  return (a[0] + "|" + a[5]).localeCompare(b[0] + "|" + b[5]);
}

const current = (t: TestDatabase) =>
  t.db.query(`SELECT * FROM staging.operational_capacity WHERE gas_day = '2024-01-17'`);

const asOf = (t: TestDatabase, at: Date) =>
  t.db.query(`SELECT * FROM staging.capacity_as_of('TW', '2024-01-17', 'timely', $1)`, [at]);

const later = (d: Date, seconds: number) => new Date(d.getTime() + seconds * 1000);

/** The real Timely file with 3 rows dropped (one the 80,808 Dth receipt) and 2 values changed. */
function revise(text: string): { revised: string; dropped: string[]; changed: string[] } {
  const lines = text.split("\r\n");
  const dropped = [lines[31], lines[100], lines[200]];
  const changed = [lines[10], lines[150]];
  const kept = lines.filter((l) => !dropped.includes(l));
  const edit = (l: string, f: (c: string[]) => void) => {
    const c = l.slice(1, -1).split('","');
    f(c);
    return `"${c.join('","')}"`;
  };
  const revisedLines = kept.map((l) => {
    if (l === changed[0]) return edit(l, (c) => (c[8] = String(Number(c[8]) + 1234)));
    if (l === changed[1]) return edit(l, (c) => (c[7] = String(Number(c[7]) + 1)));
    return l;
  });
  return { revised: revisedLines.join("\r\n"), dropped, changed };
}

const sampleSkip = await samplesAbsent();

Deno.test({
  name: `versions: a revision of the real Timely file (3 dropped, 2 changed) leaves the table ` +
    `equal to it and history with the old values${sampleSkip ? ` (${sampleSkip})` : ""}`,
  ignore: sampleSkip !== undefined,
  fn: () =>
    withDb(async (t) => {
      const original = new TextDecoder().decode((await readSample(TIMELY_SAMPLE))!);
      const { revised, dropped, changed } = revise(original);
      assert.ok(dropped[0].includes('"80808"'), "the 80,808 Dth receipt is among the dropped");
      const v1 = loaded(await loadFile(t.db, request(original, T1)));
      const v2 = loaded(await loadFile(t.db, request(revised, T2)));
      assert.deepEqual(v2.counts, {
        rowsRead: 284,
        inserted: 0,
        updated: 2,
        unchanged: 282,
        quarantined: 0,
        deleted: 3,
      });
      assert.deepEqual(asCells(await current(t)), cellsOf(revised).sort(byKey));
      const [zone] = await t.db.query<{ tsq: string }>(
        `SELECT sum(tsq)::text AS tsq FROM staging.operational_capacity
         WHERE gas_day = '2024-01-17' AND loc = '500536'`,
      );
      assert.equal(zone.tsq, null, "the receipt the pipeline no longer posts is gone");

      // History: the old values, closed by the revision, opened by the first file.
      const closed = await t.db.query(
        `SELECT *, load_id_from::int AS from_id, load_id_to::int AS to_id
         FROM staging.operational_capacity_history
         WHERE gas_day = '2024-01-17' AND valid_to IS NOT NULL`,
      );
      assert.deepEqual(
        asCells(closed),
        cellsOf([original.split("\r\n")[0], ...dropped, ...changed].join("\r\n")).sort(byKey),
      );
      for (const r of closed) {
        assert.equal(r.from_id, v1.loadId);
        assert.equal(r.to_id, v2.loadId);
        assert.deepEqual([r.valid_from, r.valid_to], [T1, T2]);
      }
      const all = await t.db.query(
        `SELECT count(*)::int AS n FROM staging.operational_capacity_history
         WHERE gas_day = '2024-01-17'`,
      );
      assert.equal(all[0].n, 284 + 5, "one row per row version");

      // As posted at T: before the first file, between the versions, after the revision.
      assert.equal((await asOf(t, later(T1, -1))).length, 0);
      assert.deepEqual(asCells(await asOf(t, later(T1, 60))), cellsOf(original).sort(byKey));
      assert.deepEqual(asCells(await asOf(t, later(T2, -1))), cellsOf(original).sort(byKey));
      assert.deepEqual(asCells(await asOf(t, T2)), cellsOf(revised).sort(byKey));
      assert.deepEqual(asCells(await asOf(t, later(T2, 3600))), cellsOf(revised).sort(byKey));

      const ledger = await t.db.query(
        `SELECT load_id::int AS id, first_seen_at, last_seen_at, superseded_at, deleted
         FROM staging.load_ledger ORDER BY load_id`,
      );
      assert.deepEqual(ledger, [
        { id: v1.loadId, first_seen_at: T1, last_seen_at: T1, superseded_at: T2, deleted: 0 },
        { id: v2.loadId, first_seen_at: T2, last_seen_at: T2, superseded_at: null, deleted: 3 },
      ]);
    }),
});

Deno.test("versions: a re-check that sees the same bytes moves last_seen_at and writes no data", () =>
  withDb(async (t) => {
    const text = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
    const v1 = loaded(await loadFile(t.db, request(text, T1)));
    const before = await t.db.query(
      `SELECT xmin::text AS x, * FROM staging.operational_capacity ORDER BY loc, flow_ind`,
    );
    const again = await loadFile(t.db, request(text, T3));
    assert.deepEqual(again, { status: "unchanged", loadId: v1.loadId });
    const after = await t.db.query(
      `SELECT xmin::text AS x, * FROM staging.operational_capacity ORDER BY loc, flow_ind`,
    );
    assert.deepEqual(after, before, "no row was written (same xmin)");
    const ledger = await t.db.query(
      `SELECT count(*)::int AS n, min(first_seen_at) AS first, max(last_seen_at) AS last
       FROM staging.load_ledger`,
    );
    assert.deepEqual(ledger, [{ n: 1, first: T1, last: T3 }]);
    // An older sighting (a late replay) does not move it back.
    await loadFile(t.db, request(text, T2));
    const [{ last }] = await t.db.query(`SELECT last_seen_at AS last FROM staging.load_ledger`);
    assert.deepEqual(last, T3);
  }));

Deno.test("versions: a row dropped and re-added later has two versions and a gap between", () =>
  withDb(async (t) => {
    const text = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
    const lines = text.split("\r\n");
    const gone = lines[1];
    const loc = gone.slice(1, gone.indexOf('"', 1));
    const without = lines.filter((l) => l !== gone).join("\r\n");
    const back = text.replace(gone, gone.replace(/"Y",""$/, '"N","RE"'));
    assert.notEqual(back, text);
    loaded(await loadFile(t.db, request(text, T1)));
    const v2 = loaded(await loadFile(t.db, request(without, T2)));
    assert.equal(v2.counts.deleted, 1);
    const v3 = loaded(await loadFile(t.db, request(back, T3)));
    assert.equal(v3.counts.inserted, 1);
    assert.equal(v3.counts.deleted, 0);
    const versions = await t.db.query(
      `SELECT valid_from, valid_to, all_qty_avail, qty_reason
       FROM staging.operational_capacity_history WHERE loc = $1 ORDER BY valid_from`,
      [loc],
    );
    assert.deepEqual(versions, [
      { valid_from: T1, valid_to: T2, all_qty_avail: "Y", qty_reason: "" },
      { valid_from: T3, valid_to: null, all_qty_avail: "N", qty_reason: "RE" },
    ]);
    const between = await asOf(t, later(T2, 60));
    assert.equal(between.length, 7);
    assert.ok(!between.some((r) => r.loc === loc));
    assert.equal((await asOf(t, T3)).length, 8);
  }));

Deno.test("versions: a bad cell is not a deletion; a row whose key cannot be read is", () =>
  withDb(async (t) => {
    const text = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
    const lines = text.split("\r\n");
    const [badCell, noKey] = [lines[2], lines[5]];
    const revised = text
      .replace(badCell, badCell.replace(/^("[^"]*",){7}"\d+"/, (m) => m.replace(/"\d+"$/, '"x9"')))
      .replace(noKey, noKey.replace(/^"[^"]*"/, '""'));
    loaded(await loadFile(t.db, request(text, T1)));
    const before = await t.db.query(
      `SELECT * FROM staging.operational_capacity WHERE loc = $1`,
      [badCell.slice(1, badCell.indexOf('"', 1))],
    );
    const v2 = loaded(await loadFile(t.db, request(revised, T2)));
    assert.equal(v2.counts.quarantined, 2);
    assert.equal(v2.counts.deleted, 1);
    assert.equal(v2.counts.unchanged, 6);
    const kept = await t.db.query(
      `SELECT * FROM staging.operational_capacity WHERE loc = $1`,
      [badCell.slice(1, badCell.indexOf('"', 1))],
    );
    assert.deepEqual(kept, before, "the location with the bad cell keeps its row, untouched");
    assert.equal((await current(t)).length, 7);
    const [q] = await t.db.query(
      `SELECT count(*)::int AS n FROM staging.quarantine WHERE load_id = $1`,
      [v2.loadId],
    );
    assert.equal(q.n, 2, "both bad lines are kept in quarantine");
  }));

Deno.test("versions: a duplicated key in a revision keeps the old row and still drops the rest", () =>
  withDb(async (t) => {
    const text = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
    const lines = text.split("\r\n");
    const twice = lines[4];
    const revised = lines.filter((l) => l !== lines[6]).join("\r\n").replace(
      twice,
      `${twice}\r\n${twice.replace(/"N","N","N","Y",""$/, '"N","N","N","N","dup"')}`,
    );
    loaded(await loadFile(t.db, request(text, T1)));
    const v2 = loaded(await loadFile(t.db, request(revised, T2)));
    assert.deepEqual(v2.counts, {
      rowsRead: 8,
      inserted: 0,
      updated: 0,
      unchanged: 6,
      quarantined: 2,
      deleted: 1,
    });
    assert.equal((await current(t)).length, 7);
  }));

Deno.test("versions: a forced reload of the same bytes is a new version; validity stays an interval", () =>
  withDb(async (t) => {
    const text = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
    const v1 = loaded(await loadFile(t.db, request(text, T2)));
    // A replay of an older file, fetched before the current version: newest as of T2.
    const older = text.replace(/"3000","3000","0","3000"/, '"3000","3000","7","2993"');
    const v2 = loaded(await loadFile(t.db, request(older, T1)));
    const v3 = loaded(await loadFile(t.db, request(older, T3, { force: true })));
    assert.equal(v3.counts.unchanged, 8);
    const ledger = await t.db.query(
      `SELECT load_id::int AS id, first_seen_at, superseded_at FROM staging.load_ledger
       ORDER BY load_id`,
    );
    assert.deepEqual(ledger, [
      { id: v1.loadId, first_seen_at: T2, superseded_at: T2 },
      { id: v2.loadId, first_seen_at: T2, superseded_at: T3 },
      { id: v3.loadId, first_seen_at: T3, superseded_at: null },
    ]);
    const [bad] = await t.db.query(
      `SELECT count(*)::int AS n FROM staging.operational_capacity_history
       WHERE valid_to IS NOT NULL AND valid_to < valid_from`,
    );
    assert.equal(bad.n, 0);
  }));

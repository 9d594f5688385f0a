/**
 * Migration 007 for analysts: the cycles table equals the program's constants,
 * and the capacity_latest / capacity_changes views give what the rows say,
 * computed here independently from the rows the test inserts. Also runs every
 * SQL example of README's Data model section.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type CycleId, CYCLES } from "../../src/domain/cycles.ts";
import { migrate } from "../../src/db/migrate.ts";
import { DEFAULT_POSTING_TIMES, type PostingTime } from "../../src/schedule/calendar.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";

async function withDb(fn: (t: TestDatabase) => Promise<void>): Promise<void> {
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    await fn(t);
  } finally {
    await t.drop();
  }
}

/** Posting order of a cycle label, from CYCLES (listed in posting order). */
function ordOf(label: string): number {
  const i = CYCLES.findIndex((c) => c.label === label);
  if (i < 0) throw new Error(`unknown cycle label ${label}`);
  return i + 1;
}

/** The readable posting time the table should carry, e.g. "5:30 pm the gas day". */
function postingText(pt: PostingTime): string {
  const day = { "-1": "the day before", "0": "the gas day", "1": "the day after" }[
    String(pt.dayOffset) as "-1" | "0" | "1"
  ];
  const h12 = pt.hour % 12 === 0 ? 12 : pt.hour % 12;
  const mm = String(pt.minute).padStart(2, "0");
  return `${h12}:${mm} ${pt.hour < 12 ? "am" : "pm"} ${day}`;
}

Deno.test("cycles table equals CYCLES and DEFAULT_POSTING_TIMES", async () => {
  await withDb(async (t) => {
    const rows = await t.db.query(
      `SELECT id, name, code, ord, day_offset, hour, minute, posting_time
       FROM staging.cycles ORDER BY ord`,
    );
    assert.deepEqual(
      rows,
      CYCLES.map((c, i) => {
        const pt = DEFAULT_POSTING_TIMES[c.id];
        return {
          id: c.id,
          name: c.label,
          code: c.code,
          ord: i + 1,
          day_offset: pt.dayOffset,
          hour: pt.hour,
          minute: pt.minute,
          posting_time: postingText(pt),
        };
      }),
    );
    // Posting order is the order of the posting times, which codes and labels are not.
    const byTime = await t.db.query<{ name: string }>(
      "SELECT name FROM staging.cycles ORDER BY day_offset, hour, minute",
    );
    assert.deepEqual(byTime.map((r) => r.name), CYCLES.map((c) => c.label));
  });
});

// ---------------------------------------------------------------------------
// Test data: rows inserted directly, each with its load_ledger row.

interface Row {
  source: string;
  gas_day: string;
  cycle: string;
  loc: string;
  flow_ind: string;
  loc_zn: string;
  dc: number | null;
  opc: number | null;
  tsq: number | null;
  oac: number | null;
  load_id: number;
}

const DAY1 = "2024-01-17";
const DAY2 = "2024-01-18";
/**
 * Loads in the order they are inserted: not posting order, and day 1's
 * alphabetical last cycle (Timely) is its first, so sorting by label fails.
 */
const LOADS: [string, string, CycleId[]][] = [
  ["tw-all", DAY1, ["final", "timely", "intraday1", "evening", "intraday3"]],
  ["tw-all", DAY2, ["intraday2", "timely", "evening"]],
  ["tw-nom", DAY1, ["evening", "timely"]],
];
/** 100 is both a delivery and a receipt point. */
const LOCATIONS: [string, string][] = [
  ["100", "D"],
  ["100", "R"],
  ["200", "D"],
  ["300", "D"],
  ["400", "D"],
  ["500", "D"],
];

/** A small deterministic generator (mulberry32), so every run has the same rows. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Whether a location is in a file, and its quantities. 200 first appears in
 * Evening, 300 is missing from Final, tw-nom lists two locations; 400 has OPC 0
 * and 500 a missing OPC (and TSQ) in some cycles; 100 R has a rounding tie.
 */
function rowFor(
  source: string,
  cycle: CycleId,
  [loc, flow]: [string, string],
  next: () => number,
): Omit<Row, "gas_day" | "load_id"> | undefined {
  if (loc === "200" && cycle === "timely") return undefined;
  if (loc === "300" && cycle === "final") return undefined;
  if (source === "tw-nom" && !(loc === "100" && flow === "D") && loc !== "300") return undefined;
  let opc: number | null = 1000 + Math.floor(next() * 99_000);
  let tsq: number | null = Math.floor(next() * opc);
  if (loc === "400" && ["final", "intraday2", "evening"].includes(cycle)) opc = tsq = 0;
  if (loc === "500" && cycle === "final") opc = null;
  if (loc === "500" && cycle === "intraday1") tsq = null;
  if (loc === "100" && flow === "R" && cycle === "timely") [opc, tsq] = [32, 1]; // 0.03125
  const oac = opc === null || tsq === null ? null : opc - tsq;
  const row = { source, cycle: CYCLES.find((c) => c.id === cycle)!.label, loc, flow_ind: flow };
  return { ...row, loc_zn: `Z${loc[0]}`, dc: 850_000, opc, tsq, oac };
}

/** Insert every load of LOADS with its ledger row; returns the rows as inserted. */
async function insertLoads(t: TestDatabase): Promise<Row[]> {
  const next = random(20240117);
  const all: Row[] = [];
  for (const [source, gasDay, cycles] of LOADS) {
    for (const cycle of cycles) {
      const [{ id }] = await t.db.query<{ id: number }>(
        `INSERT INTO staging.load_ledger
           (source, report, asset, gas_day, cycle, sha256, bytes, status, finished_at)
         VALUES ($1, 'operationally-available', 'TW', $2, $3, $4, 100, 'loaded', now())
         RETURNING load_id::int AS id`,
        [source, gasDay, CYCLES.find((c) => c.id === cycle)!.label, sha(source + gasDay + cycle)],
      );
      const rows = LOCATIONS.map((l) => rowFor(source, cycle, l, next))
        .filter((r) => r !== undefined)
        .map((r) => ({ ...r, gas_day: gasDay, load_id: id }));
      await t.db.query(
        `INSERT INTO staging.operational_capacity
           (asset, gas_day, cycle, source, loc, flow_ind, loc_zn, dc, opc, tsq, oac, load_id)
         SELECT 'TW', gas_day, cycle, source, loc, flow_ind, loc_zn, dc, opc, tsq, oac, load_id
         FROM json_populate_recordset(NULL::staging.operational_capacity, $1::text::json)`,
        [JSON.stringify(rows)],
      );
      all.push(...rows);
    }
  }
  return all;
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

// ---------------------------------------------------------------------------
// Expected results, from the inserted rows alone.

/** tsq / opc rounded half up to 4 places, exactly (BigInt), as text; null without both. */
function utilisation(tsq: number | null, opc: number | null): string | null {
  if (tsq === null || opc === null || opc === 0) return null;
  const n = (BigInt(tsq) * 20000n + BigInt(opc)) / (2n * BigInt(opc));
  return `${n / 10000n}.${String(n % 10000n).padStart(4, "0")}`;
}

const locationKey = (r: Row) => [r.source, r.gas_day, r.loc, r.flow_ind].join("|");

/** The rows of each location of a gas day, in posting order. */
function byLocation(rows: Row[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) out.set(locationKey(r), [...(out.get(locationKey(r)) ?? []), r]);
  for (const list of out.values()) list.sort((a, b) => ordOf(a.cycle) - ordOf(b.cycle));
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

function expectedChanges(rows: Row[]) {
  return [...byLocation(rows).values()].flatMap((list) =>
    list.map((r, i) => {
      const p: Row | undefined = list[i - 1];
      return {
        key: locationKey(r),
        cycle: r.cycle,
        cycle_ord: ordOf(r.cycle),
        prev_cycle: p?.cycle ?? null,
        prev_opc: p?.opc ?? null,
        opc: r.opc,
        opc_change: minus(r.opc, p?.opc ?? null),
        prev_tsq: p?.tsq ?? null,
        tsq: r.tsq,
        tsq_change: minus(r.tsq, p?.tsq ?? null),
        prev_oac: p?.oac ?? null,
        oac: r.oac,
        oac_change: minus(r.oac, p?.oac ?? null),
        prev_utilisation: p ? utilisation(p.tsq, p.opc) : null,
        utilisation: utilisation(r.tsq, r.opc),
        prev_load_id: p?.load_id ?? null,
        load_id: r.load_id,
      };
    })
  );
}

const KEY_SQL = "source || '|' || gas_day || '|' || loc || '|' || flow_ind AS key";
const ORDER_SQL = "ORDER BY source, gas_day, loc, flow_ind";

// ---------------------------------------------------------------------------

Deno.test("capacity_latest: per location, the row of its latest cycle by posting order", async () => {
  await withDb(async (t) => {
    const rows = await insertLoads(t);
    const expected = [...byLocation(rows).values()].map((list) => {
      const r = list[list.length - 1];
      return {
        key: locationKey(r),
        asset: "TW",
        cycle: r.cycle,
        cycle_ord: ordOf(r.cycle),
        loc_zn: r.loc_zn,
        dc: r.dc,
        opc: r.opc,
        tsq: r.tsq,
        oac: r.oac,
        utilisation: utilisation(r.tsq, r.opc),
        load_id: r.load_id,
      };
    });
    const got = await t.db.query(
      `SELECT ${KEY_SQL}, asset, cycle, cycle_ord::int, loc_zn, dc::int, opc::int, tsq::int,
              oac::int, utilisation::text, load_id::int
       FROM staging.capacity_latest ${ORDER_SQL}`,
    );
    assert.deepEqual(got, expected);

    // The data tells the cases apart: by label day 1's latest would be Timely;
    // 300 misses from Final, so its latest is Intraday 3.
    const cycleOf = (key: string) => got.find((r) => r.key === key)?.cycle;
    assert.equal(cycleOf(`tw-all|${DAY1}|100|D`), "Final");
    assert.equal(cycleOf(`tw-all|${DAY1}|300|D`), "Intraday 3");
    assert.equal(cycleOf(`tw-all|${DAY2}|100|R`), "Intraday 2");
    assert.equal(cycleOf(`tw-nom|${DAY1}|100|D`), "Evening");
    const [{ max }] = await t.db.query<{ max: string }>(
      `SELECT max(cycle) FROM staging.operational_capacity WHERE gas_day = '${DAY1}'`,
    );
    assert.equal(max, "Timely");
  });
});

Deno.test("capacity_latest: utilisation is NULL for an OPC of 0 or NULL, rounded otherwise", async () => {
  await withDb(async (t) => {
    await insertLoads(t);
    const got = await t.db.query<{ loc: string; opc: string | null; utilisation: string | null }>(
      `SELECT loc, opc::text, utilisation::text FROM staging.capacity_latest
       WHERE asset = 'TW' AND gas_day = '${DAY1}' AND source = 'tw-all' AND loc IN ('400', '500')
       ORDER BY loc`,
    );
    assert.deepEqual(got, [
      { loc: "400", opc: "0", utilisation: null },
      { loc: "500", opc: null, utilisation: null },
    ]);
    const [tie] = await t.db.query(
      `SELECT prev_utilisation::text, prev_tsq::int, prev_opc::int FROM staging.capacity_changes
       WHERE source = 'tw-all' AND gas_day = '${DAY1}' AND loc = '100' AND flow_ind = 'R'
         AND prev_cycle = 'Timely'`,
    );
    assert.deepEqual(tie, { prev_utilisation: "0.0313", prev_tsq: 1, prev_opc: 32 });
  });
});

Deno.test("capacity_changes: each cycle against the location's previous one of the day", async () => {
  await withDb(async (t) => {
    const rows = await insertLoads(t);
    const expected = expectedChanges(rows);
    const got = await t.db.query(
      `SELECT ${KEY_SQL}, cycle, cycle_ord::int, prev_cycle,
              prev_opc::int, opc::int, opc_change::int, prev_tsq::int, tsq::int, tsq_change::int,
              prev_oac::int, oac::int, oac_change::int,
              prev_utilisation::text, utilisation::text, prev_load_id::int, load_id::int
       FROM staging.capacity_changes ${ORDER_SQL}, cycle_ord`,
    );
    assert.deepEqual(got, expected);
    // One row per stored row: the first cycle of each location's day is kept.
    assert.equal(got.length, rows.length);
    const firsts = got.filter((r) => r.prev_cycle === null);
    assert.equal(firsts.length, byLocation(rows).size);
    assert.ok(firsts.every((r) => r.opc_change === null && r.prev_utilisation === null));
    // 200 is not in Timely: its day starts at Evening.
    const first200 = firsts.find((r) => r.key === `tw-all|${DAY1}|200|D`);
    assert.equal(first200?.cycle, "Evening");
    assert.ok(got.some((r) => r.opc_change !== null && r.opc_change !== 0));
  });
});

Deno.test("cycles.ord sorts the stored cycles in posting order", async () => {
  await withDb(async (t) => {
    await insertLoads(t);
    const sorted = await t.db.query<{ cycle: string }>(
      `SELECT DISTINCT o.cycle, y.ord FROM staging.operational_capacity o
       JOIN staging.cycles y ON y.name = o.cycle
       WHERE o.gas_day = '${DAY1}' ORDER BY y.ord`,
    );
    const loaded = new Set(LOADS.filter(([, d]) => d === DAY1).flatMap(([, , c]) => c));
    assert.deepEqual(
      sorted.map((r) => r.cycle),
      CYCLES.filter((c) => loaded.has(c.id)).map((c) => c.label),
    );
  });
});

/** The fenced SQL blocks of a README section (`## <title>` up to the next `## `). */
async function readmeExamples(title: string): Promise<string[]> {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const start = readme.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README.md: no ${title} section`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
}

Deno.test("README's Data model and history examples run against the schema", async () => {
  await withDb(async (t) => {
    await insertLoads(t);
    const examples = [
      ...await readmeExamples("Data model"),
      ...await readmeExamples("Versions, history and rebuild"),
    ];
    assert.ok(examples.length >= 6, `only ${examples.length} SQL examples`);
    for (const sql of examples) {
      await t.db.transaction(async (tx) => {
        await tx.query("SET LOCAL search_path TO staging");
        await tx.query(sql).catch((e) => {
          throw new Error(`README example failed: ${e.message}\n${sql}`);
        });
      });
    }
  });
});

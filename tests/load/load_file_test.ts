import assert from "node:assert/strict";
import { freshDatabase, serverOnly, type TestDatabase } from "../support/db.ts";
import { readFixture, readSample, samplesAbsent } from "../support/env.ts";
import { migrate } from "../../src/db/migrate.ts";
import {
  LoadError,
  loadFile,
  type LoadRequest,
  pairLockKey,
  pairOf,
} from "../../src/load/load_file.ts";
import { findCycle } from "../../src/domain/cycles.ts";
import { isTerminal } from "../../src/domain/errors.ts";
import { HeaderError } from "../../src/parse/row_converter.ts";
import { FAMILY_A } from "../../src/reports/family_a/report.ts";
import { sourceReport } from "../../src/reports/header_aliases.ts";
import { layoutFingerprint } from "../../src/reports/layout.ts";
import { createHash } from "node:crypto";

const TIMELY = findCycle("timely")!;
const FINAL = findCycle("final")!;

function request(bytes: Uint8Array, over: Partial<LoadRequest> = {}): LoadRequest {
  return {
    schema: "staging",
    report: FAMILY_A,
    source: "tw-oac",
    asset: "TW",
    gasDay: "2024-02-01",
    cycle: TIMELY,
    url: "http://fake/test",
    sha256: createHash("sha256").update(bytes).digest("hex"),
    bytes: bytes.length,
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

type Row = Record<string, unknown>;
const rows = (t: TestDatabase, where = "true") =>
  t.db.query<Row>(
    `SELECT * FROM staging.operational_capacity WHERE ${where} ORDER BY loc, flow_ind`,
  );

const SERVER_ONLY = serverOnly("two sessions on one pair at once");

Deno.test("loader: a good file lands whole, stamped with gas day and cycle", async () => {
  await withDb(async (t) => {
    const bytes = await readFixture("tw_good_8rows.csv");
    const r = await loadFile(t.db, request(bytes));
    assert.equal(r.status, "loaded");
    if (r.status !== "loaded") return;
    assert.deepEqual(r.counts, {
      rowsRead: 8,
      inserted: 8,
      updated: 0,
      unchanged: 0,
      quarantined: 0,
      deleted: 0,
    });
    const all = await rows(t);
    assert.equal(all.length, 8);
    for (const row of all) {
      assert.equal(row.asset, "TW");
      assert.equal(row.gas_day, "2024-02-01");
      assert.equal(row.cycle, "Timely");
      assert.equal(Number(row.load_id), r.loadId);
    }
    // Both directions of loc 500003 are kept.
    const both = all.filter((x) => x.loc === "500003").map((x) => x.flow_ind);
    assert.deepEqual(both, ["D", "R"]);
    // Missing quantities are NULL, never 0; present ones exact.
    const echo = all.find((x) => x.loc === "500005")!;
    assert.equal(echo.dc, "2000");
    assert.equal(echo.opc, null);
    assert.equal(echo.tsq, null);
    assert.equal(echo.oac, null);
    assert.equal(
      echo.qty_reason,
      "Total Scheduled Quantity unavailable;Operating Capacity unavailable;Operationally Available Capacity unavailable",
    );
    // Text kept verbatim.
    assert.equal(all.find((x) => x.loc === "500004")!.loc_name, " DELTA DEL");
    assert.equal(all.find((x) => x.loc === "500003")!.loc_name, "CHARLIE  RAMMING");
    assert.equal(all.find((x) => x.loc === "500006")!.loc_name, "FOXTROT, WEST");
    assert.equal(all.find((x) => x.loc === "500007")!.loc_name, 'GOLF "BIG" POINT');
    assert.equal(all.find((x) => x.loc === "500001")!.qty_reason, "");
    const [ledger] = await t.db.query<Row>(
      "SELECT * FROM staging.load_ledger WHERE load_id = $1",
      [r.loadId],
    );
    assert.equal(ledger.status, "loaded");
    assert.equal(ledger.rows_read, 8);
    assert.equal(ledger.inserted, 8);
    assert.equal(ledger.sha256, request(bytes).sha256);
    assert.equal(Number(ledger.bytes), bytes.length);
    assert.equal(ledger.gas_day, "2024-02-01");
    assert.ok(ledger.finished_at);
  });
});

Deno.test("loader: same bytes twice is a no-op; --force reloads and counts unchanged", async () => {
  await withDb(async (t) => {
    const bytes = await readFixture("tw_good_8rows.csv");
    const first = await loadFile(t.db, request(bytes));
    assert.equal(first.status, "loaded");
    const before = await rows(t);
    const again = await loadFile(t.db, request(bytes));
    assert.equal(again.status, "unchanged");
    if (first.status === "loaded" && again.status === "unchanged") {
      assert.equal(again.loadId, first.loadId);
    }
    assert.deepEqual(await rows(t), before);
    const [{ n }] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM staging.load_ledger",
    );
    assert.equal(n, 1, "an unchanged re-fetch writes nothing");
    const forced = await loadFile(t.db, request(bytes, { force: true }));
    assert.equal(forced.status, "loaded");
    if (forced.status === "loaded") {
      assert.deepEqual(forced.counts, {
        rowsRead: 8,
        inserted: 0,
        updated: 0,
        unchanged: 8,
        quarantined: 0,
        deleted: 0,
      });
    }
    assert.deepEqual(await rows(t), before, "identical rows keep their load_id");
  });
});

Deno.test("loader: a revision updates changed rows, inserts new ones, keeps the rest", async () => {
  await withDb(async (t) => {
    const bytes = await readFixture("tw_good_8rows.csv");
    const first = await loadFile(t.db, request(bytes));
    assert.equal(first.status, "loaded");
    const text = new TextDecoder().decode(bytes)
      .replace(
        '"500001","WEST TEXAS","ALPHA FUEL","MQ","DPQ","D","3000","3000","0","3000"',
        '"500001","WEST TEXAS","ALPHA FUEL","MQ","DPQ","D","3000","3000","100","2900"',
      ) +
      '"500099","CENTRAL","NEW POINT","MQ","DPQ","D","1","1","0","1","N","N","N","Y",""\r\n';
    const revised = new TextEncoder().encode(text);
    const r = await loadFile(t.db, request(revised));
    assert.equal(r.status, "loaded");
    if (r.status !== "loaded" || first.status !== "loaded") return;
    assert.deepEqual(r.counts, {
      rowsRead: 9,
      inserted: 1,
      updated: 1,
      unchanged: 7,
      quarantined: 0,
      deleted: 0,
    });
    const alpha = (await rows(t, "loc = '500001'"))[0];
    assert.equal(alpha.tsq, "100");
    assert.equal(alpha.oac, "2900");
    assert.equal(Number(alpha.load_id), r.loadId);
    const bravo = (await rows(t, "loc = '500002'"))[0];
    assert.equal(Number(bravo.load_id), first.loadId, "unchanged rows still name their file");
    // Going back to the first bytes is a real change again, not "already loaded".
    const back = await loadFile(t.db, request(bytes));
    assert.equal(back.status, "loaded");
  });
});

Deno.test("loader: bad rows go to quarantine with line, raw text and reason; both duplicates too", async () => {
  await withDb(async (t) => {
    const bytes = await readFixture("tw_bad_rows.csv");
    const r = await loadFile(t.db, request(bytes));
    assert.equal(r.status, "loaded");
    if (r.status !== "loaded") return;
    assert.deepEqual(r.counts, {
      rowsRead: 9,
      inserted: 2,
      updated: 0,
      unchanged: 0,
      quarantined: 7,
      deleted: 0,
    });
    assert.deepEqual((await rows(t)).map((x) => x.loc), ["600001", "600008"]);
    const q = await t.db.query<Row>(
      "SELECT line_no, raw_line, reason, sha256, gas_day, cycle FROM staging.quarantine ORDER BY line_no",
    );
    assert.deepEqual(q.map((x) => x.line_no), [3, 4, 5, 6, 7, 8, 9]);
    const lines = new TextDecoder().decode(bytes).split("\r\n");
    for (const x of q) {
      assert.equal(x.raw_line, lines[(x.line_no as number) - 1], `raw line ${x.line_no} verbatim`);
      assert.equal(x.sha256, request(bytes).sha256);
      assert.equal(x.gas_day, "2024-02-01");
      assert.equal(x.cycle, "Timely");
    }
    const reason = (line: number) => String(q.find((x) => x.line_no === line)!.reason);
    assert.match(reason(3), /"DC".*non-negative whole number.*"-5"/);
    assert.match(reason(4), /"Flow Ind".*D\/R\/B\/BD.*"X"/);
    assert.match(reason(5), /expected 15 fields, got 13/);
    assert.match(reason(6), /duplicate natural key.*600005.*lines 6, 7/);
    assert.match(reason(7), /duplicate natural key.*600005.*lines 6, 7/);
    assert.match(reason(8), /after a closing quote/);
    assert.match(reason(9), /"DC".*"3000.5"/);
  });
});

Deno.test("loader: a missing header fails the whole file and leaves a failed ledger row", async () => {
  await withDb(async (t) => {
    const text = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"))
      .replace('"Flow Ind"', '"Flow Indicator"');
    const bytes = new TextEncoder().encode(text);
    await assert.rejects(
      () => loadFile(t.db, request(bytes)),
      (e: unknown) => {
        assert.ok(e instanceof LoadError);
        assert.match(e.message, /required header missing: "Flow Ind"/);
        assert.ok(typeof e.loadId === "number");
        return true;
      },
    );
    assert.equal((await rows(t)).length, 0);
    const ledger = await t.db.query<Row>("SELECT status, error FROM staging.load_ledger");
    assert.equal(ledger.length, 1);
    assert.equal(ledger[0].status, "failed");
    assert.match(String(ledger[0].error), /Flow Ind/);
    const [{ n }] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM staging.quarantine",
    );
    assert.equal(n, 0);
  });
});

Deno.test("loader: bytes that failed for good are rejected from the ledger until a file loads", async () => {
  await withDb(async (t) => {
    const good = await readFixture("tw_good_8rows.csv");
    const bad = new TextEncoder().encode(
      new TextDecoder().decode(good).replace('"Flow Ind"', '"Flow Indicator"'),
    );
    let opened = 0;
    const counting = (bytes: Uint8Array, over: Partial<LoadRequest> = {}) =>
      request(bytes, {
        open: () => {
          opened++;
          return Promise.resolve(new Blob([bytes as BlobPart]).stream());
        },
        ...over,
      });
    const failure = await loadFile(t.db, counting(bad)).then(
      () => assert.fail("a missing header must fail"),
      (e: unknown) => e as LoadError,
    );
    assert.ok(failure instanceof LoadError);
    assert.ok(failure.cause instanceof HeaderError, `cause: ${failure.cause}`);
    assert.ok(isTerminal(failure));
    const ledger = () =>
      t.db.query<{ load_id: number; status: string; terminal: boolean }>(
        "SELECT load_id::int AS load_id, status, terminal FROM staging.load_ledger ORDER BY load_id",
      );
    assert.deepEqual((await ledger()).map((r) => [r.status, r.terminal]), [["failed", true]]);
    // The same bytes again: answered from the ledger, the file is not even opened.
    opened = 0;
    const again = await loadFile(t.db, counting(bad));
    assert.deepEqual(again, {
      status: "rejected",
      loadId: failure.loadId,
      reason: failure.message,
    });
    assert.equal(opened, 0);
    assert.equal((await ledger()).length, 1, "no second failed row");
    // --force tries anyway (and fails the same way, on record again).
    await assert.rejects(() => loadFile(t.db, counting(bad, { force: true })), LoadError);
    assert.equal(opened, 1);
    assert.equal((await ledger()).length, 2);
    // Other bytes load at once; after that the old bad bytes get a fresh try.
    assert.equal((await loadFile(t.db, request(good))).status, "loaded");
    await assert.rejects(() => loadFile(t.db, request(bad)), LoadError);
    assert.deepEqual((await ledger()).map((r) => [r.status, r.terminal]), [
      ["failed", true],
      ["failed", true],
      ["loaded", false],
      ["failed", true],
    ]);
    assert.equal((await loadFile(t.db, request(bad))).status, "rejected");
  });
});

Deno.test("loader: a terminal failure is a verdict only under the layout it was read with", async () => {
  await withDb(async (t) => {
    const good = new TextDecoder().decode(await readFixture("tw_good_8rows.csv"));
    const renamed = new TextEncoder().encode(good.replace('"Flow Ind"', '"Flow Indicator"'));
    await assert.rejects(() => loadFile(t.db, request(renamed)), LoadError);
    assert.equal((await loadFile(t.db, request(renamed))).status, "rejected");
    // The source gains an alias for the header: the same bytes are read anew, and load.
    const aliases = { "Flow Indicator": "Flow Ind" };
    const aliased = sourceReport({ report: FAMILY_A.id, headerAliases: aliases });
    const r = await loadFile(t.db, request(renamed, { report: aliased }));
    assert.equal(r.status, "loaded");
    const ledger = await t.db.query<{ status: string; terminal: boolean; layout_sha: string }>(
      "SELECT status, terminal, layout_sha FROM staging.load_ledger ORDER BY load_id",
    );
    assert.deepEqual(ledger.map((l) => [l.status, l.terminal]), [["failed", true], [
      "loaded",
      false,
    ]]);
    assert.equal(ledger[0].layout_sha, layoutFingerprint(FAMILY_A.layout));
    assert.notEqual(layoutFingerprint(aliased.layout), layoutFingerprint(FAMILY_A.layout));
    const [{ n }] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM staging.operational_capacity",
    );
    assert.equal(n, 8);
  });
});

Deno.test("layoutFingerprint: equal for layouts that read alike, different when any check differs", () => {
  const f = layoutFingerprint(FAMILY_A.layout);
  assert.match(f, /^[0-9a-f]{16}$/);
  assert.equal(layoutFingerprint({ ...FAMILY_A.layout }), f);
  const changed = (i: number, over: Record<string, unknown>) => ({
    ...FAMILY_A.layout,
    columns: FAMILY_A.layout.columns.map((c, j) => j === i ? { ...c, ...over } : c),
  });
  for (
    const over of [{ header: "Loc Zone" }, { kind: "text" }, { codes: ["D", "R"] }, {
      optional: true,
    }]
  ) {
    assert.notEqual(layoutFingerprint(changed(5, over)), f, JSON.stringify(over));
  }
  assert.notEqual(layoutFingerprint({ ...FAMILY_A.layout, exactHeader: true }), f);
});

Deno.test("loader: a failure the same bytes may not hit again is not terminal", async () => {
  await withDb(async (t) => {
    const bytes = await readFixture("tw_good_8rows.csv");
    const broken = () =>
      Promise.resolve(
        new ReadableStream<Uint8Array>({
          pull(c) {
            c.error(new Error("connection reset while reading"));
          },
        }),
      );
    await assert.rejects(
      () => loadFile(t.db, request(bytes, { open: broken })),
      (e: unknown) => e instanceof LoadError && !isTerminal(e),
    );
    const [row] = await t.db.query<{ terminal: boolean }>(
      "SELECT terminal FROM staging.load_ledger",
    );
    assert.equal(row.terminal, false);
    assert.equal((await loadFile(t.db, request(bytes))).status, "loaded");
  });
});

Deno.test("loader: a stream that breaks midway leaves no partial file; a retry loads it", async () => {
  await withDb(async (t) => {
    // Many rows so that the failure comes after several COPY chunks were sent.
    const header =
      new TextDecoder().decode(await readFixture("tw_good_8rows.csv")).split("\r\n")[0];
    let text = header + "\r\n";
    for (let i = 0; i < 20_000; i++) {
      text += `"${
        700000 + i
      }","WEST TEXAS","P ${i}","MQ","DPQ","D","10","10","0","10","N","N","N","Y",""\r\n`;
    }
    const bytes = new TextEncoder().encode(text);
    let served = 0;
    const breaking = () =>
      Promise.resolve(
        new ReadableStream<Uint8Array>({
          pull(c) {
            if (served > bytes.length / 2) {
              c.error(new Error("connection reset while reading"));
              return;
            }
            c.enqueue(bytes.subarray(served, served + 65536));
            served += 65536;
          },
        }),
      );
    await assert.rejects(
      () => loadFile(t.db, request(bytes, { open: breaking })),
      /connection reset/,
    );
    assert.equal((await rows(t)).length, 0, "nothing of the broken file is visible");
    const ledger = await t.db.query<Row>("SELECT status FROM staging.load_ledger ORDER BY load_id");
    assert.deepEqual(ledger.map((x) => x.status), ["failed"]);
    const ok = await loadFile(t.db, request(bytes));
    assert.equal(ok.status, "loaded");
    assert.equal((await rows(t)).length, 20_000);
  });
});

Deno.test(
  `loader: two loads of one pair at once serialise; skip mode gives way${SERVER_ONLY.note}`,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    await withDb(async (t) => {
      const bytes = await readFixture("tw_good_8rows.csv");
      const [a, b] = await Promise.all([
        loadFile(t.db, request(bytes)),
        loadFile(t.db, request(bytes)),
      ]);
      assert.deepEqual([a.status, b.status].sort(), ["loaded", "unchanged"]);
      assert.equal((await rows(t)).length, 8);
      // Hold the pair lock in one transaction; a skip-mode load must give way.
      const skip = request(bytes, { lock: "skip", force: true });
      await t.db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
          pairLockKey(pairOf(skip)),
        ]);
        const r = await loadFile(t.db, skip);
        assert.equal(r.status, "locked");
      });
    });
  },
);

Deno.test("loader: header only is reported empty and writes nothing", async () => {
  await withDb(async (t) => {
    const text = new TextDecoder().decode(await readFixture("tw_good_8rows.csv")).split("\r\n")[0] +
      "\r\n\r\n";
    const r = await loadFile(t.db, request(new TextEncoder().encode(text)));
    assert.equal(r.status, "empty");
    const [{ n }] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM staging.load_ledger",
    );
    assert.equal(n, 0);
  });
});

const NO_SAMPLES = await samplesAbsent();

Deno.test({
  // Skipped only when the samples folder is absent; a present folder with a
  // missing or unreadable file fails (readSample throws).
  name: "loader: the real TW files of 2024-01-17 (Timely, then Final)" +
    (NO_SAMPLES ? ` [ignored: ${NO_SAMPLES}]` : ""),
  ignore: NO_SAMPLES !== undefined,
  async fn() {
    await withDb(async (t) => {
      const timely = (await readSample("tw_oac_2024-01-17_cycle0-timely_searchALL.csv"))!;
      const final = (await readSample("tw_oac_2024-01-17_cycle5-final_searchALL.csv"))!;
      const day = { gasDay: "2024-01-17" };
      const r = await loadFile(t.db, request(timely, day));
      assert.equal(r.status, "loaded");
      if (r.status !== "loaded") return;
      assert.equal(r.counts.rowsRead, 287);
      assert.equal(r.counts.inserted, 287);
      assert.equal(r.counts.quarantined, 0);
      const [{ n }] = await t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM staging.operational_capacity WHERE cycle = 'Timely' AND gas_day = '2024-01-17'",
      );
      assert.equal(n, 287);
      const dup = await t.db.query<{ loc: string; dirs: string }>(
        `SELECT loc, string_agg(flow_ind, '' ORDER BY flow_ind) AS dirs
         FROM staging.operational_capacity GROUP BY loc HAVING count(*) > 1`,
      );
      assert.equal(dup.length, 15, "15 locations are both delivery and receipt points");
      for (const d of dup) assert.equal(d.dirs, "DR");
      // Count of rows with a missing quantity, computed independently from the file.
      const lines = new TextDecoder().decode(timely).split("\r\n").slice(1).filter((l) => l);
      const withGap = lines.filter((l) => /,,|"D",,|,,"/.test(l));
      const nulls = await t.db.query<{ loc: string; qty_reason: string }>(
        `SELECT loc, qty_reason FROM staging.operational_capacity
         WHERE dc IS NULL OR opc IS NULL OR tsq IS NULL OR oac IS NULL`,
      );
      assert.equal(nulls.length, 11);
      assert.equal(withGap.length, 11);
      for (const x of nulls) {
        const line = lines.find((l) => l.startsWith(`"${x.loc}",`) && l.includes(x.qty_reason))!;
        assert.ok(line.endsWith(`"N","${x.qty_reason}"`), "qty_reason verbatim");
        assert.match(x.qty_reason, /unavailable/);
      }
      const zeros = await t.db.query(
        "SELECT 1 FROM staging.operational_capacity WHERE all_qty_avail = 'N' AND (dc = 0 AND opc = 0)",
      );
      assert.equal(zeros.length, 0, "missing is never stored as 0");
      const again = await loadFile(t.db, request(timely, day));
      assert.equal(again.status, "unchanged");
      const f = await loadFile(t.db, request(final, { ...day, cycle: FINAL }));
      assert.equal(f.status, "loaded");
      if (f.status === "loaded") assert.equal(f.counts.inserted, 287);
      const per = await t.db.query<{ cycle: string; n: number }>(
        "SELECT cycle, count(*)::int AS n FROM staging.operational_capacity GROUP BY cycle ORDER BY cycle",
      );
      assert.deepEqual(per, [{ cycle: "Final", n: 287 }, { cycle: "Timely", n: 287 }]);
    });
  },
});

Deno.test("loader: a new pair is copied straight in; a duplicate key sends it to the careful pass", async () => {
  await withDb(async (t) => {
    const steps: string[] = [];
    const onStep = (name: string) => steps.push(name);
    const good = await readFixture("tw_good_8rows.csv");
    const r = await loadFile(t.db, request(good, { onStep }));
    assert.equal(r.status, "loaded");
    assert.deepEqual(steps, ["copy", "ledger"], "direct COPY, no staging");

    // Duplicate at the very end (the server refuses the COPY after its last
    // row) and in the middle of a large file (refused while rows still flow).
    const header = new TextDecoder().decode(good).split("\r\n")[0];
    const line = (i: number) =>
      `"${800000 + i}","WEST TEXAS","P ${i}","MQ","DPQ","D","10","10","0","10","N","N","N","Y",""`;
    const late = [header, line(1), line(2), line(1)].join("\r\n") + "\r\n";
    const many = [
      header,
      line(0),
      ...Array.from({ length: 50_000 }, (_, i) => line(i + 1)),
      line(0),
    ];
    for (
      const [name, text, rows] of [["late", late, 3], [
        "mid",
        many.join("\r\n") + "\r\n",
        50_002,
      ]] as const
    ) {
      steps.length = 0;
      const day = name === "late" ? "2024-02-02" : "2024-02-03";
      const d = await loadFile(
        t.db,
        request(new TextEncoder().encode(text), { gasDay: day, onStep }),
      );
      assert.equal(d.status, "loaded", name);
      if (d.status !== "loaded") continue;
      assert.equal(d.counts.rowsRead, rows, name);
      assert.equal(d.counts.quarantined, 2, `${name}: both copies of the duplicate`);
      assert.equal(d.counts.inserted, rows - 2, name);
      assert.ok(steps.includes("duplicates"), `${name}: careful pass ran (${steps.join(",")})`);
      const [{ n }] = await t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM staging.operational_capacity WHERE gas_day = $1",
        [day],
      );
      assert.equal(n, rows - 2, name);
    }
  });
});

Deno.test("loader: more bad rows than a direct load keeps in memory go through staging", async () => {
  await withDb(async (t) => {
    const header =
      new TextDecoder().decode(await readFixture("tw_good_8rows.csv")).split("\r\n")[0];
    const lines = [header];
    for (let i = 0; i < 12_000; i++) {
      lines.push(
        `"${
          900000 + i
        }","WEST TEXAS","BAD ${i}","MQ","DPQ","D","-1","1","0","1","N","N","N","Y",""`,
      );
    }
    lines.push(`"999999","WEST TEXAS","GOOD","MQ","DPQ","D","1","1","0","1","N","N","N","Y",""`);
    const steps: string[] = [];
    const r = await loadFile(
      t.db,
      request(new TextEncoder().encode(lines.join("\r\n") + "\r\n"), {
        onStep: (s) => steps.push(s),
      }),
    );
    assert.equal(r.status, "loaded");
    if (r.status !== "loaded") return;
    assert.deepEqual(r.counts, {
      rowsRead: 12_001,
      inserted: 1,
      updated: 0,
      unchanged: 0,
      quarantined: 12_000,
      deleted: 0,
    });
    assert.ok(steps.includes("duplicates"), steps.join(","));
  });
});

/** The published header line, without its CRLF. */
const TW_HEADER_LINE =
  '"Loc","Loc Zn","Loc Name","Loc Purp Desc","Loc/QTI","Flow Ind","DC","OPC","TSQ","OAC",' +
  '"IT","Auth Overrun Ind","Nom Cap Exceed Ind","All Qty Avail","Qty Reason"';

/** A valid row for loc `700000 + i`, with an optional name and reason. */
function twLine(i: number, name = `P ${i}`, reason = ""): string {
  return `"${
    700000 + i
  }","WEST TEXAS","${name}","MQ","DPQ","D","10","10","0","10","N","N","N","Y","${reason}"`;
}

/** `lines` joined into a file, as bytes, with `edit` applied to the encoded bytes. */
function fileOf(lines: string[], edit?: (bytes: Uint8Array) => Uint8Array): Uint8Array {
  const bytes = new TextEncoder().encode(lines.join("\r\n") + "\r\n");
  return edit ? edit(bytes) : bytes;
}

const quarantined = (t: TestDatabase, day: string) =>
  t.db.query<{ line_no: number; raw_line: string; reason: string }>(
    "SELECT line_no, raw_line, reason FROM staging.quarantine WHERE gas_day = $1 ORDER BY line_no",
    [day],
  );

Deno.test("loader: a NUL byte quarantines its row, inside the sniff window or past it; the file loads", async () => {
  await withDb(async (t) => {
    // 2,000 rows (~200 KB): a NUL in line 4, well inside the first 64 KiB, and
    // one in line 1,901, far past it.
    const lines = [TW_HEADER_LINE, ...Array.from({ length: 2_000 }, (_, i) => twLine(i))];
    lines[3] = twLine(2, "BAD\0NAME");
    lines[1900] = twLine(1899, "P 1899", "late\0reason");
    const first = fileOf(lines);
    assert.ok(first.indexOf(0) < 64 * 1024 && first.lastIndexOf(0) > 64 * 1024);
    const nul = (col: string, field: number) =>
      `column "${col}" (field ${field}): contains a NUL character, which PostgreSQL text cannot store`;
    // A new pair (direct COPY), then a revision of it (staged merge): one more row.
    const revised = fileOf([...lines, twLine(5000)]);
    const loadIds: number[] = [];
    for (const [bytes, read] of [[first, 2_000], [revised, 2_001]] as const) {
      const r = await loadFile(t.db, request(bytes));
      assert.equal(r.status, "loaded");
      if (r.status !== "loaded") return;
      assert.equal(r.counts.rowsRead, read);
      assert.equal(r.counts.quarantined, 2);
      assert.equal((await rows(t)).length, read - 2);
      loadIds.push(r.loadId);
      const q = await t.db.query<{ line_no: number; raw_line: string; reason: string }>(
        "SELECT line_no, raw_line, reason FROM staging.quarantine WHERE load_id = $1 ORDER BY line_no",
        [r.loadId],
      );
      assert.deepEqual(q.map((x) => [x.line_no, x.reason]), [
        [4, nul("Loc Name", 3)],
        [1901, nul("Qty Reason", 15)],
      ]);
      // The raw line is stored with the NUL shown as U+2400, everything else verbatim.
      assert.equal(q[0].raw_line, lines[3].replace("\0", "\u2400"));
      assert.equal(q[1].raw_line, lines[1900].replace("\0", "\u2400"));
    }
    assert.notEqual(loadIds[0], loadIds[1]);
  });
});

Deno.test("loader: a NUL in a column that is not loaded does no harm, even where raw lines are kept", async () => {
  await withDb(async (t) => {
    // An extra column carries a NUL; a duplicated key forces the careful pass,
    // which stages every raw line.
    const header = `${TW_HEADER_LINE},"Comment"`;
    const lines = [header, `${twLine(1)},"a\0b"`, `${twLine(2)},""`, `${twLine(2)},""`];
    const r = await loadFile(t.db, request(fileOf(lines)));
    assert.equal(r.status, "loaded");
    if (r.status !== "loaded") return;
    assert.deepEqual([r.counts.inserted, r.counts.quarantined], [1, 2]);
    assert.deepEqual((await rows(t)).map((x) => x.loc), ["700001"]);
    // A malformed record holding a NUL keeps its raw text, made storable.
    const bad = [TW_HEADER_LINE, twLine(1), `"7\0"x,"y"`];
    const b = await loadFile(t.db, request(fileOf(bad), { gasDay: "2024-02-05" }));
    assert.equal(b.status, "loaded");
    const [q] = await quarantined(t, "2024-02-05");
    assert.equal(q.raw_line, '"7\u2400"x,"y"');
    assert.match(q.reason, /after a closing quote/);
  });
});

Deno.test("loader: an encoded U+FFFD loads as is; only bytes that are not UTF-8 quarantine their row", async () => {
  await withDb(async (t) => {
    const lines = [TW_HEADER_LINE, twLine(1, "CAF\uFFFD NAME"), twLine(2, "BADxBYTE"), twLine(3)];
    // Line 3: the x becomes 0xFF, which no UTF-8 text contains.
    const bytes = fileOf(lines, (b) => {
      const at = new TextEncoder().encode(lines.slice(0, 2).join("\r\n") + "\r\n").length +
        lines[2].indexOf("x");
      assert.equal(b[at], 0x78);
      b[at] = 0xff;
      return b;
    });
    const r = await loadFile(t.db, request(bytes));
    assert.equal(r.status, "loaded");
    if (r.status !== "loaded") return;
    assert.deepEqual([r.counts.inserted, r.counts.quarantined], [2, 1]);
    const stored = await rows(t);
    assert.deepEqual(stored.map((x) => [x.loc, x.loc_name]), [
      ["700001", "CAF\uFFFD NAME"],
      ["700003", "P 3"],
    ]);
    const [q] = await quarantined(t, "2024-02-01");
    assert.equal(q.line_no, 3);
    assert.equal(
      q.reason,
      'column "Loc Name" (field 3): bytes that are not valid UTF-8 (shown as U+FFFD in raw_line)',
    );
    assert.equal(q.raw_line, lines[2].replace("x", "\uFFFD"));
  });
});

Deno.test("loader: a CR-only file loads with the right line numbers", async () => {
  await withDb(async (t) => {
    const lines = [TW_HEADER_LINE, twLine(1), twLine(2, "BAD", ""), twLine(3)];
    lines[2] = lines[2].replace('"10","10","0"', '"-1","10","0"');
    const text = lines.join("\r") + "\r";
    const r = await loadFile(t.db, request(new TextEncoder().encode(text)));
    assert.equal(r.status, "loaded");
    if (r.status !== "loaded") return;
    assert.deepEqual([r.counts.rowsRead, r.counts.inserted, r.counts.quarantined], [3, 2, 1]);
    const [q] = await quarantined(t, "2024-02-01");
    assert.deepEqual([q.line_no, q.raw_line], [3, lines[2]]);
  });
});

/**
 * The fault suite's checker must be able to fail: each test builds a
 * database state by hand (plain SQL, not the loader) with one defect and
 * expects the checker to count exactly that defect.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { migrate } from "../../src/db/migrate.ts";
import { freshDatabase, serverOnly } from "../support/db.ts";
import { checkInvariants, type CheckReport, sha256Hex, splitLines } from "./checker.ts";
import { unclearReason } from "./messages.ts";

const HEADER =
  '"Loc","Loc Zn","Loc Name","Loc Purp Desc","Loc/QTI","Flow Ind","DC","OPC","TSQ","OAC","IT","Auth Overrun Ind","Nom Cap Exceed Ind","All Qty Avail","Qty Reason"';
const ROWS = [
  '"1001","WT","ONE","MQ","DPQ","D","100","100","40","60","N","N","N","Y",""',
  '"1001","WT","ONE","M2","RPQ","R","100","100","10","90","N","N","N","Y",""',
  '"1002","WT"," TWO  X","MQ","DPQ","D","50",,,,"Y","N","N","N","TSQ unavailable"',
  '"1003","PH","THREE, INC","MQ","DPQ","D","7","7","0","7","N","N","N","Y",""',
];
/** The table's values of ROWS, in column order after (loc, flow_ind). */
const VALUES: (string | number | null)[][] = [
  ["1001", "D", "WT", "ONE", "MQ", "DPQ", 100, 100, 40, 60, "N", "N", "N", "Y", ""],
  ["1001", "R", "WT", "ONE", "M2", "RPQ", 100, 100, 10, 90, "N", "N", "N", "Y", ""],
  [
    "1002",
    "D",
    "WT",
    " TWO  X",
    "MQ",
    "DPQ",
    50,
    null,
    null,
    null,
    "Y",
    "N",
    "N",
    "N",
    "TSQ unavailable",
  ],
  ["1003", "D", "PH", "THREE, INC", "MQ", "DPQ", 7, 7, 0, 7, "N", "N", "N", "Y", ""],
];
const GAS_DAY = "2024-01-17";

function file(lines: string[], end = "\r\n"): Uint8Array {
  return new TextEncoder().encode([HEADER, ...lines].map((l) => l + end).join(""));
}

interface World {
  sql: postgres.Sql;
  dataDir: string;
  /** Archive a body and record a loaded ledger row for it; returns its load id. */
  load(body: Uint8Array, cycle?: string, forced?: boolean): Promise<number>;
  /** Insert table rows for a load. */
  insert(values: (string | number | null)[][], loadId: number, cycle?: string): Promise<void>;
  check(expected?: { body: Uint8Array; cycle: string }[]): Promise<CheckReport>;
  done(): Promise<void>;
}

async function world(): Promise<World> {
  const t = await freshDatabase();
  await migrate(t.db, { schema: "staging" });
  const c = t.config;
  const sql = postgres({
    host: c.host,
    port: c.port,
    database: c.name,
    username: c.user,
    password: c.password?.reveal(),
    max: 2,
    onnotice: () => {},
  });
  const dataDir = await Deno.makeTempDir({ prefix: "tec-checker-" });
  return {
    sql,
    dataDir,
    async load(body, cycle = "Timely", forced = false) {
      const sha = await sha256Hex(body);
      await Deno.mkdir(`${dataDir}/raw/${sha.slice(0, 2)}`, { recursive: true });
      await Deno.writeFile(`${dataDir}/raw/${sha.slice(0, 2)}/${sha}.body`, body);
      const [{ id }] = await sql`INSERT INTO staging.load_ledger
        (source, report, asset, gas_day, cycle, sha256, bytes, status, forced)
        VALUES ('tw-oac', 'operationally-available', 'TW', ${GAS_DAY}, ${cycle}, ${sha}, ${body.length}, 'loaded', ${forced})
        RETURNING load_id::int AS id`;
      return id;
    },
    async insert(values, loadId, cycle = "Timely") {
      for (const v of values) {
        await sql`INSERT INTO staging.operational_capacity (source, asset, gas_day, cycle, loc, flow_ind,
            loc_zn, loc_name, loc_purp_desc, loc_qti, dc, opc, tsq, oac, it, auth_overrun_ind,
            nom_cap_exceed_ind, all_qty_avail, qty_reason, load_id)
          VALUES ('tw-oac', 'TW', ${GAS_DAY}, ${cycle}, ${v[0]}, ${v[1]}, ${v[2]}, ${v[3]}, ${v[4]},
            ${v[5]}, ${v[6]}, ${v[7]}, ${v[8]}, ${v[9]}, ${v[10]}, ${v[11]}, ${v[12]}, ${v[13]},
            ${v[14]}, ${loadId})`;
      }
    },
    check(expected = []) {
      return checkInvariants({
        sql,
        host: c.host,
        port: c.port,
        user: c.user,
        database: c.name,
        password: c.password?.reveal(),
        dataDir,
        expected: expected.map((e) => ({ asset: "TW", gasDay: GAS_DAY, ...e })),
      });
    },
    async done() {
      await sql.end();
      await t.drop();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

function counts(r: CheckReport) {
  const { lost, duplicated, extra, partial, unclear } = r;
  return { lost, duplicated, extra, partial, unclear };
}

const ZERO = { lost: 0, duplicated: 0, extra: 0, partial: 0, unclear: 0 };

const SERVER_ONLY = serverOnly("the fault suite's checker reads the server");

Deno.test("checker: a pair equal to its file is clean, CRLF and CR-only alike" + SERVER_ONLY.note, {
  ignore: SERVER_ONLY.ignore,
}, async () => {
  const w = await world();
  try {
    await w.insert(VALUES, await w.load(file(ROWS)));
    await w.insert(VALUES, await w.load(file(ROWS, "\r"), "Evening"), "Evening");
    const r = await w.check();
    assert.deepEqual(counts(r), ZERO, r.problems.join("\n"));
    assert.equal(r.files, 2);
    assert.equal(r.rows, 8);
  } finally {
    await w.done();
  }
});

Deno.test("checker: a missing row is lost and the pair partial" + SERVER_ONLY.note, {
  ignore: SERVER_ONLY.ignore,
}, async () => {
  const w = await world();
  try {
    await w.insert(VALUES.slice(1), await w.load(file(ROWS)));
    const r = await w.check();
    assert.deepEqual(counts(r), { ...ZERO, lost: 1, partial: 1 });
  } finally {
    await w.done();
  }
});

Deno.test(
  "checker: a changed value, a NULL for a number and an extra row are found" + SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const w = await world();
    try {
      const id = await w.load(file(ROWS));
      const changed = VALUES.map((v) => [...v]);
      changed[0][8] = 41; // tsq
      changed[3][6] = null; // dc missing, where the file has 7
      await w.insert([...changed, [
        "9999",
        "R",
        null,
        null,
        null,
        null,
        1,
        1,
        1,
        0,
        "N",
        "N",
        "N",
        "Y",
        "",
      ]], id);
      const r = await w.check();
      assert.deepEqual(counts(r), { ...ZERO, lost: 2, extra: 1, partial: 1 });
    } finally {
      await w.done();
    }
  },
);

Deno.test(
  "checker: a bad row must be quarantined under its line, never loaded" + SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const w = await world();
    try {
      const bad = '"1004","WT","BAD\u0000NAME","MQ","DPQ","D","1","1","0","1","N","N","N","Y",""';
      const neg = '"1005","WT","NEG","MQ","DPQ","D","-1","1","0","1","N","N","N","Y",""';
      const body = file([...ROWS, bad, neg]);
      const id = await w.load(body);
      await w.insert(VALUES, id);
      await w.sql`INSERT INTO staging.quarantine (load_id, source, report, asset, gas_day, cycle,
      sha256, line_no, raw_line, reason)
      VALUES (${id}, 'tw-oac', 'operationally-available', 'TW', ${GAS_DAY}, 'Timely', ${await sha256Hex(
        body,
      )}, 6,
      'x', 'NUL byte')`;
      const r = await w.check();
      // Line 7 (a negative number) is neither in the table nor in quarantine.
      assert.deepEqual(counts(r), { ...ZERO, lost: 1 });
    } finally {
      await w.done();
    }
  },
);

Deno.test(
  "checker: both copies of a duplicated key are expected in quarantine" + SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const w = await world();
    try {
      const body = file([...ROWS, ROWS[3]]);
      await w.insert(VALUES.slice(0, 3), await w.load(body));
      const r = await w.check();
      // Lines 5 and 6 hold the same key: bad, and not quarantined here.
      assert.deepEqual(counts(r), { ...ZERO, lost: 2 });
      assert.equal(r.rows, 3);
    } finally {
      await w.done();
    }
  },
);

Deno.test("checker: an expected file that never loaded loses its rows" + SERVER_ONLY.note, {
  ignore: SERVER_ONLY.ignore,
}, async () => {
  const w = await world();
  try {
    const r = await w.check([{ body: file(ROWS), cycle: "Timely" }]);
    assert.deepEqual(counts(r), { ...ZERO, lost: 4 });
    assert.ok(r.problems.some((p) => p.includes("is not loaded")), r.problems.join("\n"));
  } finally {
    await w.done();
  }
});

Deno.test(
  "checker: rows without a successful load, a load left open, bytes loaded twice" +
    SERVER_ONLY.note,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const w = await world();
    try {
      await w.insert(VALUES.slice(0, 1), 0, "Final");
      const body = file(ROWS);
      await w.load(body);
      const id = await w.load(body);
      await w.insert(VALUES, id);
      await w.sql`INSERT INTO staging.load_ledger (source, report, asset, gas_day, cycle, sha256,
      bytes, status) VALUES ('tw-oac', 'operationally-available', 'TW', ${GAS_DAY}, 'Evening', ${
        "0".repeat(64)
      }, 0, 'loading')`;
      const r = await w.check();
      assert.deepEqual(counts(r), { ...ZERO, extra: 1, duplicated: 1, partial: 1 });
    } finally {
      await w.done();
    }
  },
);

Deno.test("checker: failed ledger rows need a clear one-line reason" + SERVER_ONLY.note, {
  ignore: SERVER_ONLY.ignore,
}, async () => {
  const w = await world();
  try {
    for (
      const error of [
        "fetch failed: HTTP 503 Service Unavailable after 3 attempts",
        "",
        "the server rejected the COPY after its last row (the driver does not report why)",
        "TypeError: x\n    at f (file:///a.ts:1:2)",
      ]
    ) {
      await w.sql`INSERT INTO staging.load_ledger (source, report, asset, gas_day, cycle, sha256,
        bytes, status, error) VALUES ('tw-oac', 'operationally-available', 'TW', ${GAS_DAY}, 'Timely', ${
        "a".repeat(64)
      }, 1,
        'failed', ${error})`;
    }
    const r = await w.check();
    assert.equal(r.unclear, 3, r.problems.join("\n"));
  } finally {
    await w.done();
  }
});

Deno.test("unclearReason: what an operator cannot act on" + SERVER_ONLY.note, {
  ignore: SERVER_ONLY.ignore,
}, () => {
  assert.equal(unclearReason("could not connect: HTTP/1.1 400 Bad Request answered"), undefined);
  assert.equal(unclearReason(undefined), "no reason recorded");
  assert.equal(unclearReason("undefined"), "names no cause");
  assert.equal(unclearReason("a\nb"), "more than one line");
  assert.equal(
    unclearReason("Cannot read properties of null (reading 'write')"),
    "is an internal TypeError",
  );
});

Deno.test("splitLines: CRLF, LF and CR, no final empty line" + SERVER_ONLY.note, {
  ignore: SERVER_ONLY.ignore,
}, () => {
  const d = new TextDecoder();
  const lines = splitLines(new TextEncoder().encode("a\r\nb\nc\rd\r\n")).map((l) => d.decode(l));
  assert.deepEqual(lines, ["a", "b", "c", "d"]);
});

import assert from "node:assert/strict";
import { main } from "../src/main.ts";
import { pairKey, startFakeIpost, TW_HEADER } from "./support/fake_ipost.ts";
import { freshDatabase, type TestDatabase } from "./support/db.ts";
import { programEnv, readFixture, readSample } from "./support/env.ts";

interface Run {
  code: number;
  logs: Record<string, unknown>[];
  errors: string;
  out: string;
}

async function harness() {
  const fake = startFakeIpost();
  const t: TestDatabase = await freshDatabase();
  const dataDir = await Deno.makeTempDir({ prefix: "tec-main-" });
  const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir });
  const run = async (
    argv: string[],
    extraEnv: Record<string, string> = {},
    now?: Date,
  ): Promise<Run> => {
    const lines: string[] = [];
    let errors = "";
    let out = "";
    const code = await main(argv, {
      env: { ...env, ...extraEnv },
      logWrite: (l) => lines.push(l),
      printError: (e) => (errors += e + "\n"),
      print: (o) => (out += o + "\n"),
      clock: now ? { now: () => now, sleep: () => Promise.resolve() } : undefined,
    });
    return { code, logs: lines.map((l) => JSON.parse(l)), errors, out };
  };
  return {
    fake,
    t,
    dataDir,
    run,
    async done() {
      await fake.close();
      await t.drop();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

const count = async (t: TestDatabase, sql: string) => (await t.db.query<{ n: number }>(sql))[0].n;

async function sampleOrFixture(name: string): Promise<Uint8Array> {
  return (await readSample(name)) ?? (await readFixture("tw_good_8rows.csv"));
}

Deno.test("once: cycle=[0,5] loads every combination and exits 0; a re-run changes nothing", async () => {
  const h = await harness();
  try {
    const timely = await sampleOrFixture("tw_oac_2024-01-17_cycle0-timely_searchALL.csv");
    const final = await sampleOrFixture("tw_oac_2024-01-17_cycle5-final_searchALL.csv");
    h.fake.script(pairKey("TW", "2024-01-17", 0), [{ kind: "csv", body: timely }]);
    h.fake.script(pairKey("TW", "2024-01-17", 5), [{ kind: "csv", body: final }]);
    const r = await h.run(["--once", "--params", "gasDay=2024-01-17", "cycle=[0,5]"]);
    assert.equal(r.code, 0, r.errors);
    const rowsPerFile = new TextDecoder().decode(timely).trim().split("\n").length - 1;
    assert.equal(
      await count(h.t, "SELECT count(*)::int AS n FROM staging.operational_capacity"),
      2 * rowsPerFile,
    );
    const loads = r.logs.filter((l) => l.event === "load.done");
    assert.equal(loads.length, 2);
    for (const l of loads) {
      for (const k of ["asset", "gas_day", "cycle", "sha256", "rows", "inserted", "duration_ms"]) {
        assert.ok(k in l, `load line carries ${k}`);
      }
      assert.equal(String(l.sha256).length, 12);
    }
    assert.deepEqual(loads.map((l) => l.cycle).sort(), ["Final", "Timely"]);
    const again = await h.run(["--once", "--params", "gasDay=01/17/2024", "cycle=[timely,final]"]);
    assert.equal(again.code, 0);
    assert.equal(again.logs.filter((l) => l.event === "load.unchanged").length, 2);
    assert.equal(await count(h.t, "SELECT count(*)::int AS n FROM staging.load_ledger"), 2);
  } finally {
    await h.done();
  }
});

Deno.test("once: the cartesian product of two lists is processed whole", async () => {
  const h = await harness();
  try {
    const body = await readFixture("tw_good_8rows.csv");
    for (const d of ["2024-01-16", "2024-01-17"]) {
      for (const c of [0, 1]) h.fake.script(pairKey("TW", d, c), [{ kind: "csv", body }]);
    }
    const r = await h.run(["--once", "--params", "cycle=[0,1]", "gasDay=[2024-01-16,2024-01-17]"]);
    assert.equal(r.code, 0, r.errors);
    const keys = h.fake.requests.map((x) => x.key).sort();
    assert.deepEqual(keys, [
      "TW|2024-01-16|0",
      "TW|2024-01-16|1",
      "TW|2024-01-17|0",
      "TW|2024-01-17|1",
    ]);
    assert.equal(
      await count(
        h.t,
        "SELECT count(DISTINCT (gas_day, cycle))::int AS n FROM staging.operational_capacity",
      ),
      4,
    );
  } finally {
    await h.done();
  }
});

Deno.test("once: empty, header-only, HTML and garbage bodies are 'not posted' (exit 3), never loaded", async () => {
  const h = await harness();
  try {
    const kinds = ["empty", "header_only", "html", "garbage"] as const;
    const days = ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"];
    kinds.forEach((k, i) => h.fake.script(pairKey("TW", days[i], 1), [{ kind: k }]));
    const r = await h.run(["--once", "--params", `gasDay=[${days.join(",")}]`, "cycle=1"]);
    assert.equal(r.code, 3, r.errors);
    const np = r.logs.filter((l) => l.event === "not_posted");
    assert.equal(np.length, 4);
    const reasons = np.map((l) => String(l.reason)).join(" | ");
    assert.match(reasons, /empty body/);
    assert.match(reasons, /header only/);
    assert.match(reasons, /HTML/);
    assert.match(reasons, /not a capacity CSV/);
    assert.equal(await count(h.t, "SELECT count(*)::int AS n FROM staging.load_ledger"), 0);
    assert.equal(
      await count(h.t, "SELECT count(*)::int AS n FROM staging.operational_capacity"),
      0,
    );
    // ...but every body fetched is archived with its request.
    let bodies = 0;
    for await (const d of Deno.readDir(`${h.dataDir}/raw`)) {
      if (!d.isDirectory) continue;
      for await (const f of Deno.readDir(`${h.dataDir}/raw/${d.name}`)) {
        if (f.name.endsWith(".body")) bodies++;
      }
    }
    assert.equal(bodies, 4);
  } finally {
    await h.done();
  }
});

Deno.test("once: exit 1 on failure (404, renamed header); loaded + not posted is 3", async () => {
  const h = await harness();
  try {
    const good = await readFixture("tw_good_8rows.csv");
    const renamed = new TextDecoder().decode(good).replace('"OPC"', '"Operating Capacity"');
    h.fake.script(pairKey("TW", "2024-04-01", 0), [{ kind: "csv", body: good }]);
    h.fake.script(pairKey("TW", "2024-04-01", 1), [{ kind: "status", status: 404 }]);
    h.fake.script(pairKey("TW", "2024-04-01", 3), [{ kind: "csv", body: renamed }]);
    const mixed = await h.run(["--once", "--params", "gasDay=2024-04-01", "cycle=[0,4]"]);
    assert.equal(mixed.code, 3);
    const notFound = await h.run(["--once", "--params", "gasDay=2024-04-01", "cycle=1"]);
    assert.equal(notFound.code, 1);
    assert.ok(
      notFound.logs.some((l) => l.event === "fetch.failed" && /HTTP 404/.test(String(l.reason))),
    );
    const bad = await h.run(["--once", "--params", "gasDay=2024-04-01", "cycle=intraday1"]);
    assert.equal(bad.code, 1);
    const failed = await h.t.db.query<{ status: string; error: string }>(
      "SELECT status, error FROM staging.load_ledger WHERE cycle = 'Intraday 1'",
    );
    assert.equal(failed.length, 1);
    assert.equal(failed[0].status, "failed");
    assert.match(failed[0].error, /required header missing: "OPC"/);
  } finally {
    await h.done();
  }
});

Deno.test("once: bad usage and bad configuration exit 2 with a message naming the problem", async () => {
  const h = await harness();
  try {
    const cycle = await h.run(["--once", "--params", "cycle=2"]);
    assert.equal(cycle.code, 2);
    assert.match(cycle.errors, /cycle: expected one of 0\|timely/);
    const day = await h.run(["--once", "--params", "gasDay=2024-02-30"]);
    assert.equal(day.code, 2);
    assert.match(day.errors, /gasDay.*"2024-02-30"/);
    const opt = await h.run(["--once", "--nope"]);
    assert.equal(opt.code, 2);
    assert.match(opt.errors, /--nope/);
    const port = await h.run(["--once"], { DB_PORT: "99999" });
    assert.equal(port.code, 2);
    assert.match(port.errors, /database\.port \(from environment DB_PORT\).*99999/);
    const file = `${h.dataDir}/bad.yaml`;
    await Deno.writeTextFile(file, "database:\n  host: x\n   port: 5\n");
    const yaml = await h.run(["--once", "--config", file]);
    assert.equal(yaml.code, 2);
    assert.match(yaml.errors, /bad\.yaml.*\n.*line 2, column \d+/);
  } finally {
    await h.done();
  }
});

Deno.test("once: --help and --version need no database", async () => {
  const h = await harness();
  try {
    const help = await h.run(["--help"], { DB_PORT: "1" });
    assert.equal(help.code, 0);
    assert.match(help.out, /--params key=value/);
    const v = await h.run(["--version"]);
    assert.equal(v.code, 0);
    assert.match(v.out, /^tec-pipeline \d+\.\d+\.\d+/);
  } finally {
    await h.done();
  }
});

Deno.test("once: without gasDay the current gas day in Chicago is used", async () => {
  const h = await harness();
  try {
    // 2024-07-02 13:30 UTC = 08:30 CDT: still gas day 2024-07-01.
    const r = await h.run(["--once", "--params", "cycle=0"], {}, new Date("2024-07-02T13:30:00Z"));
    assert.equal(r.code, 3);
    assert.deepEqual(h.fake.requests.map((x) => x.key), ["TW|2024-07-01|0"]);
  } finally {
    await h.done();
  }
});

Deno.test("once: --replay loads an archived body or a local file exactly as if fetched", async () => {
  const h = await harness();
  try {
    const body = await readFixture("tw_good_8rows.csv");
    h.fake.script(pairKey("TW", "2024-05-01", 7), [{ kind: "csv", body }]);
    const first = await h.run(["--once", "--params", "gasDay=2024-05-01", "cycle=7"]);
    assert.equal(first.code, 0);
    const sha = String(first.logs.find((l) => l.event === "load.done")!.sha256);
    // Same bytes: already loaded.
    const same = await h.run(["--once", "--replay", sha]);
    assert.equal(same.code, 0);
    assert.ok(same.logs.some((l) => l.event === "load.unchanged" && l.cycle === "Intraday 3"));
    const forced = await h.run(["--once", "--force", "--replay", sha]);
    assert.equal(forced.code, 0);
    const done = forced.logs.find((l) => l.event === "load.done")!;
    assert.equal(done.gas_day, "2024-05-01");
    assert.equal(done.unchanged, 8);
    // A local file needs its gas day and cycle.
    const file = `${h.dataDir}/local.csv`;
    await Deno.writeFile(file, body);
    const missing = await h.run(["--once", "--replay", file]);
    assert.equal(missing.code, 2);
    const local = await h.run([
      "--once",
      "--replay",
      file,
      "--params",
      "gasDay=2024-05-02",
      "cycle=final",
    ]);
    assert.equal(local.code, 0);
    const [ledger] = await h.t.db.query<{ url: string; cycle: string }>(
      "SELECT url, cycle FROM staging.load_ledger WHERE gas_day = '2024-05-02'",
    );
    assert.equal(ledger.url, `file://${file}`);
    assert.equal(ledger.cycle, "Final");
    assert.equal(h.fake.requests.length, 1, "replays never touch the network");
  } finally {
    await h.done();
  }
});

Deno.test("once: passwords never reach logs or errors", async () => {
  const h = await harness();
  try {
    const secret = "s3cret-Pa55word";
    // Unreachable database: the error is logged, the password is not.
    const a = await h.run(["--once", "--params", "cycle=0"], {
      DB_PORT: "1",
      DB_PASSWORD: secret,
    });
    assert.equal(a.code, 1);
    const b = await h.run(["--once", "--params", "cycle=0"], {
      DATABASE_URL: `postgres://postgres:${secret}@127.0.0.1:1/test`,
    });
    assert.equal(b.code, 1);
    const c = await h.run(["--once"], { DATABASE_URL: `mysql://u:${secret}@h/db` });
    assert.equal(c.code, 2);
    for (const r of [a, b, c]) {
      const all = JSON.stringify(r.logs) + r.errors + r.out;
      assert.ok(!all.includes(secret), all);
    }
    assert.ok(a.logs.some((l) => l.event === "db.unavailable"));
  } finally {
    await h.done();
  }
});

Deno.test("once: the fake server rejects a wrong URL, so the right one is what loads", async () => {
  const h = await harness();
  try {
    h.fake.script(pairKey("TW", "2024-01-17", 0), [{ kind: "csv", body: TW_HEADER }]);
    await h.run(["--once", "--params", "gasDay=2024-01-17", "cycle=0", "locZone=WEST"]);
    const [seen] = h.fake.requests;
    assert.equal(seen.status, 200);
    assert.equal(seen.query.asset, "TW");
    assert.equal(seen.query.gasDay, "01/17/2024");
    assert.equal(seen.query.searchType, "ALL");
    assert.equal(seen.query.locZone, "WEST");
  } finally {
    await h.done();
  }
});

import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { pairKey, startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readFixture, writeConfig } from "../support/env.ts";

Deno.test("backfill: dry-run prints the plan and touches nothing", async () => {
  let out = "";
  const code = await main(
    [
      "backfill",
      "--from",
      "2024-01-01",
      "--to",
      "2024-01-03",
      "--cycles",
      "timely,final",
      "--dry-run",
    ],
    // An unreachable database and site: a dry run must not need either.
    { env: { DB_PORT: "1", API_URL: "http://127.0.0.1:1" }, print: (t) => (out += t) },
  );
  assert.equal(code, 0);
  assert.match(out, /2024-01-01 tw-oac: Timely, Final/);
  assert.match(out, /2024-01-03 tw-oac: Timely, Final/);
  assert.match(out, /6 pairs, 6 requests/);
});

Deno.test("backfill: loads a range, then resumes without fetching what is loaded", async () => {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dataDir = await Deno.makeTempDir({ prefix: "tec-backfill-" });
  const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir });
  try {
    const body = await readFixture("tw_good_8rows.csv");
    // Day 2's Final is not posted on the first pass.
    let day2Final = false;
    fake.setDefault((key) =>
      key === pairKey("TW", "2024-01-02", 5) && !day2Final
        ? { kind: "header_only" }
        : { kind: "csv", body }
    );
    const logs: string[] = [];
    const config = await writeConfig(dataDir, { requests_per_minute: "6000" });
    const args = [
      "backfill",
      "--config",
      config,
      "--from",
      "2024-01-01",
      "--to",
      "2024-01-03",
      "--cycles",
      "timely,final",
    ];
    const first = await main(args, { env, logWrite: (l) => logs.push(l) });
    assert.equal(first, 3, "one pair not posted yet");
    assert.equal(fake.requests.length, 6);
    assert.ok(logs.some((l) => l.includes('"backfill.progress"') && l.includes('"done":6')));
    day2Final = true;
    const second = await main(args, { env, logWrite: (l) => logs.push(l) });
    assert.equal(second, 0);
    assert.equal(fake.requests.length, 7, "only the missing pair was fetched again");
    const [{ n }] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM staging.load_ledger WHERE status = 'loaded'",
    );
    assert.equal(n, 6);
  } finally {
    await fake.close();
    await t.drop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("backfill: dry-run consults the ledger when the database answers", async () => {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dataDir = await Deno.makeTempDir({ prefix: "tec-backfill-" });
  const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir });
  try {
    const body = await readFixture("tw_good_8rows.csv");
    fake.setDefault(() => ({ kind: "csv", body }));
    const config = await writeConfig(dataDir, { requests_per_minute: "30" });
    const range = ["--config", config, "--from", "2024-01-01", "--to", "2024-01-03"];
    // Before anything exists (no schema yet): every pair is to fetch, and nothing is created.
    let out = "";
    assert.equal(
      await main(["backfill", ...range, "--cycles", "timely,final", "--dry-run"], {
        env,
        print: (s) => (out += s + "\n"),
      }),
      0,
    );
    assert.match(out, /already loaded: 0; to fetch: 6; about 12s at 30 requests\/min per host/);
    const [{ n: schemas }] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'staging'",
    );
    assert.equal(schemas, 0, "a dry run creates nothing");
    await main(["backfill", ...range, "--cycles", "timely"], { env, logWrite: () => {} });
    out = "";
    await main(["backfill", ...range, "--cycles", "timely,final", "--dry-run"], {
      env,
      print: (s) => (out += s + "\n"),
    });
    assert.match(out, /already loaded: 3; to fetch: 3; about 6s at 30 requests\/min per host/);
    assert.equal(fake.requests.length, 3, "a dry run never asks the site");
  } finally {
    await fake.close();
    await t.drop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { type PipelineContext, processPair } from "../../src/pipeline/process_pair.ts";
import { loadConfig } from "../../src/config/load.ts";
import { RawArchive } from "../../src/archive/raw_archive.ts";
import { findCycle } from "../../src/domain/cycles.ts";
import type { Database } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrate.ts";
import { type FakeIpost, pairKey, startFakeIpost, TW_HEADER } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { memoryLogger } from "../support/env.ts";

const ROW = '"1","Z","N","MQ","DPQ","D","1","1","0","1","N","N","N","Y",""\r\n';

/** Fetch failures never reach the database; any use of it fails the test. */
const noDb = new Proxy({}, {
  get() {
    throw new Error("the database must not be used");
  },
}) as Database;

Deno.test("pair: a failed fetch says whether asking again soon can help", async () => {
  const fake = startFakeIpost();
  const dir = await Deno.makeTempDir();
  try {
    const { config } = await loadConfig({
      env: { API_URL: fake.url },
      readTextFile: () => Promise.reject(new Deno.errors.NotFound("none")),
    });
    config.http = { ...config.http, retryAttempts: 2, backoffBaseMs: 1, backoffMaxMs: 5 };
    const ctx = { config, db: noDb, archive: new RawArchive(dir), log: memoryLogger().log };
    const job = (code: number) => ({
      source: config.sources[0],
      gasDay: "2024-01-17",
      cycle: findCycle(String(code))!,
    });
    fake.script(pairKey("TW", "2024-01-17", 0), [{ kind: "status", status: 404 }]);
    fake.script(pairKey("TW", "2024-01-17", 1), [{ kind: "status", status: 503 }]);
    fake.script(pairKey("TW", "2024-01-17", 3), [{ kind: "status", status: 429, retryAfter: "0" }]);
    fake.script(pairKey("TW", "2024-01-17", 4), [{ kind: "oversize", bytes: 80 << 20 }]);
    const outcomes = [];
    for (const code of [0, 1, 3, 4]) outcomes.push(await processPair(ctx, job(code)));
    assert.deepEqual(
      outcomes.map((o) => [o.status, o.retryable]),
      [["failed", false], ["failed", true], ["failed", true], ["failed", false]],
    );
    assert.match(outcomes[0].reason!, /HTTP 404/);
    assert.match(outcomes[3].reason!, /max_body_bytes/);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

async function fetchContext(fake: FakeIpost, dir: string, db: Database = noDb) {
  const { config } = await loadConfig({
    env: { API_URL: fake.url },
    readTextFile: () => Promise.reject(new Deno.errors.NotFound("none")),
  });
  config.http = { ...config.http, retryAttempts: 2, backoffBaseMs: 1, backoffMaxMs: 5000 };
  const attempts: string[] = [];
  const ctx: PipelineContext = {
    config,
    db,
    archive: new RawArchive(dir),
    log: memoryLogger().log,
    sleep: () => Promise.resolve(),
    observer: { fetchAttempt: (_job, outcome) => attempts.push(outcome) },
  };
  const job = { source: config.sources[0], gasDay: "2024-01-17", cycle: findCycle("0")! };
  return { ctx, job, attempts };
}

Deno.test("pair: a host that asks to slow down is reported to the rate limit", async () => {
  const fake = startFakeIpost();
  const dir = await Deno.makeTempDir();
  try {
    const { ctx, job } = await fetchContext(fake, dir);
    const throttled: [string, number][] = [];
    ctx.throttle = (url, ms) => throttled.push([new URL(url).pathname, ms]);
    fake.script(pairKey("TW", "2024-01-17", 0), [
      { kind: "status", status: 429, retryAfter: "2" },
      { kind: "status", status: 404 },
    ]);
    const o = await processPair(ctx, job);
    assert.equal(o.status, "failed");
    assert.deepEqual(throttled, [["/ipost/TW/capacity/operationally-available", 2000]]);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pair: a data dir that is a file fails as an archive error, one request, no retry", async () => {
  const fake = startFakeIpost();
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/data`;
    await Deno.writeTextFile(file, "not a directory");
    const { ctx, job, attempts } = await fetchContext(fake, file);
    fake.script(pairKey("TW", "2024-01-17", 0), [{ kind: "csv", body: TW_HEADER + ROW }]);
    const o = await processPair(ctx, job);
    assert.equal(o.status, "failed");
    assert.equal(
      o.reason,
      `cannot write the raw archive at ${file}/raw: ${file} is a regular file, not a directory`,
    );
    assert.equal(o.retryable, true, "freeing the path clears it");
    assert.equal(fake.count(pairKey("TW", "2024-01-17", 0)), 1);
    assert.deepEqual(attempts, ["archive_error"]);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** /dev/full answers every write with ENOSPC: a disk that is full, for real. */
const hasDevFull = (() => {
  try {
    return Deno.statSync("/dev/full").isCharDevice === true;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "pair: a full disk under the request log is an archive error, not a network one",
  ignore: !hasDevFull,
  fn: fullDiskTest,
});

async function fullDiskTest() {
  const fake = startFakeIpost();
  const dir = await Deno.makeTempDir();
  try {
    const { ctx, job, attempts } = await fetchContext(fake, dir);
    const body = TW_HEADER + ROW;
    const sha = createHash("sha256").update(body).digest("hex");
    const log = ctx.archive.requestsPath(sha);
    await Deno.mkdir(dirname(log), { recursive: true });
    await Deno.symlink("/dev/full", log);
    fake.script(pairKey("TW", "2024-01-17", 0), [{ kind: "csv", body }]);
    const o = await processPair(ctx, job);
    assert.equal(o.status, "failed");
    assert.equal(o.reason, `cannot write the raw archive at ${log}: No space left on device`);
    assert.doesNotMatch(o.reason!, /network/);
    assert.equal(fake.count(pairKey("TW", "2024-01-17", 0)), 1);
    assert.deepEqual(attempts, ["ok"]);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("pair: a posting that fails for good is recorded once and not loaded again", async () => {
  const fake = startFakeIpost();
  const dir = await Deno.makeTempDir();
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    const { ctx, job } = await fetchContext(fake, dir, t.db);
    const broken = TW_HEADER.replace('"Flow Ind"', '"Flow Indicator"') + ROW;
    fake.script(pairKey("TW", "2024-01-17", 0), [{ kind: "csv", body: broken }]);
    const first = await processPair(ctx, job);
    const second = await processPair(ctx, job);
    assert.equal(first.status, "failed");
    assert.equal(first.retryable, false);
    assert.match(first.reason!, /required header missing: "Flow Ind"/);
    assert.deepEqual(
      [second.status, second.retryable, second.reason, second.loadId],
      ["failed", false, first.reason, first.loadId],
    );
    const [{ n }] = await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM staging.load_ledger",
    );
    assert.equal(n, 1);
  } finally {
    await fake.close();
    await t.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

import assert from "node:assert/strict";
import { type PipelineContext, processPair } from "../../src/pipeline/process_pair.ts";
import { loadConfig } from "../../src/config/load.ts";
import { RawArchive } from "../../src/archive/raw_archive.ts";
import { findCycle } from "../../src/domain/cycles.ts";
import type { Database } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrate.ts";
import { type FakeIpost, pairKey, startFakeIpost, TW_HEADER } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { memoryLogger } from "../support/env.ts";

const KEY = pairKey("TW", "2024-01-17", 0);
const row = (i: number) =>
  `"${500000 + i}","Z","N ${i}","MQ","DPQ","D","1","1","0","1","N","N","N","Y",""\r\n`;
const ROWS = 20;
const BODY = new TextEncoder().encode(
  TW_HEADER + Array.from({ length: ROWS }, (_, i) => row(i)).join(""),
);
/** A Content-Length that stops inside the 9th row's name. */
const CUT = new TextEncoder().encode(
  TW_HEADER + Array.from({ length: 8 }, (_, i) => row(i)).join("") + '"500008","Z","N',
).length;

/** Fetch failures never reach the database; any use of it fails the test. */
const noDb = new Proxy({}, {
  get() {
    throw new Error("the database must not be used");
  },
}) as Database;

async function context(fake: FakeIpost, dir: string, db: Database) {
  const { config } = await loadConfig({
    env: { API_URL: fake.url },
    readTextFile: () => Promise.reject(new Deno.errors.NotFound("none")),
  });
  config.http = { ...config.http, retryAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 5 };
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

Deno.test("pair: a body cut short by its Content-Length is a transient fetch failure, never loaded", async () => {
  const fake = startFakeIpost();
  const dir = await Deno.makeTempDir();
  try {
    const { ctx, job, attempts } = await context(fake, dir, noDb);
    fake.script(KEY, [{ kind: "short_length", body: BODY, contentLength: CUT }]);
    const o = await processPair(ctx, job);
    assert.equal(o.status, "failed");
    assert.equal(o.retryable, true, "asked again later, like a network error");
    assert.match(o.reason!, /^truncated body: the last line ends inside a quoted field/);
    assert.equal(o.loadId, undefined);
    assert.equal(fake.count(KEY), 3);
    assert.deepEqual(attempts, ["truncated", "truncated", "truncated"]);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pair: a cut answer, then the whole file: the whole file is loaded", async () => {
  const fake = startFakeIpost();
  const dir = await Deno.makeTempDir();
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    const { ctx, job, attempts } = await context(fake, dir, t.db);
    fake.script(KEY, [
      { kind: "short_length", body: BODY, contentLength: CUT },
      { kind: "csv", body: BODY },
    ]);
    const o = await processPair(ctx, job);
    assert.equal(o.status, "loaded", o.reason);
    assert.equal(o.counts?.rowsRead, ROWS);
    assert.equal(o.counts?.quarantined, 0);
    assert.deepEqual(attempts, ["truncated", "ok"]);
  } finally {
    await fake.close();
    await t.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

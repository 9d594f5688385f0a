import assert from "node:assert/strict";
import { processPair } from "../../src/pipeline/process_pair.ts";
import { loadConfig } from "../../src/config/load.ts";
import { RawArchive } from "../../src/archive/raw_archive.ts";
import { findCycle } from "../../src/domain/cycles.ts";
import type { Database } from "../../src/db/database.ts";
import { pairKey, startFakeIpost } from "../support/fake_ipost.ts";
import { memoryLogger } from "../support/env.ts";

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

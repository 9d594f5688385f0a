/**
 * Conditional requests: when the site gave validators with a pair's file,
 * the next fetch sends them back, and a 304 is the same version seen again
 * (its last sighting moves; nothing is downloaded, archived or loaded).
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { pairKey, startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readFixture } from "../support/env.ts";

Deno.test("conditional requests: validators go back as If-None-Match / If-Modified-Since; a 304 is 'unchanged'", async () => {
  const fake = startFakeIpost({ validators: true });
  const t = await freshDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tec-conditional-" });
  try {
    const body = await readFixture("tw_good_8rows.csv");
    const key = pairKey("TW", "2024-01-17", 0);
    let current = new TextDecoder().decode(body);
    fake.script(key, () => ({ kind: "csv", body: current }));
    const path = `${dir}/config.yaml`;
    await Deno.writeTextFile(
      path,
      `sources:\n  - pipeline: TW\n    base_url: ${fake.url}\ndaemon:\n  requests_per_minute: 6000\n`,
    );
    const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir: dir });
    delete (env as Record<string, string>).API_URL;
    const lines: string[] = [];
    const run = (...extra: string[]) =>
      main(["--config", path, "--once", "--params", "gasDay=2024-01-17", "cycle=0", ...extra], {
        env,
        logWrite: (l) => lines.push(l),
      });
    const ledger = () =>
      t.db.query<{ load_id: number; etag: string | null; modified: string | null; seen: string }>(
        `SELECT load_id::int, etag, last_modified AS modified, last_seen_at::text AS seen
         FROM staging.load_ledger WHERE status = 'loaded' ORDER BY load_id`,
      );
    assert.equal(await run(), 0);
    const [first] = await ledger();
    assert.match(first.etag ?? "", /^"[0-9a-f]+-\d+"$/);
    assert.equal(first.modified, "Wed, 17 Jan 2024 23:05:00 GMT");
    assert.equal(fake.requests[0].ifNoneMatch, "", "nothing to send the first time");
    // Same file: the request is conditional, the site answers 304, the version is seen again.
    assert.equal(await run(), 0);
    assert.equal(fake.requests[1].ifNoneMatch, first.etag);
    assert.equal(fake.requests[1].ifModifiedSince, first.modified);
    assert.equal(fake.requests[1].status, 304);
    const again = await ledger();
    assert.equal(again.length, 1);
    assert.ok(again[0].seen > first.seen, "last_seen_at moved");
    assert.ok(lines.some((l) => l.includes('"load.not_modified"')));
    // A revised file: the site answers 200 with a new ETag, a new version loads.
    current = current.replace('"43560","16440"', '"50000","10000"');
    assert.equal(await run(), 0);
    assert.equal(fake.requests[2].status, 200);
    const revised = await ledger();
    assert.equal(revised.length, 2);
    assert.notEqual(revised[1].etag, first.etag);
    // --force never sends validators.
    assert.equal(await run("--force"), 0);
    assert.equal(fake.requests[3].ifNoneMatch, "");
  } finally {
    await fake.close();
    await t.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A credential in `API_URL` (userinfo) or in a request parameter is used for
 * the request and kept out of everything the program writes: the ledger, the
 * poll state, the archive's request records, the logs and `/status`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../../src/main.ts";
import { addDays, gasDayAt } from "../../src/domain/gas_day.ts";
import { statusDocument } from "../../src/app/status.ts";
import { pairKey, startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readFixture, writeConfig } from "../support/env.ts";
import { LogLines } from "../support/wait.ts";

const SECRET = "secret";

async function requestRecords(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const raw = join(dataDir, "raw");
  for await (const d of Deno.readDir(raw)) {
    if (!d.isDirectory) continue;
    for await (const f of Deno.readDir(join(raw, d.name))) {
      if (f.name.endsWith(".requests.jsonl")) {
        out.push(await Deno.readTextFile(join(raw, d.name, f.name)));
      }
    }
  }
  return out;
}

Deno.test("secrets: API_URL's userinfo and a token parameter reach the site, and nothing the program stores or prints", async () => {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  const dataDir = await Deno.makeTempDir();
  try {
    const today = gasDayAt(new Date(), "America/Chicago");
    const key = (days: number) => pairKey("TW", addDays(today, -days), 0);
    fake.script(key(0), [{ kind: "csv", body: await readFixture("tw_good_8rows.csv") }]);
    fake.script(key(1), [{ kind: "status", status: 404 }]);
    fake.script(key(2), [{ kind: "status", status: 500 }]);
    // A required header missing: a failed load, on record in the ledger.
    fake.script(key(3), [{ kind: "csv", body: '"Loc","Loc Zn","Loc Name"\r\n"1","Z","N"\r\n' }]);
    const config = await writeConfig(dataDir, {
      requests_per_minute: "6000",
      retry_attempts: "2",
      backoff_base_ms: "1",
    });
    const port = new URL(fake.url).port;
    const log = new LogLines();
    const printed: string[] = [];
    // The window sweep of the daemon (poll state included), with a request parameter.
    const code = await main(["--once", "--config", config, "--params", "token=secret-token"], {
      env: {
        ...programEnv({ apiUrl: `http://u:${SECRET}@127.0.0.1:${port}`, db: t.config, dataDir }),
        LOG_LEVEL: "debug",
      },
      logWrite: (l) => log.push(l),
      print: (s) => printed.push(s),
      printError: (s) => printed.push(s),
    });
    assert.equal(code, 1, "some pairs failed, as scripted");

    // The request itself carried both credentials.
    const asked = fake.requests.filter((r) => r.key !== "");
    assert.ok(asked.length >= 4, `requests: ${asked.length}`);
    for (const r of asked) {
      assert.equal(r.authorization, `Basic ${btoa(`u:${SECRET}`)}`);
      assert.equal(r.query.token, "secret-token");
    }
    const [loaded] = await t.db.query<{ url: string }>(
      "SELECT url FROM staging.load_ledger WHERE status = 'loaded'",
    );
    assert.ok(loaded, "the pair with a file was loaded");
    assert.ok(loaded.url.startsWith(`http://127.0.0.1:${port}/ipost/TW/`), loaded.url);
    assert.match(loaded.url, /[?&]token=\*\*\*(&|$)/);

    const ledger = await t.db.query("SELECT * FROM staging.load_ledger");
    assert.equal(ledger.length, 2, "the load and the failed load");
    const polls = await t.db.query<{ last_error: string | null }>(
      "SELECT * FROM staging.poll_state",
    );
    assert.ok(polls.some((p) => p.last_error?.includes("HTTP 404")), JSON.stringify(polls));
    const records = await requestRecords(dataDir);
    assert.ok(records.length >= 2, "request records of the bodies received");
    const status = await statusDocument({ db: t.db, schema: "staging", version: "test" });
    assert.ok(status.last_failed_load, "status lists the failed load");
    for (
      const [what, text] of [
        ["the ledger", JSON.stringify(ledger)],
        ["the poll state", JSON.stringify(polls)],
        ["the request records", records.join("")],
        ["/status", JSON.stringify(status)],
        ["the output", printed.join("\n")],
        ...log.lines.map((l, i) => [`log line ${i} (${l.event})`, JSON.stringify(l)]),
      ]
    ) {
      assert.ok(!text.includes(SECRET), `${what} holds the secret: ${text.slice(0, 2000)}`);
    }
    // The URLs of the log are clean at the source, not only masked by the logger.
    const failed = log.lines.filter((l) => l.event === "fetch.failed");
    assert.equal(failed.length, 2, log.summary());
    for (const l of failed) {
      assert.ok(String(l.url).startsWith(`http://127.0.0.1:${port}/`), String(l.url));
      assert.match(String(l.reason), new RegExp(`from http://127\\.0\\.0\\.1:${port}/`));
    }
  } finally {
    await fake.close();
    await t.drop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

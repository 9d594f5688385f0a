import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { gasDayAt } from "../../src/domain/gas_day.ts";
import { pairKey, startFakeIpost, TW_HEADER } from "../support/fake_ipost.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { row } from "../../bench/generate.ts";
import { programEnv, writeConfig } from "../support/env.ts";

const ROWS = 300_000;
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

function bigFile(): Uint8Array {
  const parts = [TW_HEADER];
  for (let i = 0; i < ROWS; i++) parts.push(row(i, 0));
  return new TextEncoder().encode(parts.join(""));
}

interface Daemon {
  child: Deno.ChildProcess;
  /** Resolves when a log line with this event appears. */
  waitFor(event: string): Promise<Record<string, unknown>>;
  lines: Record<string, unknown>[];
}

function spawnDaemon(env: Record<string, string>, configFile: string): Daemon {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--config", configFile, "--params", "cycle=0"],
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  (async () => {
    let buf = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const text = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!text.startsWith("{")) continue;
        const line = JSON.parse(text);
        lines.push(line);
        for (const w of waiters.filter((w) => w.event === line.event)) w.resolve(line);
      }
    }
  })();
  return {
    child,
    lines,
    waitFor: (event) => {
      const seen = lines.find((l) => l.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ event, resolve }));
    },
  };
}

async function setup(timeoutSeconds: number) {
  const fake = startFakeIpost();
  const t: TestDatabase = await freshDatabase();
  const dataDir = await Deno.makeTempDir({ prefix: "tec-shutdown-" });
  const configFile = await writeConfig(dataDir, {
    shutdown_timeout_seconds: String(timeoutSeconds),
    requests_per_minute: "6000",
  });
  const gasDay = gasDayAt(new Date(), "America/Chicago");
  fake.script(pairKey("TW", gasDay, 0), [{ kind: "csv", body: bigFile(), chunkBytes: 1 << 20 }]);
  const env = {
    ...programEnv({ apiUrl: fake.url, db: t.config, dataDir }),
    LOG_LEVEL: "debug",
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "",
  };
  const rows = async () =>
    (await t.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM staging.operational_capacity WHERE gas_day = $1 AND cycle = 'Timely'",
      [gasDay],
    ))[0].n;
  return {
    fake,
    t,
    env,
    configFile,
    gasDay,
    rows,
    async done() {
      await fake.close();
      await t.drop();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

Deno.test({
  name: "shutdown: SIGTERM during a load lets the file commit, then exits 0",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setup(30);
    try {
      const d = spawnDaemon(s.env, s.configFile);
      await d.waitFor("load.start");
      d.child.kill("SIGTERM");
      const status = await d.child.status;
      assert.equal(status.code, 0);
      assert.ok(d.lines.some((l) => l.event === "shutdown.start"));
      assert.equal(await s.rows(), ROWS, "the whole file, never part of it");
    } finally {
      await s.done();
    }
  },
});

Deno.test({
  name: "shutdown: past the timeout the load rolls back, exit 0, and it is loaded on restart",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setup(1);
    try {
      const d = spawnDaemon(s.env, s.configFile);
      await d.waitFor("load.start");
      d.child.kill("SIGTERM");
      const status = await d.child.status;
      assert.equal(status.code, 0);
      assert.ok(d.lines.some((l) => l.event === "shutdown.timeout"));
      assert.equal(await s.rows(), 0, "nothing of the interrupted file");
      const [{ n }] = await s.t.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM staging.load_ledger WHERE status = 'loaded'",
      );
      assert.equal(n, 0);
      // The next start loads it.
      const code = await main(["--once", "--params", `gasDay=${s.gasDay}`, "cycle=0"], {
        env: s.env,
        logWrite: () => {},
      });
      assert.equal(code, 0);
      assert.equal(await s.rows(), ROWS);
    } finally {
      await s.done();
    }
  },
});

Deno.test({
  name: "shutdown: a second signal exits at once, leaving no partial file",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const s = await setup(30);
    try {
      const d = spawnDaemon(s.env, s.configFile);
      await d.waitFor("load.start");
      d.child.kill("SIGTERM");
      await d.waitFor("shutdown.start");
      d.child.kill("SIGTERM");
      const status = await d.child.status;
      assert.equal(status.code, 130);
      const n = await s.rows();
      assert.ok(n === 0 || n === ROWS, `rows: ${n}`);
    } finally {
      await s.done();
    }
  },
});

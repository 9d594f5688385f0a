/**
 * Start-up: a data directory that cannot be written and a database that is
 * not there yet, for each kind of command.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { checkDataDir, describeDatabase, StartupError } from "../../src/app/startup.ts";
import { startFakeIpost } from "../support/fake_ipost.ts";
import { adminConfig, freshDatabase, serverOnly } from "../support/db.ts";
import { programEnv, readFixture, writeConfig } from "../support/env.ts";
import { Secret } from "../../src/config/secret.ts";

/** A TCP port nothing listens on (bound, then released). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/** Forward `port` to the test PostgreSQL server once started: the database "comes up". */
function proxyTo(port: number, target: { hostname: string; port: number }) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const c of listener) {
      conns.push(c);
      Deno.connect(target).then((up) => {
        conns.push(up);
        c.readable.pipeTo(up.writable).catch(() => {});
        up.readable.pipeTo(c.writable).catch(() => {});
      }, () => c.close());
    }
  })().catch(() => {});
  return {
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    },
  };
}

async function until<T>(what: string, ms: number, f: () => T | undefined | Promise<T | undefined>) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

Deno.test("startup: a data directory that is a file, or unwritable, is one line and exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/not-a-dir`;
    await Deno.writeTextFile(file, "x");
    await assert.rejects(() => checkDataDir(file), (e) => {
      assert.ok(e instanceof StartupError);
      assert.match(
        e.message,
        /data_dir .*not-a-dir: cannot be written: it is a file, not a directory/,
      );
      return true;
    });
    const errors: string[] = [];
    const code = await main(["--once", "--params", "gasDay=2024-01-17", "cycle=0"], {
      env: { DATA_DIR: `${file}/sub`, DB_PORT: String(freePort()) },
      printError: (t) => errors.push(t),
      logWrite: () => {},
    });
    assert.equal(code, 2);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^tec-pipeline: data_dir .*not-a-dir\/sub: cannot be written/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startup: --once and backfill with no database exit 1 at once, naming the server and the settings", async () => {
  const dir = await Deno.makeTempDir();
  const port = freePort();
  try {
    for (
      const argv of [
        ["--once", "--params", "gasDay=2024-01-17", "cycle=0"],
        ["backfill", "--from", "2024-01-01", "--to", "2024-01-02"],
      ]
    ) {
      const logs: Record<string, unknown>[] = [];
      const started = performance.now();
      const code = await main(argv, {
        env: { DATA_DIR: dir, DB_HOST: "127.0.0.1", DB_PORT: String(port), LOG_FORMAT: "json" },
        logWrite: (l) => logs.push(JSON.parse(l)),
      });
      assert.equal(code, 1);
      assert.ok(
        performance.now() - started < 15_000,
        "gives up at once, within the connect timeout",
      );
      const errors = logs.filter((l) => l.level === "error");
      assert.equal(errors.length, 1, JSON.stringify(logs));
      assert.equal(errors[0].event, "db.unavailable");
      assert.match(
        String(errors[0].target),
        new RegExp(`127\\.0\\.0\\.1:${port}, database postgres`),
      );
      assert.match(String(errors[0].fix), /DB_HOST\/DB_PORT/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startup: the database line never shows a password, from DATABASE_URL either", () => {
  const d = describeDatabase({
    ...adminConfig(),
    url: new Secret("postgres://u:hunter2@db.example:6543/tec"),
  });
  assert.equal(d.target, "PostgreSQL at db.example:6543, database tec");
  assert.ok(!JSON.stringify(d).includes("hunter2"));
});

Deno.test({
  name: "startup: the daemon waits for a database that is down, then migrates and loads" +
    serverOnly("a server that is down, then up").note,
  ignore: serverOnly("").ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const fake = startFakeIpost();
    const t = await freshDatabase();
    const dir = await Deno.makeTempDir();
    const port = freePort();
    const body = await readFixture("tw_good_8rows.csv");
    fake.setDefault(() => ({ kind: "csv", body }));
    const stop = new AbortController();
    const logs: Record<string, unknown>[] = [];
    let health: { port: number } | undefined;
    const config = await writeConfig(dir, { requests_per_minute: "6000" });
    const run = main(["--config", config, "--params", "cycle=0"], {
      env: { ...programEnv({ apiUrl: fake.url, db: { ...t.config, port }, dataDir: dir }) },
      logWrite: (l) => logs.push(JSON.parse(l)),
      stop: stop.signal,
      onHealth: (a) => (health = a),
    });
    let proxy: { close(): void } | undefined;
    try {
      const h = await until("health endpoint", 10_000, () => health);
      await until(
        "two connection attempts",
        20_000,
        () => logs.filter((l) => l.event === "db.waiting").length >= 2 ? true : undefined,
      );
      const waiting = logs.find((l) => l.event === "db.waiting")!;
      assert.match(String(waiting.target), new RegExp(`:${port}, database ${t.config.name}`));
      assert.ok(Number(waiting.retry_in_s) > 0);
      const hz = await fetch(`http://127.0.0.1:${h.port}/healthz`);
      assert.equal(hz.status, 200, "alive while it waits");
      await hz.body?.cancel();
      const rz = await fetch(`http://127.0.0.1:${h.port}/readyz`);
      assert.equal(rz.status, 503);
      assert.match((await rz.json()).reason, /database unavailable/);
      assert.equal(fake.requests.length, 0, "nothing fetched before the database is there");
      proxy = proxyTo(port, { hostname: t.config.host, port: t.config.port });
      await until("db.ready", 70_000, () => logs.find((l) => l.event === "db.ready"));
      await until("a load", 30_000, () => logs.find((l) => l.event === "load.done"));
      const ready = await fetch(`http://127.0.0.1:${h.port}/readyz`);
      assert.equal(ready.status, 200);
      await ready.body?.cancel();
      // The metrics see the database and the window's pairs.
      const metrics = await (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text();
      assert.match(metrics, /^tec_database_up 1$/m);
      assert.match(metrics, /^tec_pairs\{source="tw-oac",status="loaded"\} [1-9]\d*$/m);
      assert.match(metrics, /^tec_build_info\{version="\d+\.\d+\.\d+"\} 1$/m);
      stop.abort();
      assert.equal(await run, 0);
    } finally {
      stop.abort();
      await run.catch(() => {});
      proxy?.close();
      await fake.close();
      await t.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

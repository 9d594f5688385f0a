/**
 * The daemon as a real process under SIGTERM. Every test stops the program at
 * a known point instead of racing it: a load is held mid-transaction by a
 * table lock the test owns (the COPY into the table waits for it), a fetch by
 * a body the fake site is still streaming. So "the signal arrived while the
 * file was in flight" is a fact each test checks, not a hope about speed.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { gasDayAt } from "../../src/domain/gas_day.ts";
import { migrate } from "../../src/db/migrate.ts";
import { type FakeReply, pairKey, startFakeIpost, TW_HEADER } from "../support/fake_ipost.ts";
import { freshDatabase, type HeldLock, holdTableLock, serverOnly } from "../support/db.ts";
import { row } from "../../bench/generate.ts";
import { programEnv, writeConfig } from "../support/env.ts";
import { LogLines, waitUntil, withTimeout } from "../support/wait.ts";

const ROWS = 2_000;
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const TABLE = "staging.operational_capacity";
/** Deadline of a child's exit once it has every reason to exit. */
const EXIT_MS = 20_000;

function file(): string {
  const parts = [TW_HEADER];
  for (let i = 0; i < ROWS; i++) parts.push(row(i, 0));
  return parts.join("");
}

interface Daemon {
  child: Deno.ChildProcess;
  log: LogLines;
  /** Exit code, within {@linkcode EXIT_MS}. */
  exit(): Promise<number>;
}

function spawnDaemon(env: Record<string, string>, configFile: string): Daemon {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--config", configFile, "--params", "cycle=0"],
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = new LogLines();
  const reading = log.readFrom(child.stderr);
  return {
    child,
    log,
    async exit() {
      const status = await withTimeout(child.status, {
        what: "the daemon to exit",
        timeoutMs: EXIT_MS,
        detail: () => log.summary(),
      });
      await withTimeout(reading, { what: "the daemon's stderr to close", timeoutMs: EXIT_MS });
      return status.code;
    },
  };
}

async function setup(timeoutSeconds: number, replies: FakeReply[]) {
  const fake = startFakeIpost();
  const t = await freshDatabase();
  // Migrated here, so the test can lock the table before the daemon starts.
  await migrate(t.db, { schema: "staging" });
  const dataDir = await Deno.makeTempDir({ prefix: "tec-shutdown-" });
  const configFile = await writeConfig(dataDir, {
    shutdown_timeout_seconds: String(timeoutSeconds),
    requests_per_minute: "6000",
  });
  const gasDay = gasDayAt(new Date(), "America/Chicago");
  const key = pairKey("TW", gasDay, 0);
  fake.script(key, replies);
  const env = {
    ...programEnv({ apiUrl: fake.url, db: t.config, dataDir }),
    LOG_LEVEL: "debug",
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "",
  };
  const count = async (sql: string) => (await t.db.query<{ n: number }>(sql, [gasDay]))[0].n;
  let daemon: Daemon | undefined;
  let lock: HeldLock | undefined;
  return {
    fake,
    t,
    env,
    gasDay,
    key,
    rows: () =>
      count(`SELECT count(*)::int AS n FROM ${TABLE} WHERE gas_day = $1 AND cycle = 'Timely'`),
    loaded: () =>
      count(
        "SELECT count(*)::int AS n FROM staging.load_ledger WHERE gas_day = $1 AND status = 'loaded'",
      ),
    spawn() {
      daemon = spawnDaemon(env, configFile);
      return daemon;
    },
    /** Lock the table; the daemon's COPY into it waits until `release()`. */
    async lock() {
      lock = await holdTableLock(t.db, TABLE);
      return lock;
    },
    async done() {
      if (daemon) {
        try {
          daemon.child.kill("SIGKILL");
        } catch {
          // Already exited: the normal case.
        }
        await daemon.child.status;
      }
      await lock?.release();
      await fake.close();
      await t.drop();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/**
 * Wait until the daemon has logged `load.start` and its backend is blocked
 * on the test's lock (so the load is in its transaction and cannot finish);
 * returns that backend's pid.
 */
async function loadHeld(d: Daemon, lock: HeldLock): Promise<number> {
  await d.log.waitFor("load.start");
  const [pid] = await waitUntil(async () => {
    const w = await lock.waiters();
    return w.length > 0 && w;
  }, { what: "the daemon's load to wait on the table lock", detail: () => d.log.summary() });
  assert.ok(!d.log.has("load.done"), "the load cannot have finished while it waits");
  return pid;
}

/** Release the lock and wait until the daemon's abandoned backend has ended. */
async function releaseAndSettle(lock: HeldLock, pid: number): Promise<void> {
  await lock.release();
  await waitUntil(async () => !(await lock.alive(pid)), {
    what: `backend ${pid} of the exited daemon to end`,
  });
}

const SERVER_ONLY = serverOnly("a daemon in another process, held up by another session's lock");

Deno.test(`shutdown: SIGTERM during a load lets the file commit, then exits 0${SERVER_ONLY.note}`, {
  ignore: SERVER_ONLY.ignore,
}, async () => {
  const s = await setup(30, [{ kind: "csv", body: file() }]);
  try {
    const lock = await s.lock();
    const d = s.spawn();
    await loadHeld(d, lock);
    d.child.kill("SIGTERM");
    await d.log.waitFor("shutdown.start");
    // The signal is in; the load is still waiting in its transaction.
    assert.equal(await s.loaded(), 0);
    await lock.release();
    assert.equal(await d.exit(), 0);
    const done = d.log.indexOf("load.done");
    assert.ok(done > d.log.indexOf("shutdown.start"), "the load finished after the signal");
    assert.equal(d.log.lines[done].rows, ROWS);
    assert.ok(d.log.has("shutdown.done"));
    assert.ok(!d.log.has("shutdown.timeout"));
    assert.equal(await s.rows(), ROWS, "the whole file, never part of it");
    assert.equal(await s.loaded(), 1);
  } finally {
    await s.done();
  }
});

Deno.test(
  `shutdown: past the timeout the load rolls back, exit 0, and it is loaded on restart${SERVER_ONLY.note}`,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const s = await setup(1, [{ kind: "csv", body: file() }]);
    try {
      const lock = await s.lock();
      const d = s.spawn();
      const pid = await loadHeld(d, lock);
      d.child.kill("SIGTERM");
      await d.log.waitFor("shutdown.timeout");
      assert.ok(!d.log.has("load.done"), "the load was still waiting when the timeout fired");
      // The daemon has dropped its connections; let the server go on: the
      // abandoned transaction finds its client gone and never commits.
      await releaseAndSettle(lock, pid);
      assert.equal(await d.exit(), 0);
      assert.ok(!d.log.has("load.done"));
      assert.equal(await s.rows(), 0, "nothing of the interrupted file");
      assert.equal(await s.loaded(), 0);
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
);

Deno.test({
  // Past the timeout the statement in flight is cancelled on the server, so
  // the daemon does not wait for a busy or blocked statement to end.
  name: "shutdown: past the timeout the daemon exits even while the server is busy with the load" +
    SERVER_ONLY.note,
  ignore: SERVER_ONLY.ignore,
  async fn() {
    const s = await setup(1, [{ kind: "csv", body: file() }]);
    try {
      const lock = await s.lock();
      const d = s.spawn();
      const pid = await loadHeld(d, lock);
      d.child.kill("SIGTERM");
      await d.log.waitFor("shutdown.timeout");
      assert.equal(await d.exit(), 0);
      assert.ok(!d.log.has("load.done"));
      await releaseAndSettle(lock, pid);
      assert.equal(await s.rows(), 0);
      assert.equal(await s.loaded(), 0);
    } finally {
      await s.done();
    }
  },
});

Deno.test(
  `shutdown: past the timeout a body still streaming is dropped, and loaded on restart${SERVER_ONLY.note}`,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    // The second half of the body would come after two minutes: far past the timeout.
    const slow: FakeReply = { kind: "slow_body", body: file(), delayMs: 120_000 };
    const s = await setup(1, [slow, { kind: "csv", body: file() }]);
    try {
      const d = s.spawn();
      const req = await waitUntil(() => s.fake.requests.find((r) => r.key === s.key), {
        what: "the daemon's request",
        detail: () => d.log.summary(),
      });
      await waitUntil(() => req.status === 200, { what: "the answer's headers to be sent" });
      d.child.kill("SIGTERM");
      await d.log.waitFor("shutdown.timeout");
      assert.equal(await d.exit(), 0);
      assert.equal(req.doneAt, undefined, "the body was still streaming when the daemon gave up");
      assert.ok(!d.log.has("load.start"), "nothing of a half-fetched body is loaded");
      assert.equal(await s.rows(), 0);
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
);

Deno.test(`shutdown: a second signal exits at once, leaving no partial file${SERVER_ONLY.note}`, {
  ignore: SERVER_ONLY.ignore,
}, async () => {
  const s = await setup(30, [{ kind: "csv", body: file() }]);
  try {
    const lock = await s.lock();
    const d = s.spawn();
    const pid = await loadHeld(d, lock);
    d.child.kill("SIGTERM");
    await d.log.waitFor("shutdown.start");
    // A copy within a second of the first is the same event (a terminal signals
    // the whole process group, and `deno task` forwards it once more): not "second".
    d.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1200));
    assert.ok(!d.log.has("shutdown.forced"), "an immediate copy of the signal is not a second one");
    d.child.kill("SIGTERM");
    // Exits while the load still waits on the lock: at once, not after the load.
    assert.equal(await d.exit(), 130);
    assert.ok(d.log.has("shutdown.forced"));
    assert.ok(!d.log.has("load.done"));
    await releaseAndSettle(lock, pid);
    assert.equal(await s.rows(), 0, "the transaction of the killed load rolled back");
    assert.equal(await s.loaded(), 0);
  } finally {
    await s.done();
  }
});

/**
 * The embedded engine as a user meets it, each in a process of its own with
 * no database setting at all: the main job loads a posting into `data/pg`,
 * a second process on the same store is refused naming the holder, a stale
 * lock is taken over, `db serve` answers a PostgreSQL client, and
 * `db copy-to` moves the store into a server (verified, idempotent, refused
 * over different data). These run whatever engine the rest of the suite uses.
 */
import assert from "node:assert/strict";
import { startFakeIpost } from "../support/fake_ipost.ts";
import { adminConfig, serverOnly } from "../support/db.ts";
import { readFixture, writeConfig } from "../support/env.ts";
import { waitUntil } from "../support/wait.ts";
import { connectPostgres } from "../../src/db/postgres.ts";
import { openEmbedded } from "../../src/db/pglite.ts";
import { lockPath, lockStore } from "../../src/db/embedded_lock.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DAY = "2024-01-17";

interface Proc {
  /** JSON log lines so far. */
  logs: Record<string, unknown>[];
  /** Standard error so far. */
  stderr(): string;
  /** Standard output so far. */
  stdout(): string;
  /** Exit code; the process is killed past `timeoutMs`. */
  status: Promise<number>;
  /** Wait for a log event (bounded). */
  waitFor(event: string, ms?: number): Promise<Record<string, unknown>>;
  kill(sig: Deno.Signal): void;
}

/** What a child keeps of this environment: PATH, HOME, and `deno test --coverage`'s directory. */
function passedOn(): Record<string, string> {
  const keep: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "DENO_COVERAGE_DIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) keep[k] = v;
  }
  return keep;
}

/** The program in a process of its own, with `env` and nothing else but {@linkcode passedOn}. */
function program(args: string[], env: Record<string, string>, timeoutMs = 90_000): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}src/main.ts`, ...args],
    clearEnv: true,
    env: { ...passedOn(), ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let err = "";
  let out = "";
  const logs: Record<string, unknown>[] = [];
  const readErr = (async () => {
    for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) {
      err += c;
      logs.length = 0;
      for (const l of err.split("\n")) if (l.startsWith("{")) logs.push(JSON.parse(l));
    }
  })();
  const readOut = (async () => {
    for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) out += c;
  })();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const status = (async () => {
    const s = await child.status;
    clearTimeout(timer);
    await Promise.all([readErr, readOut]);
    return s.code;
  })();
  const waitFor = (event: string, ms = 60_000) =>
    waitUntil(() => logs.find((l) => l.event === event), {
      what: `${event} logged`,
      timeoutMs: ms,
      intervalMs: 50,
      detail: () => `stderr:\n${err.slice(-2000)}`,
    });
  return {
    logs,
    stderr: () => err,
    stdout: () => out,
    status,
    waitFor,
    kill: (s) => child.kill(s),
  };
}

/** A temp dir, a config file and the fake site posting the 8-row file for DAY's Timely cycle. */
async function setup() {
  const fake = startFakeIpost();
  fake.script(`TW|${DAY}|0`, [{ kind: "csv", body: await readFixture("tw_good_8rows.csv") }]);
  const dir = await Deno.makeTempDir({ prefix: "tec-embedded-" });
  const config = await writeConfig(dir, {});
  const env = {
    API_URL: fake.url,
    DATA_DIR: `${dir}/data`,
    HEALTH_ADDR: "127.0.0.1:0",
    LOG_FORMAT: "json",
  };
  return {
    dir,
    config,
    env,
    store: `${dir}/data/pg`,
    async close() {
      await fake.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function loadDay(s: Awaited<ReturnType<typeof setup>>): Promise<Proc> {
  const p = program(
    ["--once", "--config", s.config, "--params", `gasDay=${DAY}`, "cycle=0"],
    s.env,
  );
  assert.equal(await p.status, 0, p.stderr().slice(-2000));
  return p;
}

Deno.test("embedded: with no database setting the main job loads a posting into data/pg", async () => {
  const s = await setup();
  try {
    const p = await loadDay(s);
    const first = p.logs[0];
    assert.equal(first.event, "db.engine", "the first line says which engine");
    assert.equal(first.engine, "embedded");
    assert.equal(first.dir, s.store);
    const done = p.logs.find((l) => l.event === "load.done");
    assert.equal(done?.inserted, 8);
    const db = await openEmbedded({ dir: s.store });
    try {
      const [r] = await db.query<{ n: string; loads: string }>(
        `SELECT (SELECT count(*) FROM staging.operational_capacity) AS n,
                (SELECT count(*) FROM staging.load_ledger) AS loads`,
      );
      assert.deepEqual(r, { n: "8", loads: "1" });
    } finally {
      await db.close();
    }
  } finally {
    await s.close();
  }
});

Deno.test("embedded: a second process on the store fails at once, exit 1, naming the holder", async () => {
  const s = await setup();
  const lock = await lockStore(s.store);
  try {
    const started = Date.now();
    const p = program(["sql", "select 1", "--config", s.config], s.env);
    assert.equal(await p.status, 1, p.stderr().slice(-2000));
    assert.ok(Date.now() - started < 30_000, "it does not wait for the holder");
    const line = p.logs.find((l) => l.event === "db.locked");
    assert.ok(line, p.stderr());
    assert.match(String(line.reason), new RegExp(`process ${Deno.pid}\\b`));
    assert.match(String(line.reason), /PostgreSQL server/);
    assert.equal(p.stdout(), "", "no rows: the query never ran");
  } finally {
    lock.release();
    await s.close();
  }
});

Deno.test("embedded: a lock left by a killed process is taken over", async () => {
  const s = await setup();
  try {
    // A holder that dies without a word (SIGKILL): its lock file stays, its lock goes.
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { lockStore } from "${ROOT}src/db/embedded_lock.ts";
         await lockStore(${JSON.stringify(s.store)}); console.log("held");
         await new Promise(() => setInterval(() => {}, 1000));`,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const first = await Promise.race([
      reader.read(),
      new Promise<never>((_, no) => setTimeout(() => no(new Error("holder silent")), 30_000)),
    ]);
    assert.match(String(first.value), /held/);
    const text = await Deno.readTextFile(lockPath(s.store));
    assert.equal(JSON.parse(text).pid, holder.pid, "the lock file names its holder");
    holder.kill("SIGKILL");
    await holder.status;
    reader.releaseLock();
    await holder.stdout.cancel().catch(() => {});

    const p = program(["sql", "select 41 + 1 AS answer", "--config", s.config], s.env);
    assert.equal(await p.status, 0, p.stderr().slice(-2000));
    assert.equal(p.stdout(), "answer\r\n42\r\n", "CSV, as the export writes it");
  } finally {
    await s.close();
  }
});

Deno.test("embedded: db serve answers a PostgreSQL client until SIGTERM", async () => {
  const s = await setup();
  try {
    await loadDay(s);
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const p = program(
      ["db", "serve", "--addr", `127.0.0.1:${port}`, "--config", s.config],
      s.env,
    );
    const serving = await p.waitFor("db.serving");
    assert.equal(serving.addr, `127.0.0.1:${port}`);
    const client = connectPostgres({
      config: {
        ...adminConfig(),
        host: "127.0.0.1",
        port,
        name: "postgres",
        maxConnections: 1,
        connectTimeoutSeconds: 10,
      },
    });
    try {
      const rows = await client.query<{ loc: string; oac: string }>(
        `SELECT loc, oac FROM staging.operational_capacity ORDER BY loc LIMIT 2`,
      );
      assert.equal(rows.length, 2);
      const [n] = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM staging.operational_capacity WHERE gas_day = $1",
        [DAY],
      );
      assert.equal(n.n, "8", "parameters bind through the socket");
    } finally {
      await client.close({ timeoutSeconds: 1 });
    }
    p.kill("SIGTERM");
    assert.equal(await p.status, 0, p.stderr().slice(-2000));
    assert.ok(p.logs.some((l) => l.event === "db.served"));
  } finally {
    await s.close();
  }
});

const SERVER = serverOnly("db copy-to writes into a PostgreSQL server");

Deno.test(
  "embedded: db copy-to moves every table into a server, verified; again is a no-op; different data is refused" +
    SERVER.note,
  { ignore: SERVER.ignore },
  async () => {
    const s = await setup();
    const name = `tec_test_copy_${Deno.pid}_${crypto.randomUUID().slice(0, 8)}`;
    const admin = connectPostgres({ config: adminConfig() });
    await admin.query(`CREATE DATABASE ${name}`);
    const c = adminConfig(name);
    const url = `postgres://${c.user}@${c.host}:${c.port}/${name}`;
    try {
      await loadDay(s);
      const copy = () => program(["db", "copy-to", url, "--config", s.config], s.env);
      const first = copy();
      assert.equal(await first.status, 0, first.stderr().slice(-2000));
      const done = first.logs.find((l) => l.event === "copy.done");
      assert.ok(Number(done?.tables_copied) > 0);
      const target = connectPostgres({ config: c });
      try {
        const [r] = await target.query<{ n: string; loads: string; next: string }>(
          `SELECT (SELECT count(*) FROM staging.operational_capacity) AS n,
                  (SELECT count(*) FROM staging.load_ledger) AS loads,
                  (SELECT nextval(pg_get_serial_sequence('staging.load_ledger', 'load_id'))) AS next`,
        );
        assert.deepEqual(r, { n: "8", loads: "1", next: "2" }, "rows and identities follow");

        const again = copy();
        assert.equal(await again.status, 0, again.stderr().slice(-2000));
        const twice = again.logs.find((l) => l.event === "copy.done");
        assert.equal(twice?.tables_copied, 0);
        assert.equal(twice?.rows_copied, 0);

        await target.execute(
          "UPDATE staging.operational_capacity SET loc_name = loc_name || ' (edited)' WHERE loc = (SELECT min(loc) FROM staging.operational_capacity)",
        );
        const conflict = copy();
        assert.equal(await conflict.status, 1);
        const refused = conflict.logs.find((l) => l.event === "copy.refused");
        assert.match(String(refused?.reason), /operational_capacity/);
      } finally {
        await target.close();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
      await s.close();
    }
  },
);

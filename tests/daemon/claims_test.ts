/**
 * Claims live as long as their holder: a daemon killed mid-load strands its
 * pairs (the ones loading and the ones still queued) for one short lease, not
 * for the old 13 minutes; a live holder keeps its claims however long its
 * fetches take. The lease is `daemon.claim_lease_seconds`, short here so the
 * tests are quick; `CLAIMS_TEST_LEASE_SECONDS` runs the kill test with another
 * (90, the default, to measure what production sees).
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { migrate } from "../../src/db/migrate.ts";
import { startFakeIpost, TW_HEADER } from "../support/fake_ipost.ts";
import { freshDatabase, holdTableLock, serverOnly } from "../support/db.ts";
import { row } from "../../bench/generate.ts";
import { programEnv, writeConfig } from "../support/env.ts";
import { LogLines, waitUntil, withTimeout } from "../support/wait.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const TABLE = "staging.operational_capacity";
const LEASE_S = Number(Deno.env.get("CLAIMS_TEST_LEASE_SECONDS") ?? 6);
/** What "within a minute or two" means here: one lease, plus a daemon's start-up and a sweep. */
const RETRY_BOUND_MS = (LEASE_S + 20) * 1000;

function file(rows: number): string {
  const parts = [TW_HEADER];
  for (let i = 0; i < rows; i++) parts.push(row(i, 0));
  return parts.join("");
}

function spawnDaemon(env: Record<string, string>, configFile: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--config", configFile, "--params", "cycle=0"],
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = new LogLines();
  const reading = log.readFrom(child.stderr);
  return { child, log, reading };
}

const SERVER_ONLY = serverOnly("daemons in other processes, and a lock held by another session");

Deno.test(
  `claims: a SIGKILLed daemon's pairs, loading or queued, are retried by the next one within one lease (${LEASE_S} s)${SERVER_ONLY.note}`,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const fake = startFakeIpost();
    fake.setDefault(() => ({ kind: "csv", body: file(500) }));
    const t = await freshDatabase();
    await migrate(t.db, { schema: "staging" });
    const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    const agents = ["tec-killed", "tec-next"];
    const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir: dirs[0] });
    const spawnAs = async (i: number) => {
      const config = await writeConfig(dirs[i], {
        requests_per_minute: "6000",
        user_agent: agents[i],
        claim_lease_seconds: String(LEASE_S),
      });
      return spawnDaemon({
        ...env,
        DATA_DIR: dirs[i],
        LOG_LEVEL: "debug",
        PATH: Deno.env.get("PATH") ?? "",
        HOME: Deno.env.get("HOME") ?? "",
      }, config);
    };
    // Every load waits on this lock: both workers hang mid-load, the other
    // claimed pairs wait in the queue.
    const lock = await holdTableLock(t.db, TABLE);
    const daemons: Awaited<ReturnType<typeof spawnAs>>[] = [];
    try {
      const first = await spawnAs(0);
      daemons.push(first);
      const blocked = await waitUntil(async () => {
        const w = await lock.waiters();
        return w.length >= 2 && w;
      }, { what: "both workers' loads to wait on the lock", detail: () => first.log.summary() });
      // A renewal has run: the claims are alive because their holder is.
      await first.log.waitFor("claims.renewed", { timeoutMs: LEASE_S * 1000 });
      const held = await t.db.query<{ key: string; until: Date }>(
        `SELECT 'TW|' || to_char(gas_day, 'YYYY-MM-DD') || '|0' AS key, next_check_at AS until
       FROM staging.poll_state WHERE claim_token IS NOT NULL ORDER BY gas_day`,
      );
      assert.ok(held.length >= 3, `claims of the killed daemon: ${held.length}`);
      const started = new Set(fake.requests.map((r) => r.key));
      assert.ok(held.some((h) => !started.has(h.key)), "some claims were still queued");

      const killedAt = Date.now();
      first.child.kill("SIGKILL");
      await withTimeout(first.child.status, { what: "the killed daemon to end" });
      const next = await spawnAs(1);
      daemons.push(next);
      // The dead daemon's backends end once their lock wait does.
      await lock.release();
      await waitUntil(async () => !(await Promise.all(blocked.map(lock.alive))).some(Boolean), {
        what: "the killed daemon's backends to end",
      });

      const firstRetry = (key: string) =>
        fake.requests.find((r) => r.key === key && r.userAgent === agents[1]);
      await waitUntil(() => held.every((h) => firstRetry(h.key)), {
        what: `the next daemon to retry all ${held.length} stranded pairs`,
        timeoutMs: RETRY_BOUND_MS + 5000,
        detail: () => next.log.summary(),
      });
      const delays = held.map((h) => firstRetry(h.key)!.at - killedAt);
      const worst = Math.max(...delays);
      console.log(
        `claims: SIGKILL -> retry of ${held.length} stranded pairs ` +
          `(${held.length - started.size} never started) in ${
            (Math.min(...delays) / 1000).toFixed(1)
          }-${(worst / 1000).toFixed(1)} s, lease ${LEASE_S} s`,
      );
      assert.ok(worst <= RETRY_BOUND_MS, `retried ${worst} ms after the kill`);
      for (const h of held) {
        // Not before its lease lapsed: the dead holder's claim was honoured to the end.
        assert.ok(firstRetry(h.key)!.at >= h.until.getTime(), `${h.key} retried within its lease`);
      }
      await waitUntil(async () => {
        const [r] = await t.db.query<{ n: number }>(
          "SELECT count(DISTINCT gas_day)::int AS n FROM staging.load_ledger WHERE status = 'loaded'",
        );
        return r.n === held.length;
      }, { what: "every stranded pair to be loaded", detail: () => next.log.summary() });
      next.child.kill("SIGTERM");
      const code = await withTimeout(next.child.status, { what: "the next daemon to exit" });
      assert.equal(code.code, 0);
    } finally {
      for (const d of daemons) {
        try {
          d.child.kill("SIGKILL");
        } catch {
          // Already exited.
        }
        await d.child.status;
        await d.reading.catch(() => {});
      }
      await lock.release();
      await fake.close();
      await t.drop();
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
);

Deno.test(
  `claims: a live daemon keeps its claims past the lease while its fetches hang, started or queued${SERVER_ONLY.note}`,
  { ignore: SERVER_ONLY.ignore },
  async () => {
    const lease = 3;
    // Every answer waits for the gate: the holder's fetches hang for three leases.
    const gate = Promise.withResolvers<void>();
    const fake = startFakeIpost({ beforeAnswer: () => gate.promise });
    fake.setDefault(() => ({ kind: "csv", body: file(20) }));
    const t = await freshDatabase();
    const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    const agents = ["tec-holder", "tec-other"];
    const logs = [new LogLines(), new LogLines()];
    const configs: string[] = [];
    for (const i of [0, 1]) {
      configs.push(
        await writeConfig(dirs[i], {
          requests_per_minute: "6000",
          user_agent: agents[i],
          claim_lease_seconds: String(lease),
        }),
      );
    }
    const envOf = (i: number) => programEnv({ apiUrl: fake.url, db: t.config, dataDir: dirs[i] });
    const stop = new AbortController();
    let holder: Promise<number> | undefined;
    try {
      holder = main(["--config", configs[0]], {
        env: { ...envOf(0), LOG_LEVEL: "debug" },
        stop: stop.signal,
        logWrite: (l) => logs[0].push(l),
      });
      const inFlight = () => fake.requests.filter((r) => r.userAgent === agents[0]);
      await waitUntil(() => inFlight().length >= 2, {
        what: "the holder's two fetches to hang",
        detail: () => logs[0].summary(),
      });
      const claimed = async () =>
        (await t.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM staging.poll_state WHERE claim_token IS NOT NULL",
        ))[0].n;
      const held = await claimed();
      assert.ok(held > inFlight().length, `queued claims too: ${held} held`);
      await new Promise((r) => setTimeout(r, 3 * lease * 1000));
      assert.equal(await claimed(), held, "every claim is still held after three leases");
      // Another poller's sweep of the same window finds nothing to claim.
      const other = await withTimeout(
        main(["--once", "--config", configs[1]], {
          env: envOf(1),
          logWrite: (l) => logs[1].push(l),
        }),
        { what: "the other poller's --once sweep", detail: () => logs[1].summary() },
      );
      const done = await logs[1].waitFor("run.done");
      assert.equal(done.looked_at, 0, "the other poller claimed nothing");
      assert.equal(other, 3, "its window is not loaded yet (exit 3)");
      assert.ok(!fake.requests.some((r) => r.userAgent === agents[1]), "and asked for nothing");
      gate.resolve();
      const sweep = await logs[0].waitFor("sweep.done", { timeoutMs: 60_000 });
      assert.equal(sweep.claimed, held);
      assert.equal(sweep.loaded, held, "every claim looked at and loaded by its holder");
      const perPair = new Map<string, number>();
      for (const r of fake.requests) perPair.set(r.key, (perPair.get(r.key) ?? 0) + 1);
      assert.equal(perPair.size, held);
      for (const [key, n] of perPair) assert.equal(n, 1, `${key} requested ${n} times`);
      assert.equal(await claimed(), 0, "every look released its claim");
      stop.abort();
      assert.equal(await withTimeout(holder, { what: "the holder to stop" }), 0);
    } finally {
      gate.resolve();
      stop.abort();
      await holder?.catch(() => {});
      await fake.close();
      await t.drop();
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
);

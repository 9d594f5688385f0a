/**
 * Fault 1: the database connection dropped mid-load: `pg_terminate_backend`
 * of the loader's backend mid-COPY, mid-MERGE and in a bare transaction, and
 * every connection cut by the proxy while the server "restarts". The load is
 * parked at a known statement by a lock the suite holds, so "mid-COPY" is a
 * fact checked in `pg_stat_activity`, not a race.
 *
 * Expected: one `failed` ledger row with a one-line reason (recorded once the
 * database answers again), exit 1 for `--once`; the daemon keeps running and
 * retries.
 *
 * @module
 */
import { pairKey } from "../../support/fake_ipost.ts";
import { pairLockKey } from "../../../src/load/load_file.ts";
import type { FaultContext, Program, Scenario } from "../harness.ts";
import { capacityFile } from "../files.ts";
import {
  DAEMON_ARGS,
  daemonConfig,
  expectExit,
  expectLoaded,
  expectOneFailure,
  lastWords,
  onceArgs,
  sleep,
  stopDaemon,
} from "./common.ts";

const COPY = /^\s*copy\b/i;
/**
 * A revision's first write to the table: the statement that retires and
 * deletes the rows it replaces (`WITH r AS ...`), before its MERGE; the lock
 * the suite holds parks it there.
 */
const REVISION_WRITE = /^\s*(merge\b|with r as materialized\b)/i;
/** A --once that has exited has recorded its failure already; a moment for the commit to show. */
const ONCE_RECORD_MS = 2_000;

async function onceTerminated(
  ctx: FaultContext,
  o: { query: RegExp; lock: () => Promise<{ holder: number; release(): Promise<void> }> },
): Promise<Program> {
  const lock = await o.lock();
  const p = await ctx.spawn(onceArgs(ctx, "0"));
  const b = await ctx.loaderBackend({ query: o.query, blockedBy: lock.holder }, p);
  ctx.notes.push(`terminated backend ${b.pid} in: ${b.query.slice(0, 40).replace(/\s+/g, " ")}`);
  await ctx.terminate(b.pid);
  await lock.release();
  await expectExit(ctx, p, 1, 20_000, "--once after its backend was terminated");
  return p;
}

const midCopyOnce: Scenario = {
  name: "db-drop/mid-copy/once",
  what: "pg_terminate_backend mid-COPY under --once: exit 1, one failed ledger row",
  async run(ctx) {
    const f = capacityFile();
    ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [{ kind: "csv", body: f.body }]);
    await onceTerminated(ctx, { query: COPY, lock: () => ctx.lockCapacity() });
    await expectOneFailure(ctx, "Timely", ONCE_RECORD_MS);
    ctx.expect(await ctx.rows("Timely") === 0, "rows of the terminated load are in the table");
  },
};

const midMergeOnce: Scenario = {
  name: "db-drop/mid-merge/once",
  what: "pg_terminate_backend mid-write (retire, delete, MERGE) of a revision under --once: " +
    "exit 1, one failed row, " +
    "the first file intact; the next --once loads the revision",
  async run(ctx) {
    const first = capacityFile();
    const revision = capacityFile({ variant: 1 });
    ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [
      { kind: "csv", body: first.body },
      { kind: "csv", body: revision.body },
    ]);
    const p0 = await ctx.spawn(onceArgs(ctx, "0"));
    await expectExit(ctx, p0, 0, 20_000, "the first --once");
    await onceTerminated(ctx, { query: REVISION_WRITE, lock: () => ctx.lockCapacity() });
    await expectOneFailure(ctx, "Timely", ONCE_RECORD_MS);
    const p2 = await ctx.spawn(onceArgs(ctx, "0"));
    await expectExit(ctx, p2, 0, 20_000, "the --once after the failure");
    ctx.expectFile("Timely", revision.body);
  },
};

const bareTxOnce: Scenario = {
  name: "db-drop/bare-transaction/once",
  what: "pg_terminate_backend while the load's transaction waits for the pair lock: exit 1, " +
    "one failed row",
  async run(ctx) {
    const f = capacityFile({ rows: 200 });
    ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [{ kind: "csv", body: f.body }]);
    await onceTerminated(ctx, {
      query: /pg_advisory_xact_lock/i,
      lock: () =>
        ctx.hold("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [
          pairLockKey({
            source: "tw-oac",
            report: "operationally-available",
            asset: "TW",
            gasDay: ctx.gasDay,
            cycle: "Timely",
          }),
        ]),
    });
    await expectOneFailure(ctx, "Timely", ONCE_RECORD_MS);
  },
};

const midCopyDaemon: Scenario = {
  name: "db-drop/mid-copy/daemon",
  what: "pg_terminate_backend mid-COPY under the daemon: it keeps running, records the " +
    "failure, retries and loads the file",
  async run(ctx) {
    const f = capacityFile();
    ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [{ kind: "csv", body: f.body }]);
    const lock = await ctx.lockCapacity();
    const p = await ctx.spawn(DAEMON_ARGS, { config: daemonConfig() });
    const b = await ctx.loaderBackend({ query: COPY, blockedBy: lock.holder }, p);
    await ctx.terminate(b.pid);
    await lock.release();
    await sleep(1500);
    if (
      !ctx.expect(p.running(), `the daemon died after its backend was terminated${lastWords(p)}`)
    ) {
      return;
    }
    await expectOneFailure(ctx, "Timely", 15_000);
    await expectLoaded(ctx, "Timely", 30_000);
    await stopDaemon(ctx, p);
    ctx.expectFile("Timely", f.body);
  },
};

const restartDaemon: Scenario = {
  name: "db-drop/server-restart/daemon",
  what: "every connection cut mid-COPY and refused for 3 s (a server restart): the daemon " +
    "keeps running, records the failure once the database answers, retries and loads",
  async run(ctx) {
    const f = capacityFile();
    ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [{ kind: "csv", body: f.body }]);
    const lock = await ctx.lockCapacity();
    const p = await ctx.spawn(DAEMON_ARGS, { config: daemonConfig() });
    await ctx.loaderBackend({ query: COPY, blockedBy: lock.holder }, p);
    ctx.proxy.refuse(true);
    ctx.proxy.cut();
    ctx.fault();
    await lock.release();
    await sleep(3000);
    ctx.proxy.refuse(false);
    if (!ctx.expect(p.running(), `the daemon died when the server went away${lastWords(p)}`)) {
      return;
    }
    await expectOneFailure(ctx, "Timely", 20_000, { atLeastOne: true });
    await expectLoaded(ctx, "Timely", 40_000);
    await stopDaemon(ctx, p);
    ctx.expectFile("Timely", f.body);
  },
};

/** The scenarios of fault 1. */
export const DB_DROP: Scenario[] = [
  midCopyOnce,
  midMergeOnce,
  bareTxOnce,
  midCopyDaemon,
  restartDaemon,
];

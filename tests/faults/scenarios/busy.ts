/**
 * Fault 7: the server is busy (a lock held by another session on
 * operational_capacity, or a `pg_sleep` injected by a trigger) or
 * unreachable (a partition).
 *
 * Expected: at shutdown the statement is cancelled and the process exits
 * within `shutdown_timeout_seconds` plus a small margin; with
 * `database.lock_timeout_seconds` / `database.statement_timeout_seconds` set,
 * the load fails after that long with a reason naming the timeout; during a
 * partition `/readyz` answers 503 quickly and `/status` still shows the
 * daemon's own state.
 *
 * @module
 */
import { pairKey } from "../../support/fake_ipost.ts";
import type { FaultContext, Program, Scenario } from "../harness.ts";
import { capacityFile } from "../files.ts";
import {
  DAEMON_ARGS,
  daemonConfig,
  expectOneFailure,
  lastWords,
  onceArgs,
  stopDaemon,
} from "./common.ts";

const COPY = /^\s*copy\b/i;
const SHUTDOWN_S = 2;
/** Exit this long after the shutdown timeout at most. */
const MARGIN_S = 3;
const TIMEOUT_S = 2;

/** A trigger that makes every write to the table sleep 30 s first (a busy server). */
async function injectSleep(ctx: FaultContext): Promise<void> {
  await ctx.sql.unsafe(`
    CREATE FUNCTION staging.faults_sleep() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$;
    CREATE TRIGGER faults_sleep BEFORE INSERT ON staging.operational_capacity
      FOR EACH STATEMENT EXECUTE FUNCTION staging.faults_sleep();`);
  ctx.fault();
}

async function shutdownWhileBusy(ctx: FaultContext, how: "lock" | "sleep"): Promise<void> {
  const f = capacityFile();
  ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [{ kind: "csv", body: f.body }]);
  const lock = how === "lock" ? await ctx.lockCapacity() : undefined;
  if (how === "lock") ctx.fault();
  else await injectSleep(ctx);
  const p = await ctx.spawn(DAEMON_ARGS, {
    config: daemonConfig({ shutdown_timeout_seconds: SHUTDOWN_S }),
  });
  await ctx.loaderBackend({ query: COPY, blockedBy: lock?.holder }, p);
  p.kill("SIGTERM");
  const signalled = performance.now();
  ctx.step = "the daemon to exit after SIGTERM";
  const exit = await p.exitWithin((SHUTDOWN_S + MARGIN_S + 5) * 1000);
  if (!exit) {
    ctx.failures.push(
      `still running ${SHUTDOWN_S + MARGIN_S + 5} s after SIGTERM ` +
        `(shutdown_timeout_seconds ${SHUTDOWN_S}): it waits for the server's statement`,
    );
    p.kill("SIGKILL");
    return;
  }
  const took = (performance.now() - signalled) / 1000;
  ctx.notes.push(`exit ${exit.code} ${took.toFixed(1)} s after SIGTERM`);
  ctx.expect(exit.code === 0, `exit ${exit.code} after SIGTERM, expected 0${lastWords(p)}`);
  ctx.expect(
    took <= SHUTDOWN_S + MARGIN_S,
    `exited ${took.toFixed(1)} s after SIGTERM, more than ${SHUTDOWN_S} + ${MARGIN_S} s`,
  );
  ctx.expect(await ctx.rows("Timely") === 0, "rows of the abandoned load are in the table");
}

/** Run --once with a timeout key set while the load cannot proceed. */
async function timeoutOnce(
  ctx: FaultContext,
  key: string,
  reason: RegExp,
): Promise<Program | undefined> {
  const p = await ctx.spawn(onceArgs(ctx, "0"), { config: { database: { [key]: TIMEOUT_S } } });
  ctx.step = "--once to give up on the busy server";
  const exit = await p.exitWithin((TIMEOUT_S + 10) * 1000);
  if (!exit) {
    ctx.failures.push(
      `--once still running ${TIMEOUT_S + 10} s after start (database.${key} ` +
        `${TIMEOUT_S})`,
    );
    return;
  }
  if (exit.code === 2) {
    ctx.failures.push(`database.${key} is not accepted:${lastWords(p)}`);
    return;
  }
  ctx.notes.push(`exit ${exit.code} after ${exit.seconds.toFixed(1)} s`);
  ctx.expect(exit.code === 1, `exit ${exit.code}, expected 1${lastWords(p)}`);
  ctx.expect(
    exit.seconds <= TIMEOUT_S + 6,
    `gave up after ${exit.seconds.toFixed(1)} s with database.${key} ${TIMEOUT_S}`,
  );
  await expectOneFailure(ctx, "Timely", 5_000, { reason });
  return p;
}

const lockTimeout: Scenario = {
  name: "busy/lock-timeout",
  what: `another session holds a lock on operational_capacity; database.lock_timeout_seconds ` +
    `${TIMEOUT_S}: the load fails after ~${TIMEOUT_S} s naming the lock wait, exit 1`,
  async run(ctx) {
    const f = capacityFile();
    ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [{ kind: "csv", body: f.body }]);
    await ctx.lockCapacity();
    ctx.fault();
    await timeoutOnce(ctx, "lock_timeout_seconds", /lock/i);
  },
};

const statementTimeout: Scenario = {
  name: "busy/statement-timeout",
  what: `a pg_sleep(30) injected into every write; database.statement_timeout_seconds ` +
    `${TIMEOUT_S}: the statement is cancelled after ~${TIMEOUT_S} s, exit 1`,
  async run(ctx) {
    const f = capacityFile();
    ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [{ kind: "csv", body: f.body }]);
    await injectSleep(ctx);
    await timeoutOnce(ctx, "statement_timeout_seconds", /statement timeout|cancel/i);
  },
};

async function probe(url: string, ms: number): Promise<{ status: number | string; s: number }> {
  const t0 = performance.now();
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(ms) });
    await r.body?.cancel();
    return { status: r.status, s: (performance.now() - t0) / 1000 };
  } catch (e) {
    return { status: `no answer (${(e as Error).name})`, s: (performance.now() - t0) / 1000 };
  }
}

/** The part of `/status` this scenario reads. */
interface StatusDoc {
  daemon?: { last_sweep_at?: unknown };
}

const readyDuringPartition: Scenario = {
  name: "busy/readyz-during-partition",
  what: "the network to the database partitioned: /readyz answers 503 within 3 s, /status " +
    "within 3 s with the daemon's own state, /healthz 200",
  async run(ctx) {
    const p = await ctx.spawn(DAEMON_ARGS, { config: daemonConfig() });
    const base = await p.healthUrl();
    await p.log.waitFor("sweep.done", { timeoutMs: 20_000 });
    ctx.proxy.partition();
    ctx.fault();
    const [live, ready, status] = await Promise.all([
      probe(`${base}/healthz`, 5000),
      probe(`${base}/readyz`, 5000),
      fetch(`${base}/status`, { signal: AbortSignal.timeout(5000) }).then(
        async (r) => ({
          status: r.status,
          doc: await r.json().catch(() => undefined) as StatusDoc | undefined,
        }),
        (e) => ({ status: `no answer (${(e as Error).name})`, doc: undefined }),
      ),
    ]);
    ctx.expect(live.status === 200, `/healthz answered ${live.status}, expected 200`);
    ctx.expect(
      ready.status === 503 && ready.s <= 3,
      `/readyz answered ${ready.status} after ${ready.s.toFixed(1)} s, expected 503 within 3 s`,
    );
    ctx.expect(status.status === 200, `/status answered ${status.status}, expected 200`);
    if (status.status === 200) {
      ctx.expect(
        typeof status.doc?.daemon?.last_sweep_at === "string",
        `/status lacks the daemon's own state: ${JSON.stringify(status.doc).slice(0, 200)}`,
      );
    }
    ctx.proxy.heal();
    await stopDaemon(ctx, p);
  },
};

/** The scenarios of fault 7. */
export const BUSY: Scenario[] = [
  {
    name: "busy/shutdown-while-lock-held",
    what: `SIGTERM while the load waits on another session's lock: exit 0 within ` +
      `shutdown_timeout_seconds (${SHUTDOWN_S}) + ${MARGIN_S} s, nothing loaded`,
    run: (ctx) => shutdownWhileBusy(ctx, "lock"),
  },
  {
    name: "busy/shutdown-while-server-sleeps",
    what: `SIGTERM while the load's statement sleeps in an injected pg_sleep: exit 0 within ` +
      `shutdown_timeout_seconds (${SHUTDOWN_S}) + ${MARGIN_S} s, nothing loaded`,
    run: (ctx) => shutdownWhileBusy(ctx, "sleep"),
  },
  lockTimeout,
  statementTimeout,
  readyDuringPartition,
];

/**
 * Fault 4: a process killed (SIGKILL) mid-load and restarted. Nothing of the
 * killed load may remain, and the restarted daemon must take the pairs the
 * dead one had claimed within a minute or two (not after the 13-minute
 * lease); a restarted `--once` simply loads the file.
 *
 * @module
 */
import { pairKey } from "../../support/fake_ipost.ts";
import type { Scenario } from "../harness.ts";
import { capacityFile } from "../files.ts";
import {
  DAEMON_ARGS,
  daemonConfig,
  expectExit,
  lastWords,
  onceArgs,
  stopDaemon,
} from "./common.ts";

const COPY = /^\s*copy\b/i;
/** "Within a minute or two". */
const RETRY_BOUND_S = 120;
/** `daemon.claim_lease_seconds`' default, in ms. */
const LEASE_MS = 90_000;

const daemonKilled: Scenario = {
  name: "kill/daemon-mid-load-restart",
  what: `a daemon SIGKILLed mid-COPY, then restarted: its claimed pair is loaded within ` +
    `${RETRY_BOUND_S} s of the kill`,
  timeoutMs: (RETRY_BOUND_S + 40) * 1000,
  async run(ctx) {
    const f = capacityFile();
    ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [{ kind: "csv", body: f.body }]);
    const lock = await ctx.lockCapacity();
    const a = await ctx.spawn(DAEMON_ARGS, { config: daemonConfig() });
    const b = await ctx.loaderBackend({ query: COPY, blockedBy: lock.holder }, a);
    a.kill("SIGKILL");
    ctx.fault();
    const killedAt = Date.now();
    await a.status;
    await lock.release();
    await ctx.waitFor("the killed daemon's backend to end", async () => !(await ctx.alive(b.pid)));
    ctx.expect(await ctx.rows("Timely") === 0, "rows of the killed load are in the table");
    const restarted = await ctx.spawn(DAEMON_ARGS, { config: daemonConfig() });
    const deadline = killedAt + RETRY_BOUND_S * 1000;
    let sweeps = 0;
    const loaded = await ctx.waitFor(`the pair loaded by the restarted daemon`, async () => {
      if (!restarted.running()) {
        throw new Error(`the restarted daemon exited${lastWords(restarted)}`);
      }
      if ((await ctx.ledger("Timely")).some((r) => r.status === "loaded")) return "loaded";
      sweeps = restarted.log.lines.filter((l) => l.event === "sweep.done").length;
      if (sweeps < 2) return false;
      // Two sweeps without taking it: it waits for the lease, which must end in time.
      // The instant as epoch milliseconds from the server: no driver date parsing in between.
      const [ps] = await ctx.sql<{ next: string; status: string }[]>`
        SELECT (extract(epoch FROM next_check_at) * 1000)::bigint::text AS next, status
        FROM staging.poll_state WHERE gas_day = ${ctx.gasDay}::date AND cycle = 'Timely'`;
      // Judged on the dead holder's lease only: once the restarted daemon claims
      // the pair, its own lease (a fresh one) is no sign of waiting.
      if (ps && Number(ps.next) > deadline && Date.now() < Number(ps.next) - LEASE_MS) {
        return `left to its lease: status ${ps.status}, next check ${
          Math.round((Number(ps.next) - killedAt) / 1000)
        } s after the kill (bound ${RETRY_BOUND_S} s)`;
      }
      return false;
    }, RETRY_BOUND_S * 1000 + 5_000).catch((e) => `not loaded: ${(e as Error).message}`);
    if (loaded === "loaded") {
      ctx.notes.push(`loaded ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
      ctx.expectFile("Timely", f.body);
    } else {
      ctx.failures.push(`the restarted daemon did not retry the dead one's pair: ${loaded}`);
    }
    await stopDaemon(ctx, restarted);
  },
};

const onceKilled: Scenario = {
  name: "kill/once-mid-load-restart",
  what: "a --once SIGKILLed mid-COPY: nothing of it in the table; the same command again " +
    "loads the file (exit 0)",
  async run(ctx) {
    const f = capacityFile();
    ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [{ kind: "csv", body: f.body }]);
    const lock = await ctx.lockCapacity();
    const a = await ctx.spawn(onceArgs(ctx, "0"));
    const b = await ctx.loaderBackend({ query: COPY, blockedBy: lock.holder }, a);
    a.kill("SIGKILL");
    ctx.fault();
    await a.status;
    await lock.release();
    await ctx.waitFor("the killed run's backend to end", async () => !(await ctx.alive(b.pid)));
    ctx.expect(await ctx.rows("Timely") === 0, "rows of the killed load are in the table");
    const again = await ctx.spawn(onceArgs(ctx, "0"));
    await expectExit(ctx, again, 0, 20_000, "the second --once");
    ctx.expectFile("Timely", f.body);
  },
};

/** The scenarios of fault 4. */
export const KILL: Scenario[] = [daemonKilled, onceKilled];

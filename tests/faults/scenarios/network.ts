/**
 * Fault 9 (a regression scenario: this already works): the network to the
 * database partitioned mid-COPY, then healed. The load waits and completes,
 * whole.
 *
 * @module
 */
import { pairKey } from "../../support/fake_ipost.ts";
import type { Scenario } from "../harness.ts";
import { capacityFile } from "../files.ts";
import { expectExit, onceArgs, sleep } from "./common.ts";

/** Big enough that the socket buffers cannot hold the COPY: the partition lands mid-stream. */
const ROWS = 150_000;

const partitionHeals: Scenario = {
  name: "network/partition-mid-copy-heals",
  what: "the network partitioned mid-COPY for 3 s, then healed: the load completes whole, exit 0",
  async run(ctx) {
    const f = capacityFile({ rows: ROWS });
    ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [{ kind: "csv", body: f.body }]);
    const lock = await ctx.lockCapacity();
    const p = await ctx.spawn(onceArgs(ctx, "0"));
    const b = await ctx.loaderBackend({ query: /^\s*copy\b/i, blockedBy: lock.holder }, p);
    ctx.proxy.partition();
    ctx.fault();
    await lock.release();
    // The server eats what reached it, then waits for the rest: mid-COPY for sure.
    const starved = await ctx.waitFor(
      "the COPY to wait for data behind the partition",
      async () => {
        const [r] = await ctx.sql<{ wait_event: string | null; query: string }[]>`
        SELECT wait_event, query FROM pg_stat_activity WHERE pid = ${b.pid}`;
        return r && /^\s*copy\b/i.test(r.query) && r.wait_event === "ClientRead";
      },
      10_000,
    ).catch(() => false);
    ctx.expect(starved, "the partition did not land mid-COPY (the server never waited for data)");
    await sleep(3000);
    ctx.proxy.heal();
    await expectExit(ctx, p, 0, 60_000, "--once after the partition healed");
    ctx.expectFile("Timely", f.body);
  },
};

/** The scenarios of fault 9. */
export const NETWORK: Scenario[] = [partitionHeals];

/**
 * Fault 5: a body cut short. Two ways: the connection closes before the
 * declared `Content-Length` has arrived, and a `Content-Length` shorter than
 * the file (so the client reads a body that ends mid-row). Expected: a failed
 * fetch, retried, never a success with the cut bytes; once the whole file
 * comes, it is loaded.
 *
 * @module
 */
import type { FaultContext, Scenario } from "../harness.ts";
import { capacityFile } from "../files.ts";
import { type RawReply, startRawHttp } from "../raw_http.ts";
import { expectExit, onceArgs } from "./common.ts";

/** Fetch settings: two attempts, little backoff. */
const HTTP = { retry_attempts: 2, backoff_base_ms: 50, backoff_max_ms: 200, timeout_seconds: 5 };

async function run(ctx: FaultContext, reply: (n: number) => RawReply, expectCode: number) {
  const server = startRawHttp((n) => reply(n));
  ctx.onClose(() => server.close());
  const p = await ctx.spawn(onceArgs(ctx, "0"), { apiUrl: server.url, config: { http: HTTP } });
  await expectExit(ctx, p, expectCode, 20_000, "--once");
  return { server, p };
}

function neverLoaded(ctx: FaultContext, what: string) {
  return async () => {
    const loaded = (await ctx.ledger("Timely")).filter((r) => r.status === "loaded");
    // A cut body that loads is a partial file, whatever the checker sees in the archive.
    if (loaded.length > 0) ctx.figures.partial++;
    ctx.expect(loaded.length === 0, `${what} was loaded as a success (load ${loaded[0]?.load_id})`);
    ctx.expect(await ctx.rows("Timely") === 0, `rows of ${what} are in the table`);
  };
}

const closedEarly: Scenario = {
  name: "short-body/connection-closed-early",
  what: "every answer closes halfway through its declared Content-Length: a failed fetch, " +
    "retried, never loaded, exit 1",
  async run(ctx) {
    const f = capacityFile();
    const half = Math.floor(f.body.length / 2);
    const { server } = await run(ctx, () => ({ body: f.body, send: half }), 1);
    ctx.fault(server.requests.length);
    ctx.expect(server.requests.length === 2, `${server.requests.length} requests, expected 2`);
    await neverLoaded(ctx, "a cut body")();
  },
};

const closedOnce: Scenario = {
  name: "short-body/closed-early-then-whole",
  what: "the first answer closes halfway, the retry is whole: the whole file is loaded, exit 0",
  async run(ctx) {
    const f = capacityFile();
    const half = Math.floor(f.body.length / 2);
    const { server } = await run(
      ctx,
      (n) => (n === 0 ? { body: f.body, send: half } : { body: f.body }),
      0,
    );
    ctx.fault();
    ctx.expect(server.requests.length === 2, `${server.requests.length} requests, expected 2`);
    ctx.expectFile("Timely", f.body);
  },
};

const declaredShort: Scenario = {
  name: "short-body/content-length-shorter-than-file",
  what: "Content-Length declares half the file (the body read ends mid-row): a failed fetch, " +
    "retried, never a success, exit 1",
  async run(ctx) {
    const f = capacityFile();
    const half = Math.floor(f.body.length / 2) + 7;
    const { server } = await run(ctx, () => ({ body: f.body, declared: half }), 1);
    ctx.fault(server.requests.length);
    ctx.expect(server.requests.length === 2, `${server.requests.length} requests, expected 2`);
    await neverLoaded(ctx, "a body cut mid-row")();
  },
};

/** The scenarios of fault 5. */
export const SHORT_BODY: Scenario[] = [closedEarly, closedOnce, declaredShort];

/**
 * Fault 8: the source faults of the fake site, all in one `--once` over
 * twelve pairs: 5xx then success, 429 then success, a hang, a slow body
 * (within and past the timeout), header-only, HTML, empty, garbage,
 * oversize, 5xx every time. Each pair must end as expected (loaded, not
 * posted, or failed with a clear reason), and the run exits 1.
 *
 * @module
 */
import { type FakeReply, pairKey } from "../../support/fake_ipost.ts";
import type { Scenario } from "../harness.ts";
import { capacityFile } from "../files.ts";
import { CYCLE, expectExit, lastWords } from "./common.ts";

type Outcome = "loaded" | "not_posted" | "failed";

const D1 = "2024-01-16";
const D2 = "2024-01-17";

/** Events that end a pair, by outcome. */
const ENDS: Record<string, Outcome> = {
  "load.done": "loaded",
  "not_posted": "not_posted",
  "fetch.failed": "failed",
  "load.failed": "failed",
};

const sourceFaults: Scenario = {
  name: "source/fake-site-faults",
  what: "5xx then success, 429 then success, hang, slow body, header-only, HTML, empty, " +
    "garbage, oversize, 5xx throughout: each pair ends as expected, exit 1",
  timeoutMs: 90_000,
  async run(ctx) {
    const f = capacityFile({ rows: 300 });
    const file = (variant: number) => capacityFile({ rows: 300, variant }).body;
    const csv = (body: Uint8Array): FakeReply => ({ kind: "csv", body });
    const text = new TextDecoder().decode(f.body);
    const plan: [string, number, FakeReply[], Outcome, Uint8Array?][] = [
      [D1, 0, [{ kind: "status", status: 503 }, csv(file(1))], "loaded", file(1)],
      [D1, 1, [{ kind: "status", status: 429, retryAfter: "1" }, csv(file(2))], "loaded", file(2)],
      [D1, 3, [{ kind: "hang" }], "failed"],
      [D1, 4, [{ kind: "slow_body", body: text, delayMs: 300 }], "loaded", f.body],
      [D1, 7, [{ kind: "slow_body", body: text, delayMs: 6_000 }], "failed"],
      [D1, 5, [{ kind: "header_only" }], "not_posted"],
      [D2, 0, [{ kind: "html" }], "not_posted"],
      [D2, 1, [{ kind: "empty" }], "not_posted"],
      [D2, 3, [{ kind: "garbage" }], "not_posted"],
      [D2, 4, [{ kind: "oversize", bytes: 2 * 1024 * 1024 }], "failed"],
      [D2, 7, [{ kind: "status", status: 500 }], "failed"],
    ];
    for (const [day, code, replies, , body] of plan) {
      ctx.fake.script(pairKey("TW", day, code), replies);
      ctx.fault();
      if (body) ctx.expectFile(CYCLE[code], body, day);
    }
    const p = await ctx.spawn(
      ["--once", "--params", `gasDay=[${D1},${D2}]`, "cycle=[0,1,3,4,7,5]"],
      {
        config: {
          http: {
            timeout_seconds: 2,
            retry_attempts: 2,
            backoff_base_ms: 50,
            backoff_max_ms: 1000,
            max_body_bytes: 1024 * 1024,
          },
          daemon: { concurrency: 4 },
        },
      },
    );
    await expectExit(ctx, p, 1, 60_000, "--once over the faulty site");
    for (const [day, code, replies, want] of plan) {
      const end = p.log.lines.find((l) =>
        l.gas_day === day && l.cycle === CYCLE[code] && l.event! in ENDS
      );
      const got = end ? ENDS[end.event!] : "no outcome logged";
      ctx.expect(
        got === want,
        `${day} ${CYCLE[code]} (${replies.map((r) => r.kind).join(" then ")}): ${got}` +
          `${end?.reason ? ` (${end.reason})` : ""}, expected ${want}`,
      );
    }
    ctx.expect(
      ctx.fake.count(pairKey("TW", D1, 0)) === 2,
      `5xx then success: ${ctx.fake.count(pairKey("TW", D1, 0))} requests, expected 2`,
    );
    if (ctx.failures.length > 0) ctx.notes.push(`last words:${lastWords(p)}`);
  },
};

/** The scenarios of fault 8. */
export const SOURCE: Scenario[] = [sourceFaults];

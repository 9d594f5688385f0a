/**
 * Faults in the posted bytes themselves (3 and 6): a NUL byte inside the
 * first 64 KiB and past it; a header line longer than the 64 KiB sniff
 * window (padded, or with many extra columns); CR-only line ends.
 *
 * Expected: a NUL row is quarantined with its line number and the rest is
 * loaded; the long-header and CR-only files are recognised as posted and
 * loaded whole.
 *
 * @module
 */
import { pairKey } from "../../support/fake_ipost.ts";
import type { FaultContext, Scenario } from "../harness.ts";
import { capacityFile, type FileOptions } from "../files.ts";
import { CYCLE, expectExit, onceArgs } from "./common.ts";

const SNIFF = 64 * 1024;

/** Post one file for Timely, run --once, expect it loaded (exit 0) and kept whole. */
async function postAndLoad(ctx: FaultContext, o: FileOptions): Promise<number | undefined> {
  const f = capacityFile(o);
  ctx.fake.script(pairKey("TW", ctx.gasDay, 0), [{ kind: "csv", body: f.body }]);
  ctx.fault();
  const p = await ctx.spawn(onceArgs(ctx, "0"));
  await expectExit(ctx, p, 0, 30_000, "--once");
  ctx.expectFile(CYCLE[0], f.body);
  const loaded = (await ctx.ledger(CYCLE[0])).find((r) => r.status === "loaded");
  if (!loaded) {
    const np = p.log.lines.find((l) => l.event === "not_posted" || l.event === "load.failed");
    ctx.failures.push(`not loaded: ${np ? `${np.event}: ${np.reason}` : "no outcome logged"}`);
  }
  return loaded?.load_id;
}

/** Byte offset at which a physical line starts (LF-terminated lines). */
function offsetOfLine(body: Uint8Array, line: number): number {
  let n = 1;
  for (let i = 0; i < body.length; i++) {
    if (n === line) return i;
    if (body[i] === 10) n++;
  }
  return body.length;
}

function nul(name: string, line: number, inSniff: boolean): Scenario {
  return {
    name,
    what: `a NUL byte on line ${line} (${inSniff ? "inside" : "past"} the first 64 KiB): ` +
      "that row quarantined with its line number, the rest loaded",
    async run(ctx) {
      const probe = capacityFile({ nulAtLines: [line] }).body;
      const at = offsetOfLine(probe, line);
      ctx.expect((at < SNIFF) === inSniff, `line ${line} starts at byte ${at}: test set up wrong`);
      const id = await postAndLoad(ctx, { nulAtLines: [line] });
      if (id === undefined) return;
      const q = await ctx.quarantinedLines(id);
      ctx.expect(
        q.length === 1 && q[0] === line,
        `quarantined lines ${JSON.stringify(q)}, expected [${line}]`,
      );
    },
  };
}

function loadsWhole(name: string, what: string, o: FileOptions): Scenario {
  return {
    name,
    what,
    async run(ctx) {
      const f = capacityFile(o);
      ctx.notes.push(`header line ${f.headerBytes} bytes, file ${f.body.length} bytes`);
      const id = await postAndLoad(ctx, o);
      if (id === undefined) return;
      const q = await ctx.quarantinedLines(id);
      ctx.expect(q.length === 0, `${q.length} rows quarantined, expected none`);
    },
  };
}

/** The scenarios of faults 3 and 6. */
export const CONTENT: Scenario[] = [
  nul("content/nul-in-sniff-window", 5, true),
  nul("content/nul-past-sniff-window", 1500, false),
  loadsWhole(
    "content/header-padded-past-sniff-window",
    "a header line of 70 KiB (spaces inside the first field, trimmed by normalisation): " +
      "recognised as posted and loaded",
    { rows: 500, headerPadding: 70_000 },
  ),
  loadsWhole(
    "content/header-extra-columns-past-sniff-window",
    "a header line past 64 KiB: 20 unknown columns with 3,500-character names after the 15: " +
      "recognised and loaded",
    { rows: 500, extraColumns: 20, extraNameChars: 3_500 },
  ),
  loadsWhole(
    "content/cr-only-line-ends",
    "CR-only line ends: recognised as posted and loaded whole",
    { rows: 2_000, lineEnd: "\r" },
  ),
];

/**
 * The fault suite (`deno task faults`): injects faults around the load
 * transaction against the real PostgreSQL, runs the program as a subprocess,
 * checks the invariants with an independent checker, and prints the figures.
 * Exits 1 when a scenario fails or any figure but the first three is not 0.
 *
 * `deno task faults [--only SUBSTRING,...] [--list] [--verbose]` (`--verbose`:
 * the programs' last log lines of every failed scenario).
 *
 * @module
 */
import { FaultContext, type Figures, type Scenario, zeroFigures } from "./harness.ts";
import { DB_DROP } from "./scenarios/db_drop.ts";
import { NOT_POSTGRES } from "./scenarios/not_postgres.ts";
import { CONTENT } from "./scenarios/content.ts";
import { KILL } from "./scenarios/kill.ts";
import { SHORT_BODY } from "./scenarios/short_body.ts";
import { BUSY } from "./scenarios/busy.ts";
import { SOURCE } from "./scenarios/source.ts";
import { NETWORK } from "./scenarios/network.ts";

/** Every scenario, in the order of the faults. */
export const SCENARIOS: readonly Scenario[] = [
  ...DB_DROP,
  ...NOT_POSTGRES,
  ...CONTENT,
  ...KILL,
  ...SHORT_BODY,
  ...BUSY,
  ...SOURCE,
  ...NETWORK,
];

const DEFAULT_TIMEOUT_MS = 60_000;
/** Figures that must be 0. */
const MUST_BE_ZERO = [
  "lost",
  "duplicated",
  "extra",
  "partial",
  "unrecorded",
  "crashes",
  "unclear",
] as const;

/** How one scenario went. */
export interface Result {
  /** Scenario. */
  scenario: Scenario;
  /** Whether every expectation held and every must-be-zero figure is 0. */
  pass: boolean;
  /** Seconds taken. */
  seconds: number;
  /** Its figures. */
  figures: Figures;
  /** Failed expectations. */
  failures: string[];
  /** Measurements. */
  notes: string[];
  /** The programs' last log lines. */
  transcript: string[];
}

async function withDeadline(p: Promise<void>, ms: number, step: () => string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${ms / 1000} s waiting for ${step() || "?"}`)),
      ms,
    );
  });
  try {
    await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Run one scenario, bounded in time; never throws. */
export async function runScenario(s: Scenario): Promise<Result> {
  const t0 = performance.now();
  const ctx = new FaultContext(s.name);
  try {
    await ctx.setup();
    const running = s.run(ctx);
    running.catch(() => {});
    await withDeadline(running, s.timeoutMs ?? DEFAULT_TIMEOUT_MS, () => ctx.step);
  } catch (e) {
    ctx.failures.push(`aborted: ${(e as Error).message.replaceAll("\n", " | ").slice(0, 400)}`);
  }
  try {
    await withDeadline(ctx.finish(), 90_000, () => `the checker (${ctx.step})`);
  } catch (e) {
    ctx.failures.push(`checker: ${(e as Error).message.split("\n")[0]}`);
  }
  await ctx.close().catch((e) => ctx.failures.push(`cleanup: ${(e as Error).message}`));
  const pass = ctx.failures.length === 0 && MUST_BE_ZERO.every((k) => ctx.figures[k] === 0);
  return {
    scenario: s,
    pass,
    seconds: (performance.now() - t0) / 1000,
    figures: ctx.figures,
    failures: ctx.failures,
    notes: ctx.notes,
    transcript: ctx.transcript(),
  };
}

const COLUMNS: [keyof Figures, string][] = [
  ["faults", "faults"],
  ["files", "files"],
  ["rows", "rows"],
  ["lost", "lost"],
  ["duplicated", "dup"],
  ["extra", "extra"],
  ["partial", "partial"],
  ["unrecorded", "unrec"],
  ["crashes", "crash"],
  ["unclear", "unclear"],
];

/** The closing table: one line per scenario, then the totals. */
export function table(results: readonly Result[]): string {
  const width = Math.max(8, ...results.map((r) => r.scenario.name.length));
  const head = `${"scenario".padEnd(width)}  result      s ` +
    COLUMNS.map(([, h]) => h.padStart(8)).join("");
  const line = (name: string, res: string, s: string, f: Figures) =>
    `${name.padEnd(width)}  ${res.padEnd(6)} ${s.padStart(6)} ` +
    COLUMNS.map(([k]) => String(f[k]).padStart(8)).join("");
  const total = zeroFigures();
  for (const r of results) for (const [k] of COLUMNS) total[k] += r.figures[k];
  const seconds = results.reduce((a, r) => a + r.seconds, 0);
  const failed = results.filter((r) => !r.pass).length;
  return [
    head,
    ...results.map((r) =>
      line(r.scenario.name, r.pass ? "PASS" : "FAIL", r.seconds.toFixed(1), r.figures)
    ),
    "-".repeat(head.length),
    line("total", failed ? "FAIL" : "PASS", seconds.toFixed(1), total),
    "",
    `faults injected ${total.faults}, files ${total.files}, rows ${total.rows}, ` +
    `lost ${total.lost}, duplicated ${total.duplicated}, crashes ${total.crashes}, ` +
    `unclear messages ${total.unclear} (also: extra ${total.extra}, partial ${total.partial}, ` +
    `failures without a ledger row ${total.unrecorded})`,
    `fault scenarios: ${results.length - failed} PASS, ${failed} FAIL`,
  ].join("\n");
}

function report(r: Result): string {
  const lines = [`${r.pass ? "PASS" : "FAIL"} ${r.scenario.name} (${r.seconds.toFixed(1)} s)`];
  lines.push(`     ${r.scenario.what}`);
  for (const f of r.failures) lines.push(`   x ${f}`);
  for (const n of r.notes) lines.push(`   - ${n}`);
  return lines.join("\n");
}

function select(args: string[]): Scenario[] {
  const i = args.indexOf("--only");
  if (i < 0) return [...SCENARIOS];
  const wanted = (args[i + 1] ?? "").split(",").filter((w) => w !== "");
  const chosen = SCENARIOS.filter((s) => wanted.some((w) => s.name.includes(w)));
  if (chosen.length === 0) throw new Error(`--only ${args[i + 1] ?? ""}: no scenario matches`);
  return chosen;
}

if (import.meta.main) {
  if (Deno.args.includes("--list")) {
    for (const s of SCENARIOS) console.log(`${s.name}\n    ${s.what}`);
    Deno.exit(0);
  }
  let chosen: Scenario[];
  try {
    chosen = select(Deno.args);
  } catch (e) {
    console.error(`faults: ${(e as Error).message}`);
    Deno.exit(2);
  }
  try {
    await new Deno.Command("psql", { args: ["--version"], stdout: "null" }).output();
  } catch {
    console.error(
      "faults: psql not found on PATH: the checker reads files with PostgreSQL's CSV " +
        "parser through psql (apt-get install postgresql-client)",
    );
    Deno.exit(2);
  }
  console.log(`fault suite: ${chosen.length} scenarios against the PostgreSQL of TEST_PG_*`);
  const results: Result[] = [];
  for (const s of chosen) {
    const r = await runScenario(s);
    results.push(r);
    console.log(report(r));
    if (!r.pass && Deno.args.includes("--verbose")) console.log(r.transcript.join("\n"));
  }
  console.log(`\n${table(results)}`);
  Deno.exit(results.every((r) => r.pass) ? 0 : 1);
}

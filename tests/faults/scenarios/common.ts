/**
 * Pieces the scenarios share: how the program is started, and the
 * expectations most faults end with.
 *
 * @module
 */
import type { FaultContext, Program } from "../harness.ts";
import { unclearReason } from "../messages.ts";

/** Cycle code to label. */
export const CYCLE: Record<number, string> = {
  0: "Timely",
  1: "Evening",
  3: "Intraday 1",
  4: "Intraday 2",
  7: "Intraday 3",
  5: "Final",
};

/** Arguments of a one-shot run of today's gas day. */
export function onceArgs(ctx: FaultContext, cycles: string): string[] {
  return ["--once", "--params", `gasDay=${ctx.gasDay}`, `cycle=${cycles}`];
}

/** Arguments of a daemon that polls only Timely. */
export const DAEMON_ARGS = ["--params", "cycle=0"];

/**
 * Daemon settings that keep a scenario short: a sweep every 5 s, a window of
 * one past gas day (the least Final allows), a failed pair retried after 1 s
 * (doubling to 4 s).
 */
export function daemonConfig(
  extra: Record<string, unknown> = {},
): Record<string, Record<string, unknown>> {
  return {
    daemon: {
      schedule: "*/5 * * * * *",
      history_days: 1,
      probe_initial_seconds: 1,
      probe_max_seconds: 4,
      shutdown_timeout_seconds: 10,
      ...extra,
    },
  };
}

/** Expect the exit code within `ms`; returns the exit (undefined when it still ran, then killed). */
export async function expectExit(
  ctx: FaultContext,
  p: Program,
  code: number,
  ms: number,
  what: string,
): Promise<{ code: number; seconds: number } | undefined> {
  ctx.step = `${what} to exit`;
  const exit = await p.exitWithin(ms);
  if (!exit) {
    ctx.failures.push(`${what}: still running ${(ms / 1000).toFixed(0)} s later (killed)`);
    p.kill("SIGKILL");
    return undefined;
  }
  ctx.expect(
    exit.code === code,
    `${what}: exit ${exit.code}, expected ${code}${lastWords(p)}`,
  );
  return exit;
}

/** The last error-ish line of a program, for failure messages. */
export function lastWords(p: Program): string {
  const other = p.log.other.filter((l) => !/^\s+at |Stack backtrace|^\s*\d+: /.test(l));
  const err = [...p.log.lines].reverse().find((l) => l.level === "error" || l.level === "warn");
  const text = other[0] ?? (err ? `${err.event}: ${err.reason ?? err.error ?? ""}` : "");
  return text ? ` (${String(text).slice(0, 200)})` : "";
}

/**
 * Expect exactly one `failed` ledger row for the pair, with a one-line
 * reason, within `ms` (it may be recorded once the database answers again).
 */
export async function expectOneFailure(
  ctx: FaultContext,
  cycle: string,
  ms = 10_000,
  o: { reason?: RegExp; atLeastOne?: boolean } = {},
): Promise<void> {
  const { reason } = o;
  const rows = await ctx.waitFor(
    `a failed ledger row for ${cycle}`,
    async () => {
      const r = (await ctx.ledger(cycle)).filter((x) => x.status === "failed");
      return r.length > 0 && r;
    },
    ms,
  ).catch(() => []);
  if (!ctx.expect(rows.length > 0, `${cycle}: no failed ledger row`)) return;
  ctx.expect(
    rows.length === 1 || (o.atLeastOne ?? false),
    `${cycle}: ${rows.length} failed ledger rows, expected one`,
  );
  const why = unclearReason(rows[0].error);
  ctx.expect(!why, `${cycle}: the failure's reason ${why}: ${JSON.stringify(rows[0].error)}`);
  if (reason) {
    ctx.expect(
      reason.test(rows[0].error ?? ""),
      `${cycle}: the failure's reason does not match ${reason}: ${JSON.stringify(rows[0].error)}`,
    );
  }
}

/** Wait until the pair has a `loaded` ledger row; false (recorded) when it has none within `ms`. */
export async function expectLoaded(
  ctx: FaultContext,
  cycle: string,
  ms: number,
  gasDay = ctx.gasDay,
): Promise<boolean> {
  const ok = await ctx.waitFor(
    `${cycle} loaded`,
    async () => (await ctx.ledger(cycle, gasDay)).some((r) => r.status === "loaded"),
    ms,
  ).catch(() => false);
  return ctx.expect(ok, `${gasDay} ${cycle}: not loaded within ${ms / 1000} s`);
}

/** SIGTERM a daemon and expect it to stop cleanly (exit 0). */
export async function stopDaemon(ctx: FaultContext, p: Program, ms = 15_000): Promise<void> {
  if (!ctx.expect(p.running(), `the daemon died${lastWords(p)}`)) return;
  p.kill("SIGTERM");
  await expectExit(ctx, p, 0, ms, "the daemon after SIGTERM");
}

/** Sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

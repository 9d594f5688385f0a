/**
 * `tec-pipeline rebuild [--from D] [--to D]`: re-derive versions, history and
 * the current table from the raw archive (see `pipeline/rebuild.ts`). A
 * first SIGINT/SIGTERM stops between pairs (those done stay done; the run can
 * be repeated) and exits 4.
 *
 * @module
 */
import { explainBadDate, type IsoDate, parseGasDay } from "../../domain/gas_day.ts";
import { InvalidRequestError } from "../../domain/errors.ts";
import { rebuild, type RebuildSummary } from "../../pipeline/rebuild.ts";
import { Shutdown } from "../shutdown.ts";
import { EXIT } from "../exit.ts";
import { type CommandEnv, pipelineContext, withDatabase } from "./context.ts";

/** The range to rebuild, validated. */
export interface RebuildRange {
  /** First gas day (every archived one when absent). */
  from?: IsoDate;
  /** Last gas day. */
  to?: IsoDate;
}

/**
 * `--from` and `--to`, both optional.
 *
 * @throws {InvalidRequestError} naming the option and what was expected
 */
export function parseRebuildRange(a: { from?: string; to?: string }): RebuildRange {
  const date = (name: string, v: string | undefined): IsoDate | undefined => {
    if (v === undefined) return undefined;
    const d = parseGasDay(v);
    if (!d) throw new InvalidRequestError(`rebuild --${name}: ${explainBadDate(v)}`);
    return d;
  };
  const range = { from: date("from", a.from), to: date("to", a.to) };
  if (range.from && range.to && range.to < range.from) {
    throw new InvalidRequestError(`rebuild: --to ${range.to} is before --from ${range.from}`);
  }
  return range;
}

/** Run a rebuild; resolves with the exit status (0 done, 1 a pair not rebuilt, 4 stopped). */
export function runRebuild(env: CommandEnv, range: RebuildRange): Promise<number> {
  return withDatabase(env, async (rt) => {
    env.log.info("rebuild.start", { from: range.from ?? "first", to: range.to ?? "last" });
    const shutdown = new Shutdown({
      log: env.log,
      timeoutSeconds: env.config.daemon.shutdownTimeoutSeconds,
      stop: env.stop,
      onTimeout: () => rt.db.close({ timeoutSeconds: 0 }).catch(() => {}),
    });
    let summary: RebuildSummary;
    try {
      const ctx = pipelineContext(rt, { signal: shutdown.hard, clock: env.clock });
      let pairs = 0;
      summary = await rebuild(ctx, {
        ...range,
        signal: shutdown.signal,
        onPair: (p) => {
          if (++pairs % 100 === 0) env.log.info("rebuild.progress", { pairs });
          if (p.skipped) {
            env.log.warn("rebuild.pair_kept", {
              source: p.pair.source,
              gas_day: p.pair.gasDay,
              cycle: p.pair.cycle,
              reason: p.skipped,
            });
          }
        },
      });
    } finally {
      shutdown.dispose();
    }
    const { files, ...totals } = summary;
    const fields = { ...totals, ...files };
    if (summary.interrupted) {
      env.log.warn("rebuild.interrupted", { ...fields, resume: "run the same rebuild again" });
      return EXIT.interrupted;
    }
    const clean = summary.skipped === 0 && summary.unreadable === 0;
    (clean ? env.log.info : env.log.warn).call(env.log, "rebuild.done", fields);
    return clean ? EXIT.ok : EXIT.failed;
  });
}

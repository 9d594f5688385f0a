/**
 * `tec-pipeline --once --replay <sha256|file>`: load an archived body, or a
 * local file, exactly as if it had been fetched.
 *
 * @module
 */
import type { ParamCombo } from "../../domain/params.ts";
import { findCycle } from "../../domain/cycles.ts";
import { type PairJob, replayFile } from "../../pipeline/process_pair.ts";
import type { Runtime } from "../runtime.ts";
import { EXIT, exitStatus } from "../exit.ts";
import { type CommandEnv, withDatabase } from "./context.ts";

/** Options for {@linkcode runReplay}. */
export interface ReplayOptions {
  /** A sha256, a prefix of 8+ hex digits, or a path. */
  target: string;
  /** The job `--params` describe (source, and gas day and cycle when given). */
  job: PairJob;
  /** The `--params` combination (at most one). */
  given: ParamCombo;
  /** `--force`. */
  force: boolean;
}

async function replayArchived(rt: Runtime, o: ReplayOptions, sha: string): Promise<number> {
  const last = (await rt.archive.requests(sha)).at(-1);
  if (!last && (!o.given.gasDay || !o.given.cycle)) {
    rt.log.error("replay.unknown_request", {
      sha256: sha,
      reason: "no request recorded for it: give --params gasDay=.. cycle=..",
    });
    return EXIT.usage;
  }
  const source = rt.config.sources.find((s) => s.name === last?.source) ?? o.job.source;
  const job: PairJob = {
    source,
    gasDay: o.given.gasDay ?? last!.gasDay,
    cycle: o.given.cycle ?? findCycle(String(last!.cycle))!,
    force: o.force,
  };
  return exitStatus([
    await replayFile(rt, job, rt.archive.bodyPath(sha), { url: last?.url, sha256: sha }),
  ]);
}

async function replayLocal(rt: Runtime, o: ReplayOptions): Promise<number> {
  try {
    if (!(await Deno.stat(o.target)).isFile) throw new Error("not a file");
  } catch {
    rt.log.error("replay.not_found", {
      target: o.target,
      reason: "neither an archived sha256 nor a readable file",
    });
    return EXIT.usage;
  }
  if (!o.given.gasDay || !o.given.cycle) {
    rt.log.error("replay.missing_params", {
      target: o.target,
      reason: "a local file needs --params gasDay=.. cycle=..",
    });
    return EXIT.usage;
  }
  return exitStatus([await replayFile(rt, o.job, o.target)]);
}

/** Replay one body; resolves with the exit status. */
export function runReplay(env: CommandEnv, o: ReplayOptions): Promise<number> {
  return withDatabase(env, async (rt) => {
    let sha: string | undefined;
    try {
      sha = await rt.archive.find(o.target);
    } catch (e) {
      rt.log.error("replay.ambiguous", { target: o.target, reason: (e as Error).message });
      return EXIT.usage;
    }
    return sha ? await replayArchived(rt, o, sha) : await replayLocal(rt, o);
  });
}

/**
 * Entry point of tec-pipeline (the compiled binary's too): parse the command
 * line, load the configuration, then run one of the commands.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };
import { type CliArgs, HELP, parseCli } from "./cli/args.ts";
import { expandParams, type ParamCombo, UsageError } from "./cli/params.ts";
import { loadConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { ConfigError } from "./config/validate.ts";
import { findCycle } from "./domain/cycles.ts";
import { gasDayAt } from "./domain/gas_day.ts";
import { createLogger, openRuntime, type Runtime } from "./app/runtime.ts";
import { runDaemonCommand } from "./app/daemon_command.ts";
import { type Clock, systemClock } from "./daemon/clock.ts";
import { restrictedSources, restrictionFrom } from "./daemon/restrict.ts";
import { backfillPlanText, parseBackfillRange, planBackfill } from "./backfill/plan.ts";
import { runBackfill } from "./backfill/run.ts";
import { buildJobs } from "./pipeline/jobs.ts";
import { type PairJob, processPair, replayFile } from "./pipeline/process_pair.ts";
import { mapPool } from "./pipeline/pool.ts";
import { EXIT, exitStatus, summarise } from "./pipeline/run_once.ts";
import { healthcheck } from "./health/healthcheck.ts";
import { parseHostPort } from "./health/server.ts";

/** The program's version (from deno.json, embedded at build time). */
export const VERSION: string = denoJson.version;

/** Options for {@linkcode main}. */
export interface MainOptions {
  /** Environment. */
  env: Record<string, string | undefined>;
  /** Clock (the default gas day, the daemon, the backfill). */
  clock?: Clock;
  /** Where help and plain output go. */
  print?: (text: string) => void;
  /** Where usage errors go. */
  printError?: (text: string) => void;
  /** Where log lines go (standard error by default). */
  logWrite?: (line: string) => void;
  /** Aborting it asks the daemon to shut down (tests; signals work too). */
  stop?: AbortSignal;
  /** Told the health endpoint's address once it listens (tests). */
  onHealth?: (addr: { hostname: string; port: number }) => void;
}

/** A command, ready to run once the database is open. */
type Command = (rt: Runtime) => Promise<number>;

/** Run the program; resolves with the exit status. */
export async function main(argv: readonly string[], opts: MainOptions): Promise<number> {
  const print = opts.print ?? ((t: string) => console.log(t));
  const printError = opts.printError ?? ((t: string) => console.error(t));
  const usage = (e: unknown) => {
    if (!(e instanceof UsageError)) throw e;
    printError(`tec-pipeline: ${e.message}\nTry 'tec-pipeline --help'.`);
    return EXIT.usage;
  };
  let cli: CliArgs;
  try {
    cli = parseCli(argv);
  } catch (e) {
    return usage(e);
  }
  if (cli.help) {
    print(HELP);
    return EXIT.ok;
  }
  if (cli.version) {
    print(`tec-pipeline ${VERSION}`);
    return EXIT.ok;
  }
  let config: Config;
  let origin: string;
  try {
    ({ config, origin } = await loadConfig({ path: cli.config, env: opts.env }));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    printError(`tec-pipeline: ${e.message}`);
    return EXIT.usage;
  }
  if (cli.command === "healthcheck") return await checkHealth(config, printError);
  const log = createLogger({ config, level: cli.logLevel, write: opts.logWrite });
  log.debug("config.loaded", { origin });
  const clock = opts.clock ?? systemClock;

  let command: Command;
  try {
    const combos = expandParams(cli.params);
    if (cli.command === "backfill") {
      const range = parseBackfillRange(cli);
      const restrict = restrictionFrom(combos);
      const jobs = planBackfill(range, restrictedSources(config.sources, restrict), {
        request: restrict.request,
        force: cli.force,
      });
      if (cli.dryRun) {
        // The plan only: no database, no request.
        print(backfillPlanText(jobs));
        return EXIT.ok;
      }
      command = async (rt) => {
        const r = await runBackfill({
          rt,
          jobs,
          refetch: cli.force,
          clock,
          terminal: Deno.stderr.isTerminal() && !opts.logWrite
            ? (line) => Deno.stderr.writeSync(new TextEncoder().encode(line))
            : undefined,
          stop: opts.stop,
        });
        log.info("backfill.done", { ...summarise(r.outcomes), already_loaded: r.skipped });
        return exitStatus(r.outcomes);
      };
    } else if (cli.once) {
      const today = gasDayAt(clock.now(), config.timezone);
      const jobs = buildJobs({
        combos: combos.length ? combos : [{ request: {} }],
        sources: config.sources,
        defaultGasDay: today,
        force: cli.force,
      });
      if (cli.replay !== undefined) {
        if (jobs.length !== 1 && cli.params.length > 0) {
          throw new UsageError("--replay loads one file: give at most one gasDay and one cycle");
        }
        command = (rt) => runReplay(rt, cli, jobs[0], combos);
      } else {
        command = async (rt) => {
          const outcomes = await mapPool(
            jobs,
            config.daemon.concurrency,
            (job) => processPair(rt, job),
          );
          log.info("run.done", summarise(outcomes));
          return exitStatus(outcomes);
        };
      }
    } else {
      const restrict = restrictionFrom(combos);
      command = (rt) =>
        runDaemonCommand({
          rt,
          restrict,
          version: VERSION,
          clock,
          stop: opts.stop,
          onHealth: opts.onHealth,
        });
    }
  } catch (e) {
    return usage(e);
  }

  let rt: Runtime;
  try {
    rt = await openRuntime({ config, log });
  } catch (e) {
    log.error("db.unavailable", { reason: (e as Error).message });
    return EXIT.failed;
  }
  try {
    return await command(rt);
  } finally {
    await rt.close().catch(() => {});
  }
}

/** `tec-pipeline healthcheck`: ask the local instance's `/healthz`. */
async function checkHealth(config: Config, printError: (t: string) => void): Promise<number> {
  const hp = parseHostPort(config.health.addr, "health.addr");
  const host = hp.hostname === "0.0.0.0" || hp.hostname === "::" ? "127.0.0.1" : hp.hostname;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${hp.port}/healthz`;
  return await healthcheck({ url, timeoutMs: 3000, log: printError });
}

async function runReplay(
  rt: Runtime,
  cli: CliArgs,
  job: PairJob,
  combos: ParamCombo[],
): Promise<number> {
  const target = cli.replay!;
  let sha: string | undefined;
  try {
    sha = await rt.archive.find(target);
  } catch (e) {
    rt.log.error("replay.ambiguous", { target, reason: (e as Error).message });
    return EXIT.usage;
  }
  const given = combos[0] ?? { request: {} };
  if (sha) {
    const last = (await rt.archive.requests(sha)).at(-1);
    if (!last && (!given.gasDay || !given.cycle)) {
      rt.log.error("replay.unknown_request", {
        sha256: sha,
        reason: "no request recorded for it: give --params gasDay=.. cycle=..",
      });
      return EXIT.usage;
    }
    const source = rt.config.sources.find((s) => s.name === last?.source) ?? job.source;
    const replayed: PairJob = {
      source,
      gasDay: given.gasDay ?? last!.gasDay,
      cycle: given.cycle ?? findCycle(String(last!.cycle))!,
      force: cli.force,
    };
    return exitStatus([await replayFile(rt, replayed, rt.archive.bodyPath(sha), last?.url)]);
  }
  try {
    if (!(await Deno.stat(target)).isFile) throw new Error("not a file");
  } catch {
    rt.log.error("replay.not_found", {
      target,
      reason: "neither an archived sha256 nor a readable file",
    });
    return EXIT.usage;
  }
  if (!given.gasDay || !given.cycle) {
    rt.log.error("replay.missing_params", {
      target,
      reason: "a local file needs --params gasDay=.. cycle=..",
    });
    return EXIT.usage;
  }
  return exitStatus([await replayFile(rt, job, target)]);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, { env: Deno.env.toObject() }));
}

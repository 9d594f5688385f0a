/**
 * Entry point of tec-pipeline (the compiled binary's too).
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };
import { HELP, parseCli } from "./cli/args.ts";
import { expandParams, UsageError } from "./cli/params.ts";
import { loadConfig } from "./config/load.ts";
import { ConfigError } from "./config/validate.ts";
import { gasDayAt } from "./domain/gas_day.ts";
import { findCycle } from "./domain/cycles.ts";
import { createLogger, openRuntime, type Runtime } from "./app/runtime.ts";
import { buildJobs } from "./pipeline/jobs.ts";
import { type PairJob, processPair, replayFile } from "./pipeline/process_pair.ts";
import { mapPool } from "./pipeline/pool.ts";
import { EXIT, exitStatus, summarise } from "./pipeline/run_once.ts";
import { healthcheck } from "./health/healthcheck.ts";
import { parseHostPort } from "./health/server.ts";
import type { CliArgs } from "./cli/args.ts";

/** The program's version (from deno.json, embedded at build time). */
export const VERSION: string = denoJson.version;

/** Options for {@linkcode main}. */
export interface MainOptions {
  /** Environment. */
  env: Record<string, string | undefined>;
  /** Clock (for the default gas day). */
  now?: () => Date;
  /** Where help and plain output go. */
  print?: (text: string) => void;
  /** Where usage errors go. */
  printError?: (text: string) => void;
  /** Where log lines go (standard error by default). */
  logWrite?: (line: string) => void;
}

/** Run the program; resolves with the exit status. */
export async function main(argv: readonly string[], opts: MainOptions): Promise<number> {
  const print = opts.print ?? ((t: string) => console.log(t));
  const printError = opts.printError ?? ((t: string) => console.error(t));
  let cli: CliArgs;
  try {
    cli = parseCli(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      printError(`tec-pipeline: ${e.message}\nTry 'tec-pipeline --help'.`);
      return EXIT.usage;
    }
    throw e;
  }
  if (cli.help) {
    print(HELP);
    return EXIT.ok;
  }
  if (cli.version) {
    print(`tec-pipeline ${VERSION}`);
    return EXIT.ok;
  }
  let loaded;
  try {
    loaded = await loadConfig({ path: cli.config, env: opts.env });
  } catch (e) {
    if (e instanceof ConfigError) {
      printError(`tec-pipeline: ${e.message}`);
      return EXIT.usage;
    }
    throw e;
  }
  const { config } = loaded;
  if (cli.command === "healthcheck") {
    const hp = parseHostPort(config.health.addr, "health.addr");
    const host = hp.hostname === "0.0.0.0" || hp.hostname === "::" ? "127.0.0.1" : hp.hostname;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${hp.port}/healthz`;
    return await healthcheck({ url, timeoutMs: 3000, log: printError });
  }
  const log = createLogger({ config, level: cli.logLevel, write: opts.logWrite });
  log.debug("config.loaded", { origin: loaded.origin });
  let jobs: PairJob[];
  try {
    const combos = expandParams(cli.params);
    const today = gasDayAt((opts.now ?? (() => new Date()))(), config.timezone);
    jobs = buildJobs({
      combos: combos.length ? combos : [{ request: {} }],
      sources: config.sources,
      defaultGasDay: today,
      force: cli.force,
    });
    if (cli.replay !== undefined && jobs.length !== 1 && cli.params.length > 0) {
      throw new UsageError("--replay loads one file: give at most one gasDay and one cycle");
    }
  } catch (e) {
    if (e instanceof UsageError) {
      printError(`tec-pipeline: ${e.message}\nTry 'tec-pipeline --help'.`);
      return EXIT.usage;
    }
    throw e;
  }

  let rt: Runtime;
  try {
    rt = await openRuntime({ config, log });
  } catch (e) {
    log.error("db.unavailable", { reason: (e as Error).message });
    return EXIT.failed;
  }
  try {
    if (cli.replay !== undefined) return await runReplay(rt, cli, jobs);
    // The cycle-aware daemon is its own issue; until then a bare run is one pass.
    const outcomes = await mapPool(
      jobs,
      config.daemon.concurrency,
      (job) => processPair({ ...rt }, job),
    );
    log.info("run.done", summarise(outcomes));
    return exitStatus(outcomes);
  } finally {
    await rt.close();
  }
}

async function runReplay(rt: Runtime, cli: CliArgs, jobs: PairJob[]): Promise<number> {
  const target = cli.replay!;
  const sha = await rt.archive.find(target).catch((e) => {
    throw new UsageError((e as Error).message);
  });
  let path: string;
  let job = jobs[0];
  let url: string | undefined;
  if (sha) {
    path = rt.archive.bodyPath(sha);
    const reqs = await rt.archive.requests(sha);
    const last = reqs.at(-1);
    if (last && cli.params.length === 0) {
      const source = rt.config.sources.find((s) => s.name === last.source) ?? job.source;
      job = {
        source,
        gasDay: last.gasDay,
        cycle: findCycle(String(last.cycle))!,
        force: cli.force,
      };
      url = last.url;
    } else if (!last && cli.params.length === 0) {
      rt.log.error("replay.unknown_request", {
        sha256: sha,
        reason: "no request recorded: give --params gasDay=.. cycle=..",
      });
      return EXIT.usage;
    }
  } else {
    try {
      const st = await Deno.stat(target);
      if (!st.isFile) throw new Error("not a file");
    } catch {
      rt.log.error("replay.not_found", {
        target,
        reason: "neither an archived sha256 nor a readable file",
      });
      return EXIT.usage;
    }
    if (
      !cli.params.some((p) => p.startsWith("gasDay=")) ||
      !cli.params.some((p) => p.startsWith("cycle="))
    ) {
      rt.log.error("replay.missing_params", {
        target,
        reason: "a local file needs --params gasDay=.. cycle=..",
      });
      return EXIT.usage;
    }
    path = target;
  }
  const outcome = await replayFile(rt, job, path, url);
  return exitStatus([outcome]);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, { env: Deno.env.toObject() }));
}

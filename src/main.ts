/**
 * Entry point of tec-pipeline (the compiled binary's too): parse the command
 * line, load the configuration, then run one of the commands. This is the one
 * place that turns errors into exit statuses: usage, configuration and
 * start-up mistakes are one line and status 2.
 *
 * @module
 */
import { resolve } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { type CliArgs, HELP, parseCli } from "./cli/args.ts";
import { expandParams, type ParamCombo, UsageError } from "./cli/params.ts";
import { loadConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { ConfigError } from "./config/validate.ts";
import { gasDayAt } from "./domain/gas_day.ts";
import { InvalidRequestError } from "./domain/errors.ts";
import { createLogger } from "./app/runtime.ts";
import { READ_PATHS } from "./app/permissions.ts";
import { EXIT } from "./app/exit.ts";
import type { CommandEnv } from "./app/commands/context.ts";
import { runDaemonCommand } from "./app/commands/daemon.ts";
import { runJobs, runWindow } from "./app/commands/once.ts";
import { runReplay } from "./app/commands/replay.ts";
import { dryRun, runBackfill } from "./app/commands/backfill.ts";
import { parseExportRequest, runExport } from "./app/commands/export.ts";
import { parseRebuildRange, runRebuild } from "./app/commands/rebuild.ts";
import { parseSqlRequest, runSql } from "./app/commands/sql.ts";
import {
  parseCopyTarget,
  parseServeAddr,
  requireEmbedded,
  runDbCopyTo,
  runDbServe,
} from "./app/commands/db.ts";
import { parseDashboardAddr, runServe } from "./app/commands/serve.ts";
import { type Clock, systemClock } from "./daemon/clock.ts";
import { restrictedSources, restrictionFrom } from "./pipeline/selection.ts";
import { parseBackfillRange, planBackfill } from "./backfill/plan.ts";
import { buildJobs } from "./pipeline/jobs.ts";
import { healthcheck } from "./health/healthcheck.ts";
import { parseHostPort } from "./health/server.ts";
import { StatusLine } from "./log/status_line.ts";

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
  /** Aborting it asks the running command to stop, as a signal does (tests). */
  stop?: AbortSignal;
  /** Told the health endpoint's address once it listens (tests). */
  onHealth?: (addr: { hostname: string; port: number }) => void;
}

/** A command, ready to run. */
type Command = (env: CommandEnv) => Promise<number>;

/** Run the program; resolves with the exit status. */
export async function main(argv: readonly string[], opts: MainOptions): Promise<number> {
  const print = opts.print ?? ((t: string) => console.log(t));
  const printError = opts.printError ?? ((t: string) => console.error(t));
  try {
    const cli = parseCli(argv);
    if (cli.help) return (print(HELP), EXIT.ok);
    if (cli.version) return (print(`tec-pipeline ${VERSION}`), EXIT.ok);
    const config = await readConfig(cli, opts.env);
    if (cli.command === "healthcheck") return await checkHealth(config, printError);
    const command = buildCommand(cli, config, opts.clock ?? systemClock);
    const terminal = !opts.logWrite && Deno.stderr.isTerminal() ? new StatusLine() : undefined;
    const log = createLogger({
      config,
      level: cli.logLevel,
      write: opts.logWrite ?? (terminal ? (l) => terminal.log(l) : undefined),
    });
    return await command({
      config,
      log,
      clock: opts.clock ?? systemClock,
      print,
      printError,
      stop: opts.stop,
      onHealth: opts.onHealth,
      terminal,
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const line of e.lines()) printError(`tec-pipeline: ${line}`);
      return EXIT.usage;
    }
    if (!(e instanceof UsageError || e instanceof InvalidRequestError)) throw e;
    printError(`tec-pipeline: ${e.message} (try 'tec-pipeline --help')`);
    return EXIT.usage;
  }
}

/**
 * Load the configuration. A file outside what the program may read (the
 * compiled binary's grant) is named with what is allowed, before anything
 * else happens.
 */
async function readConfig(cli: CliArgs, env: Record<string, string | undefined>): Promise<Config> {
  const path = cli.config ?? env.TEC_CONFIG;
  if (path) {
    const { state } = await Deno.permissions.query({ name: "read", path: resolve(path) });
    if (state !== "granted") {
      throw new UsageError(
        `--config ${resolve(path)}: outside what this program may read (allowed: ${
          READ_PATHS.map((p) => resolve(p)).join(", ")
        })`,
      );
    }
  }
  return (await loadConfig({ path, env })).config;
}

/** Validate the command line against the configuration and pick the command. */
function buildCommand(cli: CliArgs, config: Config, clock: Clock): Command {
  if (cli.command === "export") {
    const request = parseExportRequest(cli, config);
    return (env) => runExport(env, request);
  }
  if (cli.command === "rebuild") {
    const range = parseRebuildRange(cli);
    return (env) => runRebuild(env, range);
  }
  if (cli.command === "sql") {
    const request = parseSqlRequest(cli, Deno.stdout.isTerminal());
    return (env) => runSql(env, request);
  }
  if (cli.command === "db") return dbCommand(cli, config);
  if (cli.command === "serve") {
    const addr = parseDashboardAddr(cli.addr);
    return (env) => runServe(env, addr);
  }
  const combos = expandParams(cli.params);
  if (cli.command === "backfill") {
    const range = parseBackfillRange(cli);
    const restrict = restrictionFrom(combos);
    const jobs = planBackfill(range, restrictedSources(config.sources, restrict), {
      request: restrict.request,
      force: cli.force,
    });
    if (cli.dryRun) return (env) => dryRun(env, jobs);
    return (env) => runBackfill(env, { jobs, refetch: cli.force });
  }
  if (!cli.once) {
    const restrict = restrictionFrom(combos);
    return (env) => runDaemonCommand(env, { restrict, version: VERSION });
  }
  if (cli.replay === undefined && !combos.some((c) => c.gasDay || c.cycle)) {
    // No gas day or cycle: whatever the calendar says is due now.
    const restrict = restrictionFrom(combos);
    return (env) => runWindow(env, restrict);
  }
  const jobs = buildJobs({
    combos: combos.length ? combos : [{ request: {} }],
    sources: config.sources,
    defaultGasDay: gasDayAt(clock.now(), config.timezone),
    force: cli.force,
  });
  if (cli.replay === undefined) return (env) => runJobs(env, jobs);
  if (jobs.length !== 1 && cli.params.length > 0) {
    throw new UsageError("--replay loads one file: give at most one gasDay and one cycle");
  }
  return (env) =>
    runReplay(env, {
      target: cli.replay!,
      job: jobs[0],
      given: combos[0] ?? ({ request: {} } as ParamCombo),
      force: cli.force,
    });
}

/** `db serve` or `db copy-to`, validated. */
function dbCommand(cli: CliArgs, config: Config): Command {
  requireEmbedded(config, cli.dbAction!);
  if (cli.dbAction === "serve") {
    const addr = parseServeAddr(cli.addr);
    return (env) => runDbServe(env, addr);
  }
  const target = parseCopyTarget(cli.target!);
  return (env) => runDbCopyTo(env, target);
}

/** `tec-pipeline healthcheck`: ask the local instance's `/healthz`. */
async function checkHealth(config: Config, printError: (t: string) => void): Promise<number> {
  const hp = parseHostPort(config.health.addr, "health.addr");
  const host = hp.hostname === "0.0.0.0" || hp.hostname === "::" ? "127.0.0.1" : hp.hostname;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${hp.port}/healthz`;
  return await healthcheck({ url, timeoutMs: 3000, log: printError });
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, { env: Deno.env.toObject() }));
}

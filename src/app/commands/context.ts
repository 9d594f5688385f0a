/**
 * What every command gets from `main`, and the wiring they share: the
 * database opened (or not) with one clear line, the pipeline's services with
 * the per-host request budget, the closing summary of an interrupted run.
 *
 * @module
 */
import type { Config } from "../../config/schema.ts";
import type { Logger } from "../../log/logger.ts";
import type { StatusLine } from "../../log/status_line.ts";
import type { Clock } from "../../daemon/clock.ts";
import { HostRateLimiter, type RequestBudget } from "../../daemon/rate_limit.ts";
import { SharedBudget } from "../../daemon/request_budget.ts";
import { operatorResolver } from "../../daemon/operators.ts";
import type { PairObserver, PipelineContext } from "../../pipeline/process_pair.ts";
import { openRuntime, prepareDatabase, type Runtime, sweepArchive } from "../runtime.ts";
import { StoreLockedError } from "../../db/embedded_lock.ts";
import { checkDataDir, describeDatabase, StartupError } from "../startup.ts";
import { EXIT } from "../exit.ts";

/** What `main` hands to a command. */
export interface CommandEnv {
  /** Validated configuration. */
  config: Config;
  /** Logger. */
  log: Logger;
  /** Clock. */
  clock: Clock;
  /** Plain output (plans, help). */
  print: (text: string) => void;
  /** One-line errors (usage, settings). */
  printError: (text: string) => void;
  /** Aborting it is a stop request, like SIGTERM (tests). */
  stop?: AbortSignal;
  /** Told the health endpoint's address once it listens (tests). */
  onHealth?: (addr: { hostname: string; port: number }) => void;
  /** The terminal, when standard error is one (progress bars). */
  terminal?: StatusLine;
}

/**
 * Check the data directory, connect and migrate, run `fn`, close. A database
 * that cannot be used is one line naming the server and the settings that
 * choose it, and exit 1; a data directory that cannot be written is exit 2.
 */
export async function withDatabase(
  env: CommandEnv,
  fn: (rt: Runtime) => Promise<number>,
): Promise<number> {
  try {
    await checkDataDir(env.config.dataDir);
  } catch (e) {
    if (!(e instanceof StartupError)) throw e;
    env.printError(`tec-pipeline: ${e.message}`);
    return EXIT.usage;
  }
  const rt = await openOrSay(env);
  if (!rt) return EXIT.failed;
  await sweepArchive(rt);
  try {
    try {
      await prepareDatabase(rt);
    } catch (e) {
      const { target, fix } = describeDatabase(env.config.database);
      env.log.error("db.unavailable", { target, reason: (e as Error).message, fix });
      return EXIT.failed;
    }
    return await fn(rt);
  } finally {
    await rt.close().catch(() => {});
  }
}

/**
 * Open the runtime, or say in one line why it cannot be (the embedded store
 * held by another process: its PID and what to do) and give `undefined`.
 */
export async function openOrSay(env: CommandEnv): Promise<Runtime | undefined> {
  try {
    return await openRuntime({ config: env.config, log: env.log });
  } catch (e) {
    const { target, fix } = describeDatabase(env.config.database);
    const event = e instanceof StoreLockedError ? "db.locked" : "db.unavailable";
    env.log.error(event, {
      target,
      reason: (e as Error).message,
      holder_pid: e instanceof StoreLockedError ? e.holderPid : undefined,
      fix,
    });
    return undefined;
  }
}

/** Options for {@linkcode pipelineContext}. */
export interface PipelineWiring {
  /** Cancels fetches in flight (the hard stop). */
  signal?: AbortSignal;
  /** Clock for retries and the request budget. */
  clock: Clock;
  /** Metrics hooks. */
  observer?: PairObserver;
  /** The request budget (one is made from the config when absent, see {@linkcode requestBudget}). */
  limiter?: RequestBudget;
}

/**
 * The request budget every command obeys, per operator (hosts sharing a
 * registered domain, or `sources[].operator`): on a server, kept in
 * PostgreSQL and shared by every process on the database; on the embedded
 * engine (one process per store), kept in this process.
 */
export function requestBudget(rt: Runtime, clock: Clock): RequestBudget {
  const operatorOf = operatorResolver(rt.config.sources);
  const rpm = rt.config.daemon.requestsPerMinute;
  if (rt.config.database.engine === "embedded") return new HostRateLimiter(rpm, clock, operatorOf);
  return new SharedBudget({
    db: rt.db,
    schema: rt.config.database.schema,
    clock,
    requestsPerMinute: rpm,
    operatorOf,
    onFallback: (operator, e) =>
      rt.log.warn("budget.local", {
        operator,
        reason: `the shared budget could not be read (${e.message}): this process's own is used`,
      }),
  });
}

/** The pipeline's services for a runtime, with the per-operator request budget every command obeys. */
export function pipelineContext(rt: Runtime, w: PipelineWiring): PipelineContext {
  const limiter = w.limiter ?? requestBudget(rt, w.clock);
  return {
    ...rt,
    signal: w.signal,
    observer: w.observer,
    // One budget per operator for every worker of every process: a 429 or a
    // Retry-After seen by one worker slows them all.
    ...limiter.pipelineHooks(),
    sleep: (ms, signal) => w.clock.sleep(ms, signal),
  };
}

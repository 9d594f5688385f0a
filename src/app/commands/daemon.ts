/**
 * `tec-pipeline` without `--once`: the daemon and its health endpoint.
 *
 * The health endpoint listens first, so a database that is down at start is
 * waited for with back-off (a log line per attempt, `/healthz` 200, `/readyz`
 * 503 with the reason) rather than ending the process; then the schema is
 * migrated and the polling loop runs until a stop request (see `Shutdown`).
 *
 * @module
 */
import type { Runtime } from "../runtime.ts";
import { prepareDatabase, sweepArchive } from "../runtime.ts";
import { metricsObserver } from "../observe.ts";
import { checkReady, statusDocument } from "../status.ts";
import { Shutdown } from "../shutdown.ts";
import { checkDataDir, describeDatabase, retryUntil, StartupError } from "../startup.ts";
import { EXIT } from "../exit.ts";
import type { CommandEnv } from "./context.ts";
import { openOrSay, pipelineContext, requestBudget } from "./context.ts";
import { type DaemonStatus, runDaemon } from "../../daemon/daemon.ts";
import { restrictedSources, type Restriction } from "../../pipeline/selection.ts";
import { calendarOptions, windowStart } from "../../daemon/sweep.ts";
import { nextDueAt } from "../../schedule/calendar.ts";
import { createHealthApp } from "../../health/app.ts";
import {
  type FetchApp,
  type HealthServer,
  parseHostPort,
  startHealthServer,
} from "../../health/server.ts";
import { besideHealth, dashboardApp, dashboardUrl } from "./serve.ts";
import type { PipelineMetrics } from "../../metrics/pipeline_metrics.ts";
import { createMetrics } from "../../metrics/metrics.ts";
import { statusCounts } from "../../daemon/poll_state.ts";

/** A sweep overdue by this much means the loop is stuck: `/healthz` turns 503. */
const STALL_MS = 15 * 60_000;

/** Whether the scheduler loop is alive: it has planned a sweep that is not long overdue. */
export function isAlive(status: DaemonStatus, now: Date, startedAt: Date): boolean {
  const due = status.nextSweepAt ?? new Date(startedAt.getTime());
  return now.getTime() - due.getTime() < STALL_MS;
}

interface Served {
  server: HealthServer;
  /** The dashboard's own server, when `dashboard.addr` names an address. */
  dashboard?: HealthServer;
  metrics: PipelineMetrics;
}

/**
 * The dashboard as `dashboard.addr` says: on the health address (the app
 * answers beside the health paths), on an address of its own, or not at all.
 */
function withDashboard(
  env: CommandEnv,
  rt: Runtime,
  health: FetchApp,
): { app: FetchApp; dashboard?: HealthServer } {
  const where = rt.config.dashboard.addr;
  if (where === "off") return { app: health };
  const web = dashboardApp(rt, () => env.clock.now());
  if (where === "health") return { app: besideHealth(health, web) };
  const hp = parseHostPort(where, "dashboard.addr");
  try {
    const dashboard = startHealthServer({
      app: web,
      hostname: hp.hostname,
      port: hp.port,
      onListen: (a) =>
        rt.log.info("web.listening", { addr: `${a.hostname}:${a.port}`, url: dashboardUrl(a) }),
    });
    return { app: health, dashboard };
  } catch (e) {
    throw new Error(`dashboard.addr ${where}: ${(e as Error).message}`, { cause: e });
  }
}

function serveHealth(
  env: CommandEnv,
  rt: Runtime,
  o: { status: DaemonStatus; restrict: Restriction; version: string; startedAt: Date },
): Served {
  const { config, log } = rt;
  const schema = config.database.schema;
  const metrics = createMetrics({
    version: o.version,
    databaseUp: async () => (await checkReady(rt.db, schema)).ok,
    pairCounts: () =>
      statusCounts(rt.db, {
        schema,
        fromDay: windowStart(rt, env.clock.now()),
        sources: restrictedSources(config.sources, o.restrict).map((r) => r.source.name),
      }),
    onProbeError: (probe, e) => log.debug("metrics.probe_failed", { probe, reason: e.message }),
  });
  const app = createHealthApp({
    isAlive: () => isAlive(o.status, env.clock.now(), o.startedAt),
    checkReady: () => checkReady(rt.db, config.database.schema),
    renderMetrics: metrics.render,
    status: () =>
      statusDocument({
        db: rt.db,
        schema: config.database.schema,
        daemon: o.status,
        version: o.version,
        windowStart: windowStart(rt, env.clock.now()),
        now: () => env.clock.now(),
        nextPostings: restrictedSources(config.sources, o.restrict).map(({ source, cycles }) => ({
          source: source.name,
          due_at: nextDueAt(env.clock.now(), calendarOptions(rt, cycles, source))?.toISOString(),
        })),
      }),
    redact: (t) => log.redact(t),
  });
  const hp = parseHostPort(config.health.addr, "health.addr");
  const { app: served, dashboard } = withDashboard(env, rt, app);
  let server: HealthServer;
  try {
    server = startHealthServer({
      app: served,
      hostname: hp.hostname,
      port: hp.port,
      onListen: (addr) => {
        log.info("health.listening", {
          addr: `${addr.hostname}:${addr.port}`,
          dashboard: config.dashboard.addr === "health" ? dashboardUrl(addr) : undefined,
        });
        env.onHealth?.(addr);
      },
    });
  } catch (e) {
    void dashboard?.shutdown();
    throw e;
  }
  return { server, dashboard, metrics: metrics.pipeline };
}

/** Migrate, retrying with back-off until the database answers or a stop request comes. */
async function waitForDatabase(
  env: CommandEnv,
  rt: Runtime,
  status: DaemonStatus,
  stop: AbortSignal,
): Promise<boolean> {
  const { target, fix } = describeDatabase(env.config.database);
  try {
    await retryUntil(() => prepareDatabase(rt), {
      signal: stop,
      sleep: (ms, signal) => env.clock.sleep(ms, signal),
      onFailure: (e, attempt, delayMs) => {
        // The loop is alive while it waits: /healthz stays 200.
        status.nextSweepAt = new Date(env.clock.now().getTime() + delayMs);
        status.nextReason = "waiting for the database";
        status.lastError = (e as Error).message;
        env.log.warn("db.waiting", {
          target,
          attempt,
          retry_in_s: delayMs / 1000,
          reason: (e as Error).message,
          fix,
        });
      },
    });
    return true;
  } catch {
    return false;
  }
}

/** Options for {@linkcode runDaemonCommand}. */
export interface DaemonCommandOptions {
  /** `--params` restrictions. */
  restrict: Restriction;
  /** Program version (for `/status`). */
  version: string;
}

/** Run the daemon until a stop request; resolves with the exit status. */
export async function runDaemonCommand(env: CommandEnv, o: DaemonCommandOptions): Promise<number> {
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
  const status: DaemonStatus = {};
  let served: Served;
  try {
    served = serveHealth(env, rt, { ...o, status, startedAt: env.clock.now() });
  } catch (e) {
    env.log.error("health.failed", { addr: env.config.health.addr, reason: (e as Error).message });
    await rt.close().catch(() => {});
    return EXIT.failed;
  }
  const shutdown = new Shutdown({
    log: env.log,
    timeoutSeconds: env.config.daemon.shutdownTimeoutSeconds,
    stop: env.stop,
    // The file in flight did not finish in time: closing the connections makes
    // the server roll its transaction back; the pair is looked at again later.
    onTimeout: () => rt.db.close({ timeoutSeconds: 0 }).catch(() => {}),
  });
  try {
    if (await waitForDatabase(env, rt, status, shutdown.signal)) {
      const budget = requestBudget(rt, env.clock);
      await runDaemon({
        pipeline: pipelineContext(rt, {
          signal: shutdown.hard,
          clock: env.clock,
          observer: metricsObserver(served.metrics, () => env.clock.now()),
          limiter: budget,
        }),
        clock: env.clock,
        restrict: o.restrict,
        stop: shutdown.signal,
        budget,
      }, status);
    }
  } finally {
    shutdown.dispose();
    await served.server.shutdown();
    await served.dashboard?.shutdown();
    await rt.close().catch(() => {});
  }
  env.log.info("shutdown.done", {});
  return EXIT.ok;
}

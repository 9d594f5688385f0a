/**
 * `tec-pipeline` without `--once`: the daemon, its health endpoint, and a
 * graceful shutdown (first SIGTERM/SIGINT: start nothing new, let the file in
 * flight commit or roll back within the timeout, exit 0; second: exit at once).
 *
 * @module
 */
import type { Runtime } from "./runtime.ts";
import { metricsObserver } from "./observe.ts";
import { checkReady, statusDocument } from "./status.ts";
import { type Clock, systemClock } from "../daemon/clock.ts";
import { type DaemonStatus, runDaemon } from "../daemon/daemon.ts";
import { HostRateLimiter } from "../daemon/rate_limit.ts";
import { restrictedSources, type Restriction } from "../daemon/restrict.ts";
import { calendarOptions } from "../daemon/sweep.ts";
import { nextDueAt } from "../schedule/calendar.ts";
import { createHealthApp } from "../health/app.ts";
import { type HealthServer, parseHostPort, startHealthServer } from "../health/server.ts";
import { createMetrics } from "../metrics/metrics.ts";

/** A sweep overdue by this much means the loop is stuck: `/healthz` turns 503. */
const STALL_MS = 15 * 60_000;

/** Options for {@linkcode runDaemonCommand}. */
export interface DaemonCommandOptions {
  /** Services. */
  rt: Runtime;
  /** `--params` restrictions. */
  restrict: Restriction;
  /** Program version (for `/status`). */
  version: string;
  /** Clock (tests). */
  clock?: Clock;
  /** Aborting it is a shutdown request (tests); signals are handled as well. */
  stop?: AbortSignal;
  /** Called once the health endpoint listens (tests). */
  onHealth?: (addr: { hostname: string; port: number }) => void;
}

/** Whether the scheduler loop is alive: it has planned a sweep that is not long overdue. */
export function isAlive(status: DaemonStatus, now: Date, startedAt: Date): boolean {
  const due = status.nextSweepAt ?? new Date(startedAt.getTime());
  return now.getTime() - due.getTime() < STALL_MS;
}

/** Run the daemon until a shutdown request; resolves with the exit status. */
export async function runDaemonCommand(o: DaemonCommandOptions): Promise<number> {
  const { rt } = o;
  const { config, log } = rt;
  const clock = o.clock ?? systemClock;
  const startedAt = clock.now();
  const status: DaemonStatus = {};
  const stop = new AbortController();
  const hard = new AbortController();

  const metrics = createMetrics({ version: o.version });
  const app = createHealthApp({
    isAlive: () => isAlive(status, clock.now(), startedAt),
    checkReady: () => checkReady(rt.db, config.database.schema),
    renderMetrics: metrics.render,
    status: () =>
      statusDocument({
        db: rt.db,
        schema: config.database.schema,
        daemon: status,
        version: o.version,
        nextPostings: restrictedSources(config.sources, o.restrict).map(({ source, cycles }) => ({
          source: source.name,
          due_at: nextDueAt(clock.now(), calendarOptions(rt, cycles))?.toISOString(),
        })),
      }),
    redact: (t) => log.redact(t),
  });
  let server: HealthServer;
  try {
    const hp = parseHostPort(config.health.addr, "health.addr");
    server = startHealthServer({
      app,
      hostname: hp.hostname,
      port: hp.port,
      onListen: (addr) => {
        log.info("health.listening", { addr: `${addr.hostname}:${addr.port}` });
        o.onHealth?.(addr);
      },
    });
  } catch (e) {
    log.error("health.failed", { addr: config.health.addr, reason: (e as Error).message });
    return 1;
  }

  let signals = 0;
  const onSignal = (name: string) => () => {
    signals++;
    if (signals > 1) {
      log.warn("shutdown.forced", { signal: name });
      Deno.exit(130);
    }
    log.info("shutdown.start", { signal: name, timeout_s: config.daemon.shutdownTimeoutSeconds });
    stop.abort(new Error(`shutdown (${name})`));
  };
  const handlers = (["SIGTERM", "SIGINT"] as const).map((sig) => {
    const h = onSignal(sig);
    Deno.addSignalListener(sig, h);
    return [sig, h] as const;
  });
  o.stop?.addEventListener("abort", onSignal("stop"), { once: true });

  let overdue: ReturnType<typeof setTimeout> | undefined;
  stop.signal.addEventListener("abort", () => {
    overdue = setTimeout(() => {
      // The file in flight did not finish in time: cancel its fetch and close
      // the connections; the server rolls its transaction back and the pair is
      // looked at again on the next start.
      log.warn("shutdown.timeout", { timeout_s: config.daemon.shutdownTimeoutSeconds });
      hard.abort(new Error("shutdown timeout"));
      rt.db.close({ timeoutSeconds: 0 }).catch(() => {});
    }, config.daemon.shutdownTimeoutSeconds * 1000);
  }, { once: true });

  const limiter = new HostRateLimiter(config.daemon.requestsPerMinute, clock);
  try {
    await runDaemon({
      pipeline: {
        ...rt,
        signal: hard.signal,
        observer: metricsObserver(metrics.pipeline, () => clock.now()),
        beforeRequest: (url, signal) => limiter.acquire(url, signal),
        sleep: (ms, signal) => clock.sleep(ms, signal),
      },
      clock,
      restrict: o.restrict,
      stop: stop.signal,
    }, status);
  } finally {
    clearTimeout(overdue);
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
    await server.shutdown();
  }
  log.info("shutdown.done", {});
  return 0;
}

/**
 * `tec-pipeline serve [--addr 127.0.0.1:8080]`: the capacity dashboard
 * (`src/web/`) on its own, over the configured database (either engine),
 * until SIGINT/SIGTERM. Read-only: every page reads in a read-only
 * transaction, and nothing is fetched or loaded. Bound to loopback unless
 * `--addr` says otherwise.
 *
 * @module
 */
import { parseHostPort } from "../../config/host_port.ts";
import { InvalidRequestError } from "../../domain/errors.ts";
import { type FetchApp, type HealthServer, startHealthServer } from "../../health/server.ts";
import { HEALTH_PATHS } from "../../health/app.ts";
import { createWebApp } from "../../web/app.ts";
import { webDeps } from "../../web/deps.ts";
import { Shutdown } from "../shutdown.ts";
import { EXIT } from "../exit.ts";
import { type CommandEnv, withDatabase } from "./context.ts";
import type { Runtime } from "../runtime.ts";

/** Where `serve` listens by default: loopback, the health endpoint's usual port. */
export const DEFAULT_DASHBOARD_ADDR = "127.0.0.1:8080";

/**
 * `--addr`, validated.
 *
 * @throws {InvalidRequestError} naming `--addr` and what was expected
 */
export function parseDashboardAddr(text: string | undefined): { hostname: string; port: number } {
  try {
    return parseHostPort(text ?? DEFAULT_DASHBOARD_ADDR, "--addr");
  } catch (e) {
    throw new InvalidRequestError(`serve ${(e as Error).message}`);
  }
}

/** The dashboard app of a runtime, its failures logged (redacted, never shown on a page). */
export function dashboardApp(rt: Pick<Runtime, "config" | "db" | "log">, now: () => Date) {
  return createWebApp(webDeps(rt.config, rt.db, now), {
    onError: (e, path) => rt.log.error("web.failed", { path, reason: rt.log.redact(e.message) }),
  });
}

/**
 * The health app and the dashboard on one address: the health paths go to
 * the health app, everything else to the dashboard.
 */
export function besideHealth(health: FetchApp, web: FetchApp): FetchApp {
  return {
    fetch: (request) =>
      HEALTH_PATHS.includes(new URL(request.url).pathname)
        ? health.fetch(request)
        : web.fetch(request),
  };
}

/** The dashboard's URL for a log line. */
export function dashboardUrl(addr: { hostname: string; port: number }): string {
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  return `http://${host}:${addr.port}/`;
}

/** Serve the dashboard until a stop request; 0 when stopped, 1 when it cannot listen. */
export function runServe(
  env: CommandEnv,
  addr: { hostname: string; port: number },
): Promise<number> {
  return withDatabase(env, async (rt) => {
    const shutdown = new Shutdown({ log: env.log, timeoutSeconds: 5, stop: env.stop });
    let server: HealthServer;
    try {
      server = startHealthServer({
        app: dashboardApp(rt, () => env.clock.now()),
        hostname: addr.hostname,
        port: addr.port,
        onListen: (a) => {
          env.log.info("web.listening", { addr: `${a.hostname}:${a.port}`, url: dashboardUrl(a) });
          env.onHealth?.(a);
        },
      });
    } catch (e) {
      shutdown.dispose();
      env.log.error("web.failed", {
        addr: `${addr.hostname}:${addr.port}`,
        reason: (e as Error).message,
      });
      return EXIT.failed;
    }
    try {
      await shutdown.requested();
    } finally {
      shutdown.dispose();
      await server.shutdown();
    }
    env.log.info("web.stopped", {});
    return EXIT.ok;
  });
}

/**
 * HTTP surface for probes and scraping: `/healthz`, `/readyz`, `/metrics`,
 * `/status`. Everything it knows comes through {@link HealthDeps}, so it has
 * no database dependency and is testable with `app.request()`.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context, ErrorHandler, Handler, MiddlewareHandler, NotFoundHandler } from "hono";

/** Outcome of a readiness check. */
export type ReadyResult = { ok: true } | { ok: false; reason: string };

/** What the health app needs from the rest of the program. */
export interface HealthDeps {
  /** Liveness: false once the process is wedged and should be restarted. */
  isAlive(): boolean;
  /** Readiness: whether dependencies (e.g. the database) are usable now. */
  checkReady(): Promise<ReadyResult>;
  /** Prometheus text exposition (format 0.0.4) of the current metrics. */
  renderMetrics(): Promise<string>;
  /** Arbitrary JSON-serialisable status document for operators. */
  status(): Promise<unknown>;
  /**
   * Extra scrubbing applied, after {@link defaultRedact}, to every reason,
   * error message, status string and the metrics text before it is sent.
   */
  redact?(text: string): string;
}

/** Content type of the Prometheus text exposition format 0.0.4. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const ALLOWED_METHODS = "GET, HEAD";

/** The paths this app answers (anything else is 404 here; the daemon sends the rest elsewhere). */
export const HEALTH_PATHS: readonly string[] = Object.freeze([
  "/healthz",
  "/readyz",
  "/metrics",
  "/status",
]);

/**
 * Baseline scrubbing that is always applied: passwords in URL userinfo
 * (`postgres://user:secret@host`) and `password=`/`token=`-style pairs, the
 * shapes in which connection errors most often leak credentials.
 */
export function defaultRedact(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi, "$1:***@")
    .replace(
      /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)=("[^"]*"|'[^']*'|[^\s&;,]+)/gi,
      "$1=***",
    );
}

/**
 * Combines {@link defaultRedact} with an optional extra hook. A throwing hook
 * yields a placeholder rather than the unredacted text.
 */
export function makeRedactor(extra?: (text: string) => string): (text: string) => string {
  return (text) => {
    try {
      const base = defaultRedact(text);
      return extra ? extra(base) : base;
    } catch {
      return "[redaction failed]";
    }
  };
}

/** Message of a thrown value, without its stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Middleware marking every response uncacheable: probe answers must be live. */
export function noStore(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set("cache-control", "no-store");
  };
}

/** Error handler answering 500 JSON with a redacted message and never a stack. */
export function jsonErrorHandler(redact: (text: string) => string): ErrorHandler {
  return (error, c) => c.json({ status: "error", error: redact(errorMessage(error)) }, 500);
}

/** 404 JSON for unknown paths. */
export const notFound: NotFoundHandler = (c) =>
  c.json({ status: "error", error: "not found" }, 404);

/** 405 JSON for known paths hit with a method other than GET/HEAD. */
export const methodNotAllowed: Handler = (c) =>
  c.json({ status: "error", error: "method not allowed" }, 405, { allow: ALLOWED_METHODS });

/** Builds the health app; see the module doc for the routes. */
export function createHealthApp(deps: HealthDeps): Hono {
  const redact = makeRedactor(deps.redact?.bind(deps));
  const unavailable = (c: Context, reason: string) =>
    c.json({ status: "unavailable", reason: redact(reason) }, 503);

  const routes: Record<(typeof HEALTH_PATHS)[number], Handler> = {
    "/healthz": (c) => {
      let alive: boolean;
      try {
        alive = deps.isAlive();
      } catch (error) {
        return unavailable(c, errorMessage(error));
      }
      return alive ? c.json({ status: "ok" }) : unavailable(c, "not alive");
    },
    "/readyz": async (c) => {
      let result: ReadyResult;
      try {
        result = await deps.checkReady();
      } catch (error) {
        // A failing check means "not ready", not a server fault: 503, not 500.
        return unavailable(c, errorMessage(error));
      }
      return result.ok ? c.json({ status: "ok" }) : unavailable(c, result.reason);
    },
    "/metrics": async (c) =>
      c.body(redact(await deps.renderMetrics()), 200, { "content-type": METRICS_CONTENT_TYPE }),
    "/status": async (c) => {
      const value = await deps.status();
      // Redact string leaves rather than the serialised text so the JSON stays valid.
      const json = JSON.stringify(value, (_key, v) => typeof v === "string" ? redact(v) : v) ??
        "null";
      return c.body(json, 200, { "content-type": "application/json; charset=utf-8" });
    },
  };

  const app = new Hono();
  app.use(noStore());
  for (const [path, handler] of Object.entries(routes)) {
    app.get(path, handler);
    app.all(path, methodNotAllowed);
  }
  app.notFound(notFound);
  app.onError(jsonErrorHandler(redact));
  return app;
}

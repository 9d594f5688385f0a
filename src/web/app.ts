/**
 * The capacity dashboard: a read-only Hono app of server-rendered pages.
 *
 * Routes (GET and HEAD only; any other method on them is 405, anything else
 * 404):
 * - `/`: the overview per source (`overview.ts`);
 * - `/capacity`, `/capacity.csv`: one (asset, gas day, cycle) (`capacity.ts`);
 * - `/location`, `/location.csv`: one location over gas days (`location.ts`);
 * - `/assets/*`: the embedded style sheet and chart scripts (`assets.ts`).
 *
 * A bad URL parameter is a 400 page naming it; a failure inside is a 500 page
 * that says nothing of it (the log has it). Every page is sent with a
 * content security policy that allows only the app's own scripts and styles,
 * so even a value that escaped escaping could not run.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context, Handler } from "hono";
import { ASSETS } from "./assets.ts";
import { errorPage, type Html } from "./html.ts";
import { ParamError } from "./params.ts";
import type { WebDeps } from "./deps.ts";
import { overviewPage } from "./pages/overview.ts";
import { capacityPage } from "./pages/capacity.ts";
import { locationPage } from "./pages/location.ts";
import { capacityCsv, type CsvDownload, locationCsv } from "./pages/csv.ts";

/** The dashboard's paths besides `/assets/*` (the daemon routes them to this app). */
export const WEB_PATHS: readonly string[] = Object.freeze([
  "/",
  "/capacity",
  "/capacity.csv",
  "/location",
  "/location.csv",
]);

/** Content-Security-Policy of every answer: the app's own files only, no inline code. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Options for {@linkcode createWebApp}. */
export interface WebAppOptions {
  /** Told of every failure answered with 500 (to log it). */
  onError?: (error: Error, path: string) => void;
}

function headers(c: Context): void {
  c.header("content-security-policy", CSP);
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "no-referrer");
  c.header("x-frame-options", "DENY");
}

function htmlPage(deps: WebDeps, load: (deps: WebDeps, url: URL) => Promise<Html>): Handler {
  return async (c) =>
    c.html(await load(deps, new URL(c.req.url)), 200, { "cache-control": "no-store" });
}

function csvFile(deps: WebDeps, load: (deps: WebDeps, url: URL) => Promise<CsvDownload>): Handler {
  return async (c) => {
    const d = await load(deps, new URL(c.req.url));
    return c.body(d.body, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${d.filename}"`,
      "cache-control": "no-store",
    });
  };
}

/** The 405 answer of a known path asked with another method: the dashboard writes nothing. */
const notAllowed: Handler = (c) =>
  c.html(
    errorPage({
      status: 405,
      title: "Method not allowed",
      message: `${c.req.method} is not allowed: the dashboard is read-only (GET and HEAD only).`,
    }),
    405,
    { allow: "GET, HEAD" },
  );

/** Build the dashboard's app on `deps`. */
export function createWebApp(deps: WebDeps, o: WebAppOptions = {}): Hono {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    headers(c);
  });
  const routes: Record<string, Handler> = {
    "/": htmlPage(deps, overviewPage),
    "/capacity": htmlPage(deps, capacityPage),
    "/capacity.csv": csvFile(deps, capacityCsv),
    "/location": htmlPage(deps, locationPage),
    "/location.csv": csvFile(deps, locationCsv),
    "/assets/:name": (c) => {
      const name = c.req.param("name") ?? "";
      const a = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
      if (!a) return c.notFound();
      return c.body(a.body, 200, { "content-type": a.type, "cache-control": "max-age=3600" });
    },
  };
  for (const [path, handler] of Object.entries(routes)) {
    app.get(path, handler);
    app.all(path, notAllowed);
  }
  app.notFound((c) =>
    c.html(errorPage({ status: 404, title: "Not found", message: "No such page." }), 404)
  );
  app.onError((e, c) => {
    if (e instanceof ParamError) {
      return c.html(
        errorPage({ status: 400, title: "Bad request", message: e.message, param: e.param }),
        400,
      );
    }
    o.onError?.(e, c.req.path);
    return c.html(
      errorPage({
        status: 500,
        title: "Something went wrong",
        message: "The page could not be produced; the program's log says why.",
      }),
      500,
    );
  });
  return app;
}

/**
 * Fault 2: the database port answers, but not as PostgreSQL (a web server:
 * `HTTP/1.1 400 Bad Request`, then it closes). Expected: `--once` fails
 * within `database.connect_timeout_seconds` with a line saying what
 * answered; the daemon says so in its `db.waiting` lines and keeps its
 * health endpoint up.
 *
 * @module
 */
import { httpBadRequestService } from "../../support/tcp_proxy.ts";
import type { FaultContext, Program, Scenario } from "../harness.ts";
import { DAEMON_ARGS, daemonConfig, lastWords, onceArgs, stopDaemon } from "./common.ts";

const CONNECT_TIMEOUT_S = 3;
/** Deno's start-up and the program's own work, on top of the connect timeout. */
const MARGIN_S = 5;
/** A line that says what answered on the port. */
const SAYS_WHAT = /HTTP|not (a |speak(ing)? )?PostgreSQL|400|Bad Request|protocol/i;

function substitute(ctx: FaultContext) {
  const svc = httpBadRequestService();
  ctx.proxy.substitute(svc.handler);
  ctx.fault();
  return svc;
}

function saysWhatAnswered(p: Program, event: string): string | undefined {
  const l = p.log.lines.find((x) => x.event === event);
  const text = l ? String(l.reason ?? l.error ?? "") : p.log.other.join(" ");
  return SAYS_WHAT.test(text) ? undefined : (text || "(nothing)");
}

const once: Scenario = {
  name: "not-postgres/once",
  what: `an HTTP server on the database port: --once exits 1 within connect_timeout_seconds ` +
    `(${CONNECT_TIMEOUT_S} s) + ${MARGIN_S} s, naming what answered`,
  async run(ctx) {
    const svc = substitute(ctx);
    const p = await ctx.spawn(onceArgs(ctx, "0"), {
      config: { database: { connect_timeout_seconds: CONNECT_TIMEOUT_S } },
    });
    const limit = (CONNECT_TIMEOUT_S + MARGIN_S) * 1000;
    ctx.step = "--once to give up on the fake database";
    const exit = await p.exitWithin(limit + 5_000);
    if (!exit) {
      p.kill("SIGKILL");
      const s = (limit + 5_000) / 1000;
      ctx.failures.push(
        `--once still running ${s} s after start: ${svc.seen()} connections to the fake ` +
          `service (${Math.round(svc.seen() / s)}/s)${lastWords(p)}`,
      );
      return;
    }
    ctx.notes.push(
      `exit ${exit.code} after ${exit.seconds.toFixed(1)} s, ${svc.seen()} connections`,
    );
    ctx.expect(exit.code === 1, `--once exit ${exit.code}, expected 1${lastWords(p)}`);
    ctx.expect(
      exit.seconds <= limit / 1000,
      `--once took ${exit.seconds.toFixed(1)} s, more than ${limit / 1000} s`,
    );
    const vague = saysWhatAnswered(p, "db.unavailable");
    ctx.expect(!vague, `the failure does not say what answered on the port: ${vague}`);
  },
};

const daemon: Scenario = {
  name: "not-postgres/daemon",
  what: "an HTTP server on the database port: the daemon's db.waiting line names what " +
    "answered within connect_timeout_seconds + margin; /healthz 200, /readyz 503",
  async run(ctx) {
    const svc = substitute(ctx);
    const p = await ctx.spawn(DAEMON_ARGS, {
      config: { ...daemonConfig(), database: { connect_timeout_seconds: CONNECT_TIMEOUT_S } },
    });
    const base = await p.healthUrl();
    const waiting = await ctx.waitFor(
      "a db.waiting line",
      () => p.log.lines.find((l) => l.event === "db.waiting"),
      (CONNECT_TIMEOUT_S + MARGIN_S) * 1000,
    ).catch(() => undefined);
    if (
      ctx.expect(
        waiting !== undefined,
        `no db.waiting line within ${CONNECT_TIMEOUT_S + MARGIN_S} s: ${svc.seen()} ` +
          `connections to the fake service${lastWords(p)}`,
      )
    ) {
      const vague = saysWhatAnswered(p, "db.waiting");
      ctx.expect(!vague, `db.waiting does not say what answered on the port: ${vague}`);
    }
    const live = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(3000) })
      .then(async (r) => (await r.body?.cancel(), r.status), (e) => String(e));
    ctx.expect(live === 200, `/healthz answered ${live}, expected 200`);
    const ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(3000) })
      .then(async (r) => (await r.body?.cancel(), r.status), (e) => String(e));
    ctx.expect(ready === 503, `/readyz answered ${ready}, expected 503`);
    await stopDaemon(ctx, p);
  },
};

/** The scenarios of fault 2. */
export const NOT_POSTGRES: Scenario[] = [once, daemon];

/**
 * The typed configuration and its validation from an untyped document.
 *
 * The file is a list of sources so that a second pipeline (FGT, FEP, TGR: the
 * same report on the same software) is added by configuration alone.
 *
 * @module
 */
import { type CycleId, CYCLES, findCycle } from "../domain/cycles.ts";
import { timeZoneProblem } from "../domain/gas_day.ts";
import { hostPortProblem } from "./host_port.ts";
import { Secret } from "./secret.ts";
import { cronProblem } from "../schedule/cron.ts";
import {
  DEFAULT_POSTING_TIMES,
  type PostingTime,
  validateCalendarOptions,
} from "../schedule/calendar.ts";
import { ConfigError, type Problem, Reader, show } from "./validate.ts";

import { LOG_LEVELS, type LogLevel } from "../log/levels.ts";
export { LOG_LEVELS, type LogLevel };

import { findReport, reportIds } from "../reports/all.ts";
import { aliasProblems } from "../reports/header_aliases.ts";
import { CYCLE_ENCODINGS, type CycleEncoding } from "../reports/report.ts";
import { findPreset, PIPELINE_PRESETS, type PipelinePreset } from "./presets.ts";
import { nearest } from "./nearest.ts";

/** Where the data lives: a PostgreSQL server, or the embedded one (PGlite) under `data_dir`. */
export type DatabaseEngine = "server" | "embedded";

/** The ways `database.engine` may be given: `auto` picks from the connection keys. */
export const ENGINE_CHOICES = ["auto", "server", "embedded"] as const;

/** Keys of `database` that name a server: giving any of them (file or environment) picks it. */
export const SERVER_KEYS: readonly string[] = ["url", "host", "port", "name", "user", "password"];

/** Connection settings for PostgreSQL. */
export interface DatabaseConfig {
  /**
   * The engine. `database.engine: auto` (the default) is `server` when any
   * of {@linkcode SERVER_KEYS} is set, `embedded` otherwise.
   * @default {"server"} when built by hand (tests); see `readDatabase`.
   */
  engine?: DatabaseEngine;
  /** Directory of the embedded store (`database.embedded_dir`; default `<data_dir>/pg`). */
  embeddedDir?: string;
  /** A full connection URL; when set it wins over the separate fields. */
  url?: Secret;
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
  /** Database name. */
  name: string;
  /** Role name. */
  user: string;
  /** Password, if any. */
  password?: Secret;
  /** Schema holding every table of the program. */
  schema: string;
  /** Connection pool size. */
  maxConnections: number;
  /** Seconds to wait for a connection. */
  connectTimeoutSeconds: number;
  /** Seconds a statement may wait for a lock before it fails (`lock_timeout`; 0 = no limit). */
  lockTimeoutSeconds: number;
  /** Seconds a statement may run before the server cancels it (`statement_timeout`; 0 = no limit). */
  statementTimeoutSeconds: number;
}

/** HTTP client behaviour towards the source. */
export interface HttpConfig {
  /** Total time for one attempt, headers and body included. */
  timeoutSeconds: number;
  /** Attempts per request, the first included. */
  retryAttempts: number;
  /** First backoff ceiling; doubles per attempt, with full jitter. */
  backoffBaseMs: number;
  /** Largest backoff (and largest honoured `Retry-After`). */
  backoffMaxMs: number;
  /** Bodies larger than this are refused. */
  maxBodyBytes: number;
  /** `User-Agent` header. */
  userAgent: string;
  /**
   * Send `If-None-Match` / `If-Modified-Since` when the site gave validators
   * with the pair's current file (`http.conditional_requests`).
   * @default {true}
   */
  conditionalRequests?: boolean;
}

/** One report of one pipeline to poll and load. */
export interface SourceConfig {
  /**
   * The known pipeline (`sources[].pipeline`, e.g. `PEPL`) whose preset gave
   * the defaults of the other keys (see `presets.ts`); absent without one.
   */
  pipeline?: string;
  /** Unique name, used in logs and the ledger. */
  name: string;
  /** Asset (pipeline) code sent as `asset=`, e.g. `TW`. */
  asset: string;
  /** Scheme, host and optional port of the ipost site. */
  baseUrl: string;
  /** Which report to fetch. */
  report: string;
  /** `searchType=` request parameter (`ALL` or `NOM`). */
  searchType: string;
  /** Cycles to poll by default. */
  cycles: CycleId[];
  /** Further request parameters, sent as given. */
  params: Record<string, string>;
  /**
   * `cycle=<code>` or `cycleDesc=<name>` (`sources[].cycle_encoding`);
   * absent: the report's own.
   */
  cycleEncoding?: CycleEncoding;
  /**
   * When this source's postings are expected, per cycle, where they differ
   * from the NAESB times (`sources[].posting_times`); the daemon probes from
   * then on.
   */
  postingTimes?: Partial<Record<CycleId, PostingTime>>;
  /**
   * Whose platform the site is, for the request budget
   * (`sources[].operator`); absent: the host's registered domain
   * (`energytransfer.com`), see `daemon/operators.ts`.
   */
  operator?: string;
  /**
   * Headers this source's site spells its own way, to the report's header
   * each means (`sources[].header_aliases`); absent: none.
   */
  headerAliases?: Record<string, string>;
  /** Whether the source is polled at all. */
  enabled: boolean;
}

/** Daemon scheduling (see the daemon issue). */
export interface DaemonConfig {
  /** Cron expression driving the sweep. */
  schedule: string;
  /** Gas days of history kept in the polling window. */
  historyDays: number;
  /** Minutes after an expected posting time before a cycle is due (0: probe from the posting time). */
  graceMinutes: number;
  /** Re-probe delay of a pair not posted yet during its first {@linkcode fastProbeMinutes} after its posting time. */
  fastProbeSeconds: number;
  /** How long after a posting time the fast re-probes last (0: none; the back-off starts at once). */
  fastProbeMinutes: number;
  /** First re-probe delay for a cycle that is not posted yet. */
  probeInitialSeconds: number;
  /** Largest re-probe delay. */
  probeMaxSeconds: number;
  /** How often a loaded cycle is re-checked for revisions while in the window. */
  recheckMinutes: number;
  /** Files fetched and loaded at once. */
  concurrency: number;
  /** Request budget per host per minute. */
  requestsPerMinute: number;
  /** Seconds granted to the file in flight at shutdown. */
  shutdownTimeoutSeconds: number;
  /** Seconds a claim on a pair lasts unless its live holder renews it (every third of it). */
  claimLeaseSeconds: number;
}

/** The whole configuration. */
export interface Config {
  /** Database connection. */
  database: DatabaseConfig;
  /** Directory holding the raw archive. */
  dataDir: string;
  /** Logging. */
  log: { level: LogLevel; format: "auto" | "json" | "text" };
  /** IANA zone of the gas day clock. */
  timezone: string;
  /** HTTP client. */
  http: HttpConfig;
  /** Sources, in order. */
  sources: SourceConfig[];
  /** Daemon scheduling. */
  daemon: DaemonConfig;
  /** Health endpoint. */
  health: { addr: string };
  /** The capacity dashboard (`tec-pipeline serve`, and the daemon). */
  dashboard: DashboardConfig;
}

/** The capacity dashboard's settings. */
export interface DashboardConfig {
  /**
   * Where the daemon serves the dashboard: `health` (the default) mounts it on
   * the health address beside `/healthz`; `off` serves none; a `host:port`
   * serves it there. `tec-pipeline serve --addr` does not read it.
   */
  addr: string;
  /** Locations whose OAC is under this share of OPC are highlighted (0..1; default 0.05). */
  lowOacShare: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const ASSET = /^[A-Z0-9]{1,10}$/;
const URL_BASE = /^https?:\/\/[^/?#\s]+\/?$/;

/** Default cycles polled for a source: every one. */
export const ALL_CYCLE_IDS: readonly CycleId[] = CYCLES.map((c) => c.id);

/**
 * `database`. The engine is chosen here, once: `auto` is a server when a
 * connection key is given (in the file or the environment), the embedded
 * store under `data_dir` otherwise, so a first run needs no server.
 */
function readDatabase(top: Reader, dataDir: string): DatabaseConfig {
  const db = top.child("database");
  const given = SERVER_KEYS.filter((k) => db.has(k));
  const engineChoice = db.oneOf("engine", "auto", ENGINE_CHOICES);
  const engine: DatabaseEngine = engineChoice === "auto"
    ? (given.length > 0 ? "server" : "embedded")
    : engineChoice;
  const embeddedDir = db.string("embedded_dir", `${dataDir.replace(/\/+$/, "")}/pg`);
  if (engineChoice === "embedded" && given.length > 0) {
    db.fail("engine", `embedded takes no server settings, got ${given.join(", ")}`);
  }
  const url = db.optionalString("url");
  const password = db.optionalString("password");
  const database: DatabaseConfig = {
    engine,
    embeddedDir,
    url: url === undefined ? undefined : new Secret(url),
    host: db.string("host", "127.0.0.1"),
    port: db.int("port", 5432, 1, 65535),
    name: db.string("name", "postgres"),
    user: db.string("user", "postgres"),
    password: password === undefined ? undefined : new Secret(password),
    schema: db.string("schema", "staging", {
      pattern: IDENT,
      expected: "a lower-case SQL identifier (letters, digits, _; at most 63)",
    }),
    maxConnections: db.int("max_connections", 4, 1, 100),
    connectTimeoutSeconds: db.int("connect_timeout_seconds", 10, 1, 600),
    lockTimeoutSeconds: db.int("lock_timeout_seconds", 60, 0, 86_400),
    statementTimeoutSeconds: db.int("statement_timeout_seconds", 900, 0, 86_400),
  };
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) {
    db.fail("url", "expected a postgres:// or postgresql:// URL");
  }
  db.rejectUnknown();
  return database;
}

function readLog(top: Reader): Config["log"] {
  const log = top.child("log");
  const logCfg = {
    level: log.oneOf("level", "info", LOG_LEVELS),
    format: log.oneOf("format", "auto", ["auto", "json", "text"] as const),
  };
  log.rejectUnknown();
  return logCfg;
}

/** The zone, or `undefined` (recorded as a problem) when it is not an IANA name. */
function readTimezone(top: Reader): string | undefined {
  const timezone = top.string("timezone", "America/Chicago");
  const problem = timeZoneProblem(timezone);
  if (problem) top.fail("timezone", problem);
  return problem ? undefined : timezone;
}

function readHttp(top: Reader): HttpConfig {
  const h = top.child("http");
  const http: HttpConfig = {
    timeoutSeconds: h.number("timeout_seconds", 30, 0.05, 3600),
    retryAttempts: h.int("retry_attempts", 3, 1, 20),
    backoffBaseMs: h.int("backoff_base_ms", 500, 0, 600_000),
    backoffMaxMs: h.int("backoff_max_ms", 30_000, 0, 3_600_000),
    maxBodyBytes: h.int("max_body_bytes", 64 * 1024 * 1024, 1024, 2 ** 40),
    userAgent: h.string("user_agent", "tec-pipeline"),
    conditionalRequests: h.bool("conditional_requests", true),
  };
  h.rejectUnknown();
  return http;
}

function readCycles(s: Reader): CycleId[] {
  const cycles: CycleId[] = [];
  (s.list("cycles") ?? ALL_CYCLE_IDS).forEach((c, j) => {
    const found = typeof c === "string" || typeof c === "number" ? findCycle(String(c)) : undefined;
    if (found) cycles.push(found.id);
    else {
      s.fail(
        `cycles[${j}]`,
        `expected a cycle (${CYCLES.map((x) => x.id).join(", ")}), got ${show(c)}`,
      );
    }
  });
  return cycles;
}

const POSTING_TIME = /^(?:([+-]\d)d\s+)?([01]?\d|2[0-3]):([0-5]\d)$/;

/**
 * `posting_times`: cycle id to a local time, `"17:30"` (on the cycle's usual
 * day: the day before for Timely and Evening, the day after for Final) or
 * `"-1d 17:30"` / `"+1d 08:00"` (days from the gas day's date).
 */
function readPostingTimes(s: Reader): Partial<Record<CycleId, PostingTime>> | undefined {
  if (s.raw("posting_times") === undefined) return undefined;
  const out: Partial<Record<CycleId, PostingTime>> = {};
  for (const [k, v] of Object.entries(s.stringMap("posting_times"))) {
    const cycle = findCycle(k);
    const m = POSTING_TIME.exec(v.trim());
    if (!cycle) {
      s.fail(`posting_times.${k}`, `not a cycle (${CYCLES.map((x) => x.id).join(", ")})`);
    } else if (out[cycle.id]) {
      s.fail(`posting_times.${k}`, `cycle ${cycle.id} is given twice`);
    } else if (!m) {
      s.fail(
        `posting_times.${k}`,
        `expected a local time HH:MM, optionally after a day offset (-1d 17:30), got ${show(v)}`,
      );
    } else {
      const dayOffset = m[1] === undefined
        ? DEFAULT_POSTING_TIMES[cycle.id].dayOffset
        : Number(m[1]);
      out[cycle.id] = { dayOffset, hour: Number(m[2]), minute: Number(m[3]) };
    }
  }
  return out;
}

/**
 * `header_aliases`: a header as this source publishes it to the report's
 * header it means, each checked against the report's layout.
 */
function readHeaderAliases(s: Reader, report: string): Record<string, string> | undefined {
  if (s.raw("header_aliases") === undefined) return undefined;
  const aliases = s.stringMap("header_aliases");
  const layout = findReport(report)?.layout;
  if (layout === undefined) return aliases;
  for (const p of aliasProblems(layout, aliases)) s.fail(`header_aliases.${p.alias}`, p.message);
  return aliases;
}

/** `pipeline`: the preset it names, if any (a name it does not know is a problem). */
function readPreset(s: Reader): PipelinePreset | undefined {
  const name = s.optionalString("pipeline");
  if (name === undefined) return undefined;
  const preset = findPreset(name);
  if (!preset) {
    const names = PIPELINE_PRESETS.map((p) => p.pipeline);
    const near = nearest(name.toUpperCase(), names);
    s.fail(
      "pipeline",
      `unknown pipeline ${show(name)}${near ? `; did you mean ${near}?` : ""} ` +
        `(known: ${names.join(", ")}; or leave it out and give asset, base_url and report)`,
    );
  }
  return preset;
}

function readSource(s: Reader, i: number, before: readonly SourceConfig[]): SourceConfig {
  const preset = readPreset(s);
  const cycles = readCycles(s);
  const src: SourceConfig = {
    name: s.string("name", preset?.pipeline.toLowerCase() ?? `source${i + 1}`, {
      pattern: /^[A-Za-z0-9_.-]{1,64}$/,
    }),
    asset: s.string("asset", preset?.asset ?? "", {
      pattern: ASSET,
      expected: "an upper-case asset code such as TW",
    }),
    baseUrl: s.string("base_url", preset?.baseUrl ?? "", {
      pattern: URL_BASE,
      expected: "an http(s) URL with host and no path, e.g. https://twtransfer.energytransfer.com",
    }).replace(/\/$/, ""),
    report: s.oneOf("report", preset?.report ?? "operationally-available", reportIds()),
    searchType: s.string("search_type", "ALL", {
      pattern: /^[A-Z]{1,10}$/,
      expected: "ALL or NOM",
    }),
    cycles,
    // Given, params replace the preset's (so one can be left out); absent, the preset's apply.
    params: s.raw("params") === undefined ? { ...preset?.params } : s.stringMap("params"),
    enabled: s.bool("enabled", true),
  };
  if (preset) src.pipeline = preset.pipeline;
  const operator = s.optionalString("operator");
  if (operator !== undefined) src.operator = operator;
  const postingTimes = readPostingTimes(s);
  if (postingTimes !== undefined) src.postingTimes = postingTimes;
  const encoding = s.raw("cycle_encoding") === undefined
    ? preset?.cycleEncoding
    : s.oneOf("cycle_encoding", "code", CYCLE_ENCODINGS);
  if (encoding !== undefined) src.cycleEncoding = encoding;
  const aliases = readHeaderAliases(s, src.report);
  if (aliases !== undefined) src.headerAliases = aliases;
  checkSource(s, src, preset, before);
  s.rejectUnknown();
  return src;
}

/** What one source's keys cannot say alone: required keys, reserved params, a repeated name. */
function checkSource(
  s: Reader,
  src: SourceConfig,
  preset: PipelinePreset | undefined,
  before: readonly SourceConfig[],
): void {
  const hint = "; or name a known pipeline, e.g. pipeline: TW";
  // An unknown pipeline is reported once, under its own key, not again as missing keys.
  const named = preset !== undefined || s.raw("pipeline") !== undefined;
  if (!named && s.raw("asset") === undefined) {
    s.fail("asset", `required: the pipeline's asset code, e.g. TW${hint}`);
  }
  for (const k of Object.keys(src.params)) {
    if (findReport(src.report)?.reservedParams.includes(k)) {
      s.fail(`params.${k}`, "set by the program for each request; remove it from params");
    }
  }
  if (!named && s.raw("base_url") === undefined) {
    s.fail(
      "base_url",
      `required: the ipost site, e.g. https://twtransfer.energytransfer.com${hint}`,
    );
  }
  if (before.some((o) => o.name === src.name)) {
    s.fail("name", `duplicate source name ${show(src.name)}`);
  }
}

function readSources(top: Reader, problems: Problem[]): SourceConfig[] {
  const sources: SourceConfig[] = [];
  const list = top.list("sources");
  if (!list || list.length === 0) top.fail("sources", "expected a list with at least one source");
  (list ?? []).forEach((item, i) => {
    sources.push(readSource(new Reader(item, `sources[${i}]`, problems), i, sources));
  });
  return sources;
}

/** Daemon settings; `zone` is `undefined` when the timezone is already reported bad. */
function readDaemon(top: Reader, zone: string | undefined, sources: SourceConfig[]): DaemonConfig {
  const d = top.child("daemon");
  const daemon: DaemonConfig = {
    schedule: d.string("schedule", "*/5 * * * *"),
    historyDays: d.int("history_days", 3, 0, 366),
    graceMinutes: d.int("grace_minutes", 0, 0, 24 * 60),
    fastProbeSeconds: d.int("fast_probe_seconds", 60, 1, 3600),
    fastProbeMinutes: d.int("fast_probe_minutes", 30, 0, 24 * 60),
    probeInitialSeconds: d.int("probe_initial_seconds", 60, 1, 86_400),
    probeMaxSeconds: d.int("probe_max_seconds", 900, 1, 86_400),
    recheckMinutes: d.int("recheck_minutes", 60, 1, 7 * 24 * 60),
    concurrency: d.int("concurrency", 2, 1, 32),
    requestsPerMinute: d.int("requests_per_minute", 30, 1, 6000),
    shutdownTimeoutSeconds: d.int("shutdown_timeout_seconds", 30, 1, 3600),
    claimLeaseSeconds: d.int("claim_lease_seconds", 90, 3, 3600),
  };
  // With a bad zone the schedule is still checked for form, in UTC.
  const cron = cronProblem(daemon.schedule, zone ?? "UTC");
  if (cron) d.fail("schedule", cron);
  if (daemon.probeMaxSeconds < daemon.probeInitialSeconds) {
    d.fail(
      "probe_max_seconds",
      `expected at least probe_initial_seconds (${daemon.probeInitialSeconds})`,
    );
  }
  d.rejectUnknown();
  if (zone !== undefined) {
    // A polled cycle the window can never reach (Final with history_days 0)
    // would fail every sweep; say so now, naming the source.
    const cal = { zone, historyDays: daemon.historyDays, graceMinutes: daemon.graceMinutes };
    sources.forEach((src, i) => {
      const opts = { ...cal, cycles: src.cycles, postingTimes: src.postingTimes };
      for (const p of validateCalendarOptions(opts)) {
        // A source's own posting time is reported under its key, the window under history_days.
        const own = /^postingTimes\.(\w+): (.*)$/.exec(p);
        if (own) top.fail(`sources[${i}].posting_times.${own[1]}`, own[2]);
        else d.fail("history_days", `${p} (source ${src.name})`);
      }
    });
  }
  return daemon;
}

function readHealth(top: Reader): Config["health"] {
  const hc = top.child("health");
  const addr = hc.string("addr", "127.0.0.1:8080");
  // Checked with the parser that binds it, so `healthcheck` and the daemon
  // never meet an address the configuration let through.
  const problem = hostPortProblem(addr);
  if (problem) hc.fail("addr", problem);
  hc.rejectUnknown();
  return { addr };
}

function readDashboard(top: Reader): DashboardConfig {
  const d = top.child("dashboard");
  const addr = d.string("addr", "health");
  if (addr !== "health" && addr !== "off") {
    const problem = hostPortProblem(addr);
    if (problem) d.fail("addr", `expected health, off or host:port: ${problem}`);
  }
  const lowOacShare = d.number("low_oac_share", 0.05, 0, 1);
  d.rejectUnknown();
  return { addr, lowOacShare };
}

/**
 * Validate an untyped document (parsed YAML, after environment overrides) into
 * a {@linkcode Config}.
 *
 * @param doc the parsed document
 * @param origin file name for error messages
 * @throws {ConfigError} listing every problem
 */
export function buildConfig(doc: unknown, origin: string): Config {
  const problems: Problem[] = [];
  const top = new Reader(doc, "", problems);
  const dataDir = top.string("data_dir", "./data");
  const database = readDatabase(top, dataDir);
  const log = readLog(top);
  const zone = readTimezone(top);
  const http = readHttp(top);
  const sources = readSources(top, problems);
  const daemon = readDaemon(top, zone, sources);
  const health = readHealth(top);
  const dashboard = readDashboard(top);
  top.rejectUnknown();

  // A bad zone was recorded as a problem, so past this line `zone` is set.
  if (problems.length > 0 || zone === undefined) throw new ConfigError(origin, problems);
  return { database, dataDir, log, timezone: zone, http, sources, daemon, health, dashboard };
}

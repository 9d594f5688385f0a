/**
 * What every fault scenario gets: a fresh database, a proxy in front of it, a
 * fake ipost site, a data directory, the program as a subprocess (so a crash
 * is a crash, with an exit code and stderr), the suite's own connection (for
 * locks and `pg_terminate_backend`), and at the end the independent checker
 * and the figures.
 *
 * @module
 */
import postgres from "postgres";
import { parse, stringify } from "yaml";
import { connectPostgres } from "../../src/db/postgres.ts";
import { migrate } from "../../src/db/migrate.ts";
import { gasDayAt } from "../../src/domain/gas_day.ts";
import { adminConfig } from "../support/db.ts";
import { type FakeIpost, startFakeIpost } from "../support/fake_ipost.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp_proxy.ts";
import { LogLines, waitUntil } from "../support/wait.ts";
import { checkInvariants, type ExpectedFile } from "./checker.ts";
import { unclearReason } from "./messages.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const REPO_CONFIG = new URL("../../config.yaml", import.meta.url);
/** The application name the program reports; the suite's own connections use another. */
export const PROGRAM_APP = "tec-pipeline";
const SUITE_APP = "tec-faults";
/** Exit statuses the README documents; anything else is a crash. */
const DOCUMENTED_EXITS = new Set([0, 1, 2, 3, 4, 130]);

/** The figures the suite prints. Every one but the first three must be 0. */
export interface Figures {
  /** Faults injected. */
  faults: number;
  /** Files checked. */
  files: number;
  /** Good rows checked. */
  rows: number;
  /** Rows of a file neither in the table nor in quarantine. */
  lost: number;
  /** Rows, quarantine lines or loads present twice. */
  duplicated: number;
  /** Rows in the table the file does not have. */
  extra: number;
  /** Pairs holding part of a file. */
  partial: number;
  /** Failures logged without a `failed` ledger row. */
  unrecorded: number;
  /** Processes that died of an uncaught error (or an undocumented exit status). */
  crashes: number;
  /** Failure messages that are empty, multi-line, a stack trace, or say nothing. */
  unclear: number;
}

/** Zeroed figures. */
export function zeroFigures(): Figures {
  return {
    faults: 0,
    files: 0,
    rows: 0,
    lost: 0,
    duplicated: 0,
    extra: 0,
    partial: 0,
    unrecorded: 0,
    crashes: 0,
    unclear: 0,
  };
}

/** A scenario of the suite. */
export interface Scenario {
  /** `group/name`. */
  name: string;
  /** Which fault, and what is expected. */
  what: string;
  /** Deadline of the whole scenario in ms (default 60 s). */
  timeoutMs?: number;
  /** Inject the fault and record expectations on `ctx`. */
  run(ctx: FaultContext): Promise<void>;
}

/** The program running as a subprocess. */
export interface Program {
  /** Its process. */
  child: Deno.ChildProcess;
  /** Its JSON log lines (stderr), and other output in `log.other`. */
  log: LogLines;
  /** `performance.now()` at spawn. */
  startedAt: number;
  /** Exit code, signal and `performance.now()` at exit. */
  status: Promise<{ code: number; signal: Deno.Signal | null; at: number }>;
  /** Whether it still runs. */
  running(): boolean;
  /** Send a signal; remembered, so a kill by the suite is not counted as a crash. */
  kill(signal: Deno.Signal): void;
  /** Wait at most `ms` for the exit; `undefined` if it still runs. */
  exitWithin(ms: number): Promise<{ code: number; seconds: number } | undefined>;
  /** The health endpoint's base URL, once it listens. */
  healthUrl(timeoutMs?: number): Promise<string>;
}

/** A lock held by the suite's own transaction. */
export interface HeldLock {
  /** Backend pid of the holder. */
  holder: number;
  /** Commit the holding transaction. Idempotent. */
  release(): Promise<void>;
}

interface Spawned {
  p: Program;
  args: string[];
  killedBy?: Deno.Signal;
  exit?: { code: number; signal: Deno.Signal | null };
}

/** Options for {@linkcode FaultContext.spawn}. */
export interface SpawnOptions {
  /** Configuration overrides, `{ section: { key: value } }` (see {@linkcode FaultContext.config}). */
  config?: Record<string, Record<string, unknown>>;
  /** Base URL of the site (default: the fake ipost). */
  apiUrl?: string;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** Follow a spawned program: its log, its exit, and the suite's own signals to it. */
function watch(child: Deno.ChildProcess, args: string[]): Spawned {
  const log = new LogLines();
  const reading = log.readFrom(child.stderr).catch(() => {});
  const s: Spawned = { args, p: undefined as unknown as Program };
  const status = child.status.then(async (st) => {
    await reading;
    s.exit = { code: st.code, signal: st.signal };
    return { code: st.code, signal: st.signal, at: performance.now() };
  });
  const startedAt = performance.now();
  let exited = false;
  status.then(() => (exited = true));
  s.p = {
    child,
    log,
    startedAt,
    status,
    running: () => !exited,
    kill(signal) {
      s.killedBy = signal;
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
    },
    async exitWithin(ms) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
      const st = await Promise.race([status, late]);
      clearTimeout(timer);
      return st ? { code: st.code, seconds: (st.at - startedAt) / 1000 } : undefined;
    },
    async healthUrl(timeoutMs = 15_000) {
      const l = await log.waitFor("health.listening", { timeoutMs });
      return `http://${l.addr}`;
    },
  };
  return s;
}

/** One scenario's world. */
export class FaultContext {
  /** Scenario name. */
  readonly name: string;
  /** Figures of this scenario. */
  readonly figures: Figures = zeroFigures();
  /** Expectations that failed. */
  readonly failures: string[] = [];
  /** Facts worth printing (measurements). */
  readonly notes: string[] = [];
  /** What the scenario is waiting for now (named when it times out). */
  step = "setting up";
  /** Today's gas day in America/Chicago. */
  readonly gasDay = gasDayAt(new Date(), "America/Chicago");
  /** The suite's own connection to the test database (never through the proxy). */
  sql!: postgres.Sql;
  /** The proxy the program reaches the database through. */
  proxy!: TcpProxy;
  /** The fake ipost site. */
  fake!: FakeIpost;
  /** The program's data directory. */
  dataDir!: string;
  #work!: string;
  #db = "";
  #spawned: Spawned[] = [];
  #locks: HeldLock[] = [];
  #expected: ExpectedFile[] = [];
  #closers: (() => Promise<void>)[] = [];

  constructor(name: string) {
    this.name = name;
  }

  /** Database name. */
  get database(): string {
    return this.#db;
  }

  /** Create the database (migrated, so tables can be locked before the program starts) and the rest. */
  async setup(): Promise<void> {
    this.#db = `tec_faults_${Deno.pid}_${crypto.randomUUID().slice(0, 8)}`;
    const a = adminConfig();
    const admin = postgres({ ...this.#pgOptions(), database: a.name, max: 1 });
    try {
      await admin.unsafe(`CREATE DATABASE ${this.#db}`);
    } finally {
      await admin.end();
    }
    const db = connectPostgres({
      config: { ...adminConfig(this.#db) },
      applicationName: SUITE_APP,
    });
    try {
      await migrate(db, { schema: "staging" });
    } finally {
      await db.close();
    }
    this.sql = postgres({ ...this.#pgOptions(), database: this.#db, max: 6 });
    this.proxy = startTcpProxy({ hostname: a.host, port: a.port });
    this.fake = startFakeIpost();
    this.#work = await Deno.makeTempDir({ prefix: "tec-faults-" });
    this.dataDir = `${this.#work}/data`;
  }

  #pgOptions() {
    const a = adminConfig();
    return {
      host: a.host,
      port: a.port,
      username: a.user,
      password: a.password?.reveal(),
      onnotice: () => {},
      connection: { application_name: SUITE_APP },
    };
  }

  /** Record a failed expectation when `ok` is false. */
  expect(ok: boolean, message: string): boolean {
    if (!ok) this.failures.push(message);
    return ok;
  }

  /** Count injected faults. */
  fault(n = 1): void {
    this.figures.faults += n;
  }

  /** A file that must be the pair's content at the end (for the checker). */
  expectFile(cycle: string, body: Uint8Array, gasDay = this.gasDay): void {
    this.#expected.push({ asset: "TW", gasDay, cycle, body });
  }

  /** Register a cleanup (a server a scenario started). */
  onClose(fn: () => Promise<void>): void {
    this.#closers.push(fn);
  }

  /**
   * Write a configuration file: the repository's `config.yaml` with
   * `overrides` applied (`{ daemon: { concurrency: 1 } }`; keys the program
   * does not know yet are written too). Returns its path.
   */
  async config(overrides: Record<string, Record<string, unknown>> = {}): Promise<string> {
    const doc = parse(await Deno.readTextFile(REPO_CONFIG)) as Record<string, unknown>;
    for (const [section, values] of Object.entries(overrides)) {
      doc[section] = { ...(doc[section] as Record<string, unknown> ?? {}), ...values };
    }
    const path = `${this.#work}/config-${crypto.randomUUID().slice(0, 8)}.yaml`;
    await Deno.writeTextFile(path, stringify(doc));
    return path;
  }

  #programEnv(o: SpawnOptions): Record<string, string> {
    const a = adminConfig(this.#db);
    const denoDir = Deno.env.get("DENO_DIR");
    return {
      API_URL: o.apiUrl ?? this.fake.url,
      DB_HOST: "127.0.0.1",
      DB_PORT: String(this.proxy.port),
      DB_NAME: this.#db,
      DB_USER: a.user,
      DATA_DIR: this.dataDir,
      HEALTH_ADDR: "127.0.0.1:0",
      LOG_FORMAT: "json",
      LOG_LEVEL: "debug",
      NO_COLOR: "1",
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "",
      ...(denoDir ? { DENO_DIR: denoDir } : {}),
      ...(a.password ? { DB_PASSWORD: a.password.reveal() } : {}),
      ...(o.env ?? {}),
    };
  }

  /** Run the program: `deno run -A src/main.ts --config <file> ...args`. */
  async spawn(args: string[], o: SpawnOptions = {}): Promise<Program> {
    const configFile = await this.config({
      daemon: { requests_per_minute: 6000, ...(o.config?.daemon ?? {}) },
      ...Object.fromEntries(Object.entries(o.config ?? {}).filter(([k]) => k !== "daemon")),
    });
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--v8-flags=--max-old-space-size=64,--max-semi-space-size=8",
        "-A",
        MAIN,
        "--config",
        configFile,
        ...args,
      ],
      env: this.#programEnv(o),
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const s = watch(child, args);
    this.#spawned.push(s);
    return s.p;
  }

  /** Wait (bounded) and name what is awaited, so a timeout says what hung. */
  async waitFor<T>(
    what: string,
    pred: () => T | undefined | null | false | Promise<T | undefined | null | false>,
    timeoutMs = 20_000,
    detail?: () => string,
  ): Promise<T> {
    this.step = what;
    const v = await waitUntil(pred, { what, timeoutMs, intervalMs: 25, detail });
    this.step = "";
    return v;
  }

  /**
   * The program's backend whose current statement matches `query` (and, if
   * given, that waits on `blockedBy`); waits for it.
   */
  loaderBackend(
    o: { query: RegExp; blockedBy?: number; timeoutMs?: number },
    p?: Program,
  ): Promise<{ pid: number; query: string; state: string }> {
    return this.waitFor(
      `the program's backend running ${o.query}`,
      async () => {
        if (p && !p.running()) throw new Error(`the program exited first: ${p.log.summary(15)}`);
        const rows = await this.sql<
          { pid: number; query: string; state: string; blockers: number[] }[]
        >`
        SELECT pid, query, state, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity
        WHERE datname = ${this.#db} AND application_name = ${PROGRAM_APP}`;
        return rows.find((r) =>
          o.query.test(r.query) && (o.blockedBy === undefined || r.blockers.includes(o.blockedBy))
        );
      },
      o.timeoutMs ?? 20_000,
      () => (p ? p.log.summary(15) : ""),
    );
  }

  /** `pg_terminate_backend(pid)` from the suite's connection. */
  async terminate(pid: number): Promise<void> {
    const [{ ok }] = await this.sql`SELECT pg_terminate_backend(${pid}) AS ok`;
    if (!ok) throw new Error(`pg_terminate_backend(${pid}) found no such backend`);
    this.fault();
  }

  /** Whether a backend still exists. */
  async alive(pid: number): Promise<boolean> {
    const rows = await this.sql`SELECT 1 FROM pg_stat_activity WHERE pid = ${pid}`;
    return rows.length > 0;
  }

  /** Hold `statement` (a LOCK TABLE, an advisory lock) in an open transaction of the suite's own. */
  async hold(statement: string, params: postgres.ParameterOrJSON<never>[] = []): Promise<HeldLock> {
    const held = Promise.withResolvers<number>();
    const done = Promise.withResolvers<void>();
    const tx = this.sql.begin(async (tx) => {
      await tx.unsafe(statement, params);
      const [{ pid }] = await tx<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      held.resolve(pid);
      await done.promise;
    });
    tx.catch((e) => held.reject(e));
    const holder = await held.promise;
    const lock: HeldLock = {
      holder,
      async release() {
        done.resolve();
        await tx.catch(() => {});
      },
    };
    this.#locks.push(lock);
    return lock;
  }

  /** `LOCK TABLE staging.operational_capacity` (SHARE: reads pass, every write waits). */
  lockCapacity(mode = "SHARE"): Promise<HeldLock> {
    return this.hold(`LOCK TABLE staging.operational_capacity IN ${mode} MODE`);
  }

  /** Ledger rows of a pair of today's gas day, oldest first. */
  ledger(cycle: string, gasDay = this.gasDay) {
    return this.sql<{ load_id: number; status: string; error: string | null; sha256: string }[]>`
      SELECT load_id::int AS load_id, status, error, sha256 FROM staging.load_ledger
      WHERE asset = 'TW' AND gas_day = ${gasDay}::date AND cycle = ${cycle} ORDER BY load_id`;
  }

  /** Rows of a pair in the table. */
  async rows(cycle: string, gasDay = this.gasDay): Promise<number> {
    const [{ n }] = await this.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM staging.operational_capacity
      WHERE asset = 'TW' AND gas_day = ${gasDay}::date AND cycle = ${cycle}`;
    return n;
  }

  /** Quarantined line numbers of a load. */
  async quarantinedLines(loadId: number): Promise<number[]> {
    const rows = await this.sql<{ line_no: number }[]>`
      SELECT line_no FROM staging.quarantine WHERE load_id = ${loadId} ORDER BY line_no`;
    return rows.map((r) => r.line_no);
  }

  /** The last `n` log lines of every program run, for `--verbose`. */
  transcript(n = 25): string[] {
    return this.#spawned.flatMap((s) => [
      `  $ tec-pipeline ${s.args.join(" ")}  (exit ${s.exit?.code ?? "?"})`,
      ...s.p.log.lines.slice(-n).map((l) => `    ${JSON.stringify(l).slice(0, 300)}`),
      ...s.p.log.other.slice(0, 10).map((l) => `    ${l.slice(0, 300)}`),
    ]);
  }

  /** Check the invariants and the programs' output, fill the figures, clean up. */
  async finish(): Promise<void> {
    for (const l of this.#locks) await l.release();
    for (const s of this.#spawned) {
      if (s.p.running()) s.p.kill("SIGKILL");
      await s.p.status;
    }
    this.proxy.heal();
    this.proxy.substitute(undefined);
    this.proxy.refuse(false);
    // Backends of programs that are gone (one may sleep in an injected pg_sleep) end now.
    await this.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = ${this.#db} AND application_name = ${PROGRAM_APP}`;
    await this.waitFor("the program's backends to end", async () => {
      const r = await this.sql`SELECT 1 FROM pg_stat_activity
        WHERE datname = ${this.#db} AND application_name = ${PROGRAM_APP}`;
      return r.length === 0;
    }, 15_000).catch((e) => this.failures.push((e as Error).message));
    const unclear = await this.#checkPrograms();
    const a = adminConfig(this.#db);
    const r = await checkInvariants({
      sql: this.sql,
      host: a.host,
      port: a.port,
      user: a.user,
      database: this.#db,
      password: a.password?.reveal(),
      dataDir: this.dataDir,
      expected: this.#expected,
    });
    for (const k of ["files", "rows", "lost", "duplicated", "extra", "partial"] as const) {
      this.figures[k] += r[k];
    }
    // A reason both logged and in the ledger is one unclear message.
    for (const m of r.unclearMessages) unclear.delete(m);
    for (const u of unclear.values()) this.failures.push(`unclear message: ${u}`);
    this.figures.unclear += unclear.size + r.unclear;
    for (const p of r.problems.slice(0, 12)) this.failures.push(`checker: ${p}`);
  }

  /** Crashes, unclear messages and failures without a ledger row, from what the programs said. */
  async #checkPrograms(): Promise<Map<string, string>> {
    const unclear = new Map<string, string>();
    const failedLogs = new Map<string, number>();
    for (const s of this.#spawned) {
      const { log } = s.p;
      const uncaught = log.other.find((l) => /Uncaught|panicked|^error: /i.test(l));
      const exit = s.exit!;
      const undocumented = exit.signal === null && !DOCUMENTED_EXITS.has(exit.code);
      if (uncaught || (undocumented && !s.killedBy)) {
        this.figures.crashes++;
        this.failures.push(
          `crash: \`${s.args.join(" ")}\` exited ${exit.code}: ${uncaught ?? "(no message)"}`,
        );
      }
      let abandoned = false;
      for (const l of log.lines) {
        // Past the shutdown timeout the load is abandoned and rolled back, not failed
        // (README: it is fetched again on the next start): no ledger row is owed.
        if (l.event === "shutdown.timeout" || l.event === "shutdown.forced") abandoned = true;
        if (l.level !== "warn" && l.level !== "error") continue;
        const reason = l.reason ?? l.error;
        if (reason !== undefined || l.level === "error") {
          const why = unclearReason(reason);
          const text = String(reason);
          if (why) unclear.set(text, `${l.event}: ${why}: ${JSON.stringify(text).slice(0, 160)}`);
        }
        if (l.event === "load.failed" && !abandoned) {
          const k = `${l.gas_day}|${l.cycle}`;
          failedLogs.set(k, (failedLogs.get(k) ?? 0) + 1);
        }
      }
    }
    for (const [k, n] of failedLogs) {
      const [gasDay, cycle] = k.split("|");
      const rows = (await this.ledger(cycle, gasDay)).filter((r) => r.status === "failed");
      if (rows.length < n) {
        this.figures.unrecorded += n - rows.length;
        this.failures.push(
          `${k}: ${n} load failures logged, ${rows.length} failed ledger rows`,
        );
      }
    }
    return unclear;
  }

  /** Stop everything and drop the database (also after a timeout). */
  async close(): Promise<void> {
    for (const s of this.#spawned) if (s.p.running()) s.p.kill("SIGKILL");
    await Promise.allSettled(this.#spawned.map((s) => s.p.status));
    for (const l of this.#locks) await l.release().catch(() => {});
    for (const c of this.#closers) await c().catch(() => {});
    await this.proxy?.close().catch(() => {});
    await this.fake?.close().catch(() => {});
    await this.sql?.end({ timeout: 1 }).catch(() => {});
    const admin = postgres({ ...this.#pgOptions(), database: adminConfig().name, max: 1 });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${this.#db} WITH (FORCE)`).catch(() => {});
    await admin.end().catch(() => {});
    if (this.#work) await Deno.remove(this.#work, { recursive: true }).catch(() => {});
  }
}

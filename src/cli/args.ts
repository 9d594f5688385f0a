/**
 * Command-line parsing (`node:util` `parseArgs`, standing in for `@std/cli`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LOG_LEVELS, type LogLevel } from "../config/schema.ts";
import { MAX_COMBINATIONS, UsageError } from "./params.ts";

/** Sub-commands. */
export const COMMANDS = [
  "run",
  "backfill",
  "export",
  "rebuild",
  "sql",
  "db",
  "serve",
  "healthcheck",
] as const;

/** `db` sub-commands. */
export const DB_ACTIONS = ["serve", "copy-to"] as const;
/** A `db` sub-command. */
export type DbAction = typeof DB_ACTIONS[number];
/** A sub-command. */
export type Command = typeof COMMANDS[number];

/** Parsed command line. */
export interface CliArgs {
  /** Sub-command (`run` when none is given). */
  command: Command;
  /** `--params` tokens, unexpanded. */
  params: string[];
  /** `--loglevel`. */
  logLevel?: LogLevel;
  /** `--config`. */
  config?: string;
  /** `--once`. */
  once: boolean;
  /** `--force`. */
  force: boolean;
  /** `--replay`. */
  replay?: string;
  /** `--help`. */
  help: boolean;
  /** `--version`. */
  version: boolean;
  /** backfill, export and rebuild `--from`. */
  from?: string;
  /** backfill, export and rebuild `--to`. */
  to?: string;
  /** backfill and export `--cycles`. */
  cycles?: string;
  /** backfill `--dry-run`. */
  dryRun: boolean;
  /** export `--asset`. */
  asset?: string;
  /** export `--source`. */
  source?: string;
  /** export `--report`. */
  report?: string;
  /** export `--as-of`. */
  asOf?: string;
  /** export `--format`. */
  format?: string;
  /** export `--output`. */
  output?: string;
  /** sql: the query. */
  query?: string;
  /** db: the action. */
  dbAction?: DbAction;
  /** db copy-to: the server's URL. */
  target?: string;
  /** db serve and serve `--addr`. */
  addr?: string;
}

/** Options that belong to some commands only (by their `parseArgs` names). */
const OWNERS: Readonly<Record<string, readonly Command[]>> = {
  from: ["backfill", "export", "rebuild"],
  to: ["backfill", "export", "rebuild"],
  cycles: ["backfill", "export"],
  "dry-run": ["backfill"],
  asset: ["export"],
  source: ["export"],
  report: ["export"],
  "as-of": ["export"],
  format: ["export", "sql"],
  output: ["export"],
  addr: ["db", "serve"],
};

/** Options of the fetching commands that mean nothing to `export` and `rebuild`. */
const NOT_FOR_EXPORT = ["once", "force", "replay"] as const;

/** The commands that fetch nothing: what they do instead, and how they select. */
const NOT_FETCHING: Partial<Record<Command, readonly [string, string]>> = {
  export: [
    "reads the database",
    "select with --from, --to, --cycles, --asset, --source, --report, --as-of",
  ],
  rebuild: ["reloads the raw archive", "select with --from, --to"],
  sql: ["reads the database", "the query says what"],
  db: ["works on the database", "see tec-pipeline --help"],
  serve: ["serves the dashboard", "its pages select what they show"],
};

/**
 * Parse `argv`. `--params` takes every following token up to the next option,
 * so `--params gasDay=2024-01-17 cycle=[0,5]` works as the old system's did.
 *
 * @throws {UsageError} naming the offending option
 */
export function parseCli(argv: readonly string[]): CliArgs {
  const { params, rest } = gatherParams(argv);
  const { values, positionals } = parseOptions(rest);
  const command = (positionals[0] ?? "run") as Command;
  if (!COMMANDS.includes(command)) {
    throw new UsageError(
      `unknown command ${JSON.stringify(positionals[0])} (expected one of ${COMMANDS.join(", ")})`,
    );
  }
  const operands = commandOperands(command, positionals.slice(1));
  if (values.replay !== undefined && !values.once) {
    throw new UsageError("--replay loads one file and exits: use it with --once");
  }
  checkOwners(command, values, params);
  return {
    command,
    params,
    logLevel: logLevelOf(values.loglevel),
    config: values.config,
    once: values.once,
    force: values.force,
    replay: values.replay,
    help: values.help,
    version: values.version,
    from: values.from,
    to: values.to,
    cycles: values.cycles,
    dryRun: values["dry-run"],
    asset: values.asset,
    source: values.source,
    report: values.report,
    asOf: values["as-of"],
    format: values.format,
    output: values.output,
    addr: values.addr,
    ...operands,
  };
}

/** The arguments after the command: the query of `sql`, the action (and URL) of `db`. */
function commandOperands(
  command: Command,
  rest: readonly string[],
): { query?: string; dbAction?: DbAction; target?: string } {
  const extra = (n: number) => {
    if (rest.length > n) throw new UsageError(`unexpected argument ${JSON.stringify(rest[n])}`);
  };
  if (command === "sql") {
    if (rest.length === 0) {
      throw new UsageError('sql: expected a query, e.g. tec-pipeline sql "select 1"');
    }
    extra(1);
    return { query: rest[0] };
  }
  if (command !== "db") {
    extra(0);
    return {};
  }
  const action = rest[0] as DbAction;
  if (!DB_ACTIONS.includes(action)) {
    throw new UsageError(
      `db: expected ${DB_ACTIONS.join(" or ")}, got ${
        rest[0] === undefined ? "nothing" : JSON.stringify(rest[0])
      }`,
    );
  }
  if (action === "serve") {
    extra(1);
    return { dbAction: action };
  }
  if (rest[1] === undefined) {
    throw new UsageError("db copy-to: expected the server's URL (postgres://user@host:port/db)");
  }
  extra(2);
  return { dbAction: action, target: rest[1] };
}

/** Refuse an option given to a command it does not belong to, naming both. */
function checkOwners(
  command: Command,
  values: Record<string, string | boolean | undefined>,
  params: readonly string[],
): void {
  for (const [option, owners] of Object.entries(OWNERS)) {
    if (values[option] === undefined || values[option] === false) continue;
    if (owners.includes(command)) continue;
    const names = owners.length === 1
      ? `the ${owners[0]} command`
      : `the ${owners.slice(0, -1).join(", ")} and ${owners.at(-1)} commands`;
    throw new UsageError(`--${option} belongs to ${names}`);
  }
  const why = NOT_FETCHING[command];
  if (why === undefined) return;
  const loading = NOT_FOR_EXPORT.filter((o) => values[o]).map((o) => `--${o}`);
  if (params.length > 0) loading.push("--params");
  if (loading.length > 0) {
    throw new UsageError(
      `${command} ${why[0]}: ${loading.join(", ")} do${
        loading.length === 1 ? "es" : ""
      } not apply (${why[1]})`,
    );
  }
}

/** `--params` takes every `key=value` token up to the next option; the rest is options. */
function gatherParams(argv: readonly string[]): { params: string[]; rest: string[] } {
  const params: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--params") {
      let taken = 0;
      while (i + 1 < argv.length && !argv[i + 1].startsWith("--") && argv[i + 1].includes("=")) {
        params.push(argv[++i]);
        taken++;
      }
      if (taken === 0) throw new UsageError("--params: expected at least one key=value after it");
    } else if (a.startsWith("--params=")) params.push(a.slice("--params=".length));
    else rest.push(a);
  }
  return { params, rest };
}

function parseOptions(rest: string[]) {
  try {
    return parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        loglevel: { type: "string" },
        config: { type: "string", short: "c" },
        once: { type: "boolean", default: false },
        force: { type: "boolean", default: false },
        replay: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
        from: { type: "string" },
        to: { type: "string" },
        cycles: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        asset: { type: "string" },
        source: { type: "string" },
        report: { type: "string" },
        "as-of": { type: "string" },
        format: { type: "string" },
        output: { type: "string", short: "o" },
        addr: { type: "string" },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional.*$/s, ""));
  }
}

/** `--loglevel`, with the old system's `warning` accepted for `warn`. */
function logLevelOf(text: string | undefined): LogLevel | undefined {
  if (text === undefined) return undefined;
  const l = text.toLowerCase() === "warning" ? "warn" : text.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(l)) {
    throw new UsageError(
      `--loglevel: expected one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(text)}`,
    );
  }
  return l as LogLevel;
}

/** Text of `--help`. */
export const HELP = `tec-pipeline: load Energy Transfer capacity postings into PostgreSQL

Usage:
  tec-pipeline [--params key=value ...] [options]          run as a daemon
  tec-pipeline --once [--params key=value ...] [options]   load, then exit
  tec-pipeline --once --replay <sha256|file> [--params gasDay=.. cycle=..]
  tec-pipeline backfill --from YYYY-MM-DD --to YYYY-MM-DD [--cycles timely,final] [--dry-run]
  tec-pipeline export --from YYYY-MM-DD --to YYYY-MM-DD [--cycles timely,final] [--asset TW]
      [--source NAME] [--report capacity] [--as-of TIME] --format csv|json [--output FILE]
  tec-pipeline rebuild [--from YYYY-MM-DD] [--to YYYY-MM-DD]
      re-derive versions, history and the table from the raw archive
  tec-pipeline sql "select ..." [--format table|csv|json]   one read-only query
  tec-pipeline db serve [--addr 127.0.0.1:5433]              the embedded store for psql & co
  tec-pipeline db copy-to postgres://user@host:5432/db       the embedded store into a server
  tec-pipeline serve [--addr 127.0.0.1:8080]                 the capacity dashboard (read-only)
  tec-pipeline healthcheck                                  exit 0 if /healthz answers

Parameters (--params):
  gasDay=YYYY-MM-DD | MM/DD/YYYY   default: the current gas day (America/Chicago)
  cycle=0|1|3|4|7|5 or timely|evening|intraday1|intraday2|intraday3|final
  searchType=ALL|NOM               any other key=value is passed to the request
  asset=TW | source=NAME           restrict to some configured sources
  A value [A,B] expands to every combination: cycle=[0,5] gasDay=[2024-01-16,2024-01-17]
  (at most ${MAX_COMBINATIONS} combinations; keys are case-sensitive: gasDay, not gasday)

Options:
  --once             process the combinations once and exit
  --force            reload even if the same bytes were already loaded
  --replay X         load an archived body (sha256 or prefix) or a local file
  --config FILE      configuration file (default: ./config.yaml, else built-in)
  --loglevel LEVEL   debug | info | warn | error
  -h, --help         this text
  -V, --version      the version

Export options:
  --asset A,B        assets to export (default: every configured source's)
  --source NAME,..   sources to export (default: every configured one)
  --report R         capacity: the columns every report shares, any source's rows;
                     or a report id: its table, the sources publishing it
                     (default: the one report the selected sources publish)
  --as-of TIME       the rows as they were at TIME: an instant (2024-01-16T23:20:00Z)
                     or a local time in the configured timezone (2024-01-16T17:20)
  --format csv|json  csv: the posted file's columns (prefixed by Asset, Gas Day,
                     Cycle, Source when more than one pair is selected); json: an array
  -o, --output FILE  write FILE atomically (default: standard output)

Exit status (--once): 0 all loaded or already loaded; 3 some not posted yet;
1 any failure; 2 bad usage or configuration. (export: 0 written, 1 failed,
2 bad usage, 4 stopped by a signal. rebuild: 0 every pair rebuilt, 1 a pair kept
as it was or an unreadable request record, 4 stopped by a signal.)
`;

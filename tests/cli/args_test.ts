import assert from "node:assert/strict";
import { type CliArgs, HELP, parseCli } from "../../src/cli/args.ts";
import { MAX_COMBINATIONS, UsageError } from "../../src/cli/params.ts";

function usageError(argv: string[]): UsageError {
  try {
    parseCli(argv);
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${e}`);
    return e;
  }
  assert.fail(`parseCli accepted ${JSON.stringify(argv)}`);
}

const DEFAULTS: CliArgs = {
  command: "run",
  params: [],
  logLevel: undefined,
  config: undefined,
  once: false,
  force: false,
  replay: undefined,
  help: false,
  version: false,
  from: undefined,
  to: undefined,
  cycles: undefined,
  dryRun: false,
  asset: undefined,
  source: undefined,
  report: undefined,
  asOf: undefined,
  format: undefined,
  output: undefined,
  addr: undefined,
};

Deno.test("no arguments: run with defaults", () => {
  assert.deepEqual(parseCli([]), DEFAULTS);
});

Deno.test("--params takes every following key=value up to the next option", () => {
  const a = parseCli(["--params", "gasDay=2024-01-17", "cycle=[0,5]", "searchType=NOM", "--once"]);
  assert.deepEqual(a, {
    ...DEFAULTS,
    params: ["gasDay=2024-01-17", "cycle=[0,5]", "searchType=NOM"],
    once: true,
  });
});

Deno.test("--params stops at a token without '=' (the command)", () => {
  const a = parseCli(["--params", "cycle=1", "backfill", "--from", "2024-01-01"]);
  assert.equal(a.command, "backfill");
  assert.deepEqual(a.params, ["cycle=1"]);
  assert.equal(a.from, "2024-01-01");
});

Deno.test("--params=k=v and repeated --params accumulate", () => {
  const a = parseCli(["--params=cycle=1", "--once", "--params", "gasDay=01/17/2024"]);
  assert.deepEqual(a.params, ["cycle=1", "gasDay=01/17/2024"]);
  assert.equal(a.once, true);
});

Deno.test("--params with nothing after it is a usage error", () => {
  assert.equal(
    usageError(["--params"]).message,
    "--params: expected at least one key=value after it",
  );
  assert.equal(
    usageError(["--params", "--once"]).message,
    "--params: expected at least one key=value after it",
  );
});

Deno.test("unknown options and bad usage are UsageErrors naming the option", () => {
  assert.match(usageError(["--bogus"]).message, /--bogus/);
  assert.doesNotMatch(usageError(["--bogus"]).message, /To specify a positional/);
  assert.match(usageError(["-x"]).message, /-x/);
  assert.match(usageError(["--loglevel"]).message, /--loglevel/);
  assert.match(usageError(["--once=yes"]).message, /--once/);
  assert.equal(
    usageError(["deploy"]).message,
    'unknown command "deploy" (expected one of run, backfill, export, rebuild, sql, db, ' +
      "serve, healthcheck)",
  );
  assert.equal(usageError(["run", "extra"]).message, 'unexpected argument "extra"');
});

Deno.test("--loglevel accepts the four levels in any case and WARNING as warn", () => {
  assert.equal(parseCli(["--loglevel", "DEBUG"]).logLevel, "debug");
  assert.equal(parseCli(["--loglevel", "info"]).logLevel, "info");
  assert.equal(parseCli(["--loglevel=Warn"]).logLevel, "warn");
  assert.equal(parseCli(["--loglevel", "WARNING"]).logLevel, "warn");
  assert.equal(parseCli(["--loglevel", "error"]).logLevel, "error");
});

Deno.test("--loglevel rejects other values naming the value", () => {
  assert.equal(
    usageError(["--loglevel", "verbose"]).message,
    '--loglevel: expected one of debug, info, warn, error, got "verbose"',
  );
  assert.match(usageError(["--loglevel", "CRITICAL"]).message, /got "CRITICAL"/);
});

Deno.test("--replay requires --once", () => {
  assert.equal(
    usageError(["--replay", "abc123"]).message,
    "--replay loads one file and exits: use it with --once",
  );
  const a = parseCli(["--once", "--replay", "abc123", "--params", "gasDay=2024-01-17", "cycle=0"]);
  assert.equal(a.replay, "abc123");
  assert.equal(a.once, true);
  assert.deepEqual(a.params, ["gasDay=2024-01-17", "cycle=0"]);
});

Deno.test("backfill-only options are rejected outside backfill", () => {
  const range = (o: string) => `--${o} belongs to the backfill, export and rebuild commands`;
  const cycles = "--cycles belongs to the backfill and export commands";
  const dry = "--dry-run belongs to the backfill command";
  assert.equal(usageError(["--from", "2024-01-01"]).message, range("from"));
  assert.equal(usageError(["--to", "2024-01-02"]).message, range("to"));
  assert.equal(usageError(["--cycles", "timely"]).message, cycles);
  assert.equal(usageError(["rebuild", "--cycles", "timely"]).message, cycles);
  assert.equal(usageError(["--dry-run"]).message, dry);
  assert.equal(usageError(["run", "--dry-run"]).message, dry);
  assert.equal(usageError(["healthcheck", "--from", "2024-01-01"]).message, range("from"));
});

Deno.test("rebuild takes --from and --to only, and refuses what fetches", () => {
  const a = parseCli(["rebuild", "--from", "2024-01-01", "--to", "2024-01-03"]);
  assert.equal(a.command, "rebuild");
  assert.deepEqual([a.from, a.to], ["2024-01-01", "2024-01-03"]);
  assert.equal(
    usageError(["rebuild", "--force"]).message,
    "rebuild reloads the raw archive: --force does not apply (select with --from, --to)",
  );
  assert.equal(
    usageError(["rebuild", "--params", "cycle=0"]).message,
    "rebuild reloads the raw archive: --params does not apply (select with --from, --to)",
  );
  assert.match(
    usageError(["rebuild", "--format", "csv"]).message,
    /--format belongs to the export/,
  );
});

Deno.test("sql takes one query and --format; db takes serve [--addr] or copy-to URL", () => {
  const q = parseCli(["sql", "select 1 as one", "--format", "json"]);
  assert.deepEqual([q.command, q.query, q.format], ["sql", "select 1 as one", "json"]);
  assert.equal(
    usageError(["sql"]).message,
    'sql: expected a query, e.g. tec-pipeline sql "select 1"',
  );
  assert.equal(
    usageError(["sql", "select 1", "select 2"]).message,
    'unexpected argument "select 2"',
  );
  assert.match(
    usageError(["sql", "select 1", "--force"]).message,
    /^sql reads the database: --force/,
  );
  const s = parseCli(["db", "serve", "--addr", "127.0.0.1:6543"]);
  assert.deepEqual([s.command, s.dbAction, s.addr], ["db", "serve", "127.0.0.1:6543"]);
  const c = parseCli(["db", "copy-to", "postgres://u@h/db"]);
  assert.deepEqual([c.dbAction, c.target], ["copy-to", "postgres://u@h/db"]);
  assert.equal(usageError(["db"]).message, "db: expected serve or copy-to, got nothing");
  assert.equal(usageError(["db", "drop"]).message, 'db: expected serve or copy-to, got "drop"');
  assert.match(usageError(["db", "copy-to"]).message, /^db copy-to: expected the server's URL/);
  assert.equal(
    usageError(["--addr", "x"]).message,
    "--addr belongs to the db and serve commands",
  );
  const w = parseCli(["serve", "--addr", "127.0.0.1:0"]);
  assert.deepEqual([w.command, w.addr], ["serve", "127.0.0.1:0"]);
  assert.equal(usageError(["serve", "extra"]).message, 'unexpected argument "extra"');
  assert.match(usageError(["serve", "--once"]).message, /^serve serves the dashboard: --once/);
  assert.equal(usageError(["run", "extra"]).message, 'unexpected argument "extra"');
});

Deno.test("backfill accepts its options", () => {
  const a = parseCli([
    "backfill",
    "--from",
    "2024-01-01",
    "--to",
    "2024-01-03",
    "--cycles",
    "timely,final",
    "--dry-run",
  ]);
  assert.deepEqual(a, {
    ...DEFAULTS,
    command: "backfill",
    from: "2024-01-01",
    to: "2024-01-03",
    cycles: "timely,final",
    dryRun: true,
  });
});

Deno.test("other options: --config/-c, --force, -h, -V, healthcheck", () => {
  assert.equal(parseCli(["--config", "my.yaml"]).config, "my.yaml");
  assert.equal(parseCli(["-c", "other.yaml"]).config, "other.yaml");
  assert.equal(parseCli(["--force"]).force, true);
  assert.equal(parseCli(["-h"]).help, true);
  assert.equal(parseCli(["--version"]).version, true);
  assert.equal(parseCli(["-V"]).version, true);
  assert.equal(parseCli(["healthcheck"]).command, "healthcheck");
});

Deno.test("--help states the combination cap and that keys are case-sensitive", () => {
  assert.match(HELP, new RegExp(`at most ${MAX_COMBINATIONS} combinations`));
  assert.match(HELP, /case-sensitive: gasDay, not gasday/);
});

import assert from "node:assert/strict";
import { applyEnv, ENV_OVERRIDES, loadConfig, parseYaml } from "../../src/config/load.ts";
import { buildConfig, type Config } from "../../src/config/schema.ts";
import { ConfigError } from "../../src/config/validate.ts";

/** A reader for which no config.yaml exists in the working directory. */
const noFile = (path: string): Promise<string> =>
  Promise.reject(new Deno.errors.NotFound(`No such file or directory: ${path}`));

/** A reader that serves `text` for any path. */
const serve = (text: string) => (_path: string): Promise<string> => Promise.resolve(text);

const MINIMAL = `sources:
  - name: tw
    asset: TW
    base_url: https://twtransfer.energytransfer.com
`;

const TWO_SOURCES = `sources:
  - name: tw
    asset: TW
    base_url: https://twtransfer.energytransfer.com
  - name: fgt
    asset: FGT
    base_url: https://fgttransfer.energytransfer.com
`;

async function load(text: string, env: Record<string, string> = {}): Promise<Config> {
  return (await loadConfig({ path: "test.yaml", readTextFile: serve(text), env })).config;
}

async function configError(
  text: string,
  env: Record<string, string> = {},
): Promise<ConfigError> {
  try {
    await loadConfig({ path: "test.yaml", readTextFile: serve(text), env });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e;
  }
  assert.fail("the configuration was accepted");
}

const EXPECTED_DEFAULTS = {
  database: {
    // No server named anywhere: the embedded store under data_dir.
    engine: "embedded",
    embeddedDir: "./data/pg",
    url: undefined,
    host: "127.0.0.1",
    port: 5432,
    name: "postgres",
    user: "postgres",
    password: undefined,
    schema: "staging",
    maxConnections: 4,
    connectTimeoutSeconds: 10,
    lockTimeoutSeconds: 60,
    statementTimeoutSeconds: 900,
  },
  dataDir: "./data",
  log: { level: "info", format: "auto" },
  timezone: "America/Chicago",
  http: {
    timeoutSeconds: 30,
    retryAttempts: 3,
    backoffBaseMs: 500,
    backoffMaxMs: 30000,
    maxBodyBytes: 67108864,
    userAgent: "tec-pipeline",
    conditionalRequests: true,
  },
  sources: [{
    name: "tw-oac",
    asset: "TW",
    baseUrl: "https://twtransfer.energytransfer.com",
    report: "operationally-available",
    searchType: "ALL",
    cycles: ["timely", "evening", "intraday1", "intraday2", "intraday3", "final"],
    params: { searchString: "", locType: "ALL", locZone: "ALL" },
    enabled: true,
  }],
  daemon: {
    schedule: "*/5 * * * *",
    historyDays: 3,
    graceMinutes: 0,
    fastProbeSeconds: 60,
    fastProbeMinutes: 30,
    probeInitialSeconds: 60,
    probeMaxSeconds: 900,
    recheckMinutes: 60,
    concurrency: 2,
    requestsPerMinute: 30,
    shutdownTimeoutSeconds: 30,
    claimLeaseSeconds: 90,
  },
  health: { addr: "127.0.0.1:8080" },
  dashboard: { addr: "health", lowOacShare: 0.05 },
};

// ---------------------------------------------------------------------------
// Defaults

Deno.test("no config.yaml: the embedded defaults load and validate", async () => {
  const asked: string[] = [];
  const loaded = await loadConfig({
    readTextFile: (p) => {
      asked.push(p);
      return noFile(p);
    },
  });
  assert.deepEqual(asked, ["config.yaml"]);
  assert.equal(loaded.origin, "(built-in defaults)");
  assert.deepEqual(loaded.config, EXPECTED_DEFAULTS);
  assert.equal(loaded.config.database.password, undefined);
  assert.equal(loaded.config.database.url, undefined);
});

Deno.test("the repository's config.yaml loads to the same values", async () => {
  const path = new URL("../../config.yaml", import.meta.url).pathname;
  const loaded = await loadConfig({ path });
  assert.equal(loaded.origin, path);
  assert.deepEqual(loaded.config, EXPECTED_DEFAULTS);
});

Deno.test("config.yaml in the working directory is used when present", async () => {
  const loaded = await loadConfig({
    readTextFile: serve(MINIMAL + "timezone: America/New_York\n"),
  });
  assert.equal(loaded.origin, "config.yaml");
  assert.equal(loaded.config.timezone, "America/New_York");
  assert.equal(loaded.config.sources[0].name, "tw");
});

Deno.test("an unreadable config.yaml (not 'not found') is an error, not the defaults", async () => {
  await assert.rejects(
    loadConfig({
      readTextFile: () => Promise.reject(new Deno.errors.PermissionDenied("denied")),
    }),
    Deno.errors.PermissionDenied,
  );
});

Deno.test("a --config path that cannot be read is a ConfigError naming it", async () => {
  await assert.rejects(
    loadConfig({ path: "/nowhere/tec.yaml", readTextFile: noFile }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^invalid configuration in \/nowhere\/tec\.yaml:/);
      assert.match(e.message, /\(file\): cannot read the configuration file/);
      return true;
    },
  );
});

Deno.test("TEC_CONFIG names the file when no path is given", async () => {
  const asked: string[] = [];
  const loaded = await loadConfig({
    env: { TEC_CONFIG: "/etc/tec/config.yaml" },
    readTextFile: (p) => {
      asked.push(p);
      return Promise.resolve(MINIMAL);
    },
  });
  assert.deepEqual(asked, ["/etc/tec/config.yaml"]);
  assert.equal(loaded.origin, "/etc/tec/config.yaml");
});

Deno.test("an empty file uses built-in defaults for every key except the sources", async () => {
  const e = await configError("");
  assert.deepEqual(e.problems, [
    { key: "sources", message: "expected a list with at least one source" },
  ]);
});

// ---------------------------------------------------------------------------
// File errors

Deno.test("a YAML syntax error names its line and column", async () => {
  const dup = await configError("log:\n  level: info\nlog:\n  format: json\n");
  assert.equal(dup.problems.length, 1);
  assert.equal(dup.problems[0].key, "line 3, column 1");
  assert.match(dup.problems[0].message, /^YAML syntax error: /);
  assert.match(dup.message, /^invalid configuration in test\.yaml:\n {2}line 3, column 1: /);

  const tab = await configError("log:\n  level: info\n\tformat: json\n");
  assert.equal(tab.problems[0].key, "line 3, column 1");
  assert.match(tab.problems[0].message, /YAML syntax error: .*[Tt]ab/);
});

Deno.test("parseYaml returns the document for valid text", () => {
  assert.deepEqual(parseYaml("a: 1\nb: [x, y]\n", "t.yaml"), { a: 1, b: ["x", "y"] });
});

Deno.test("a top level that is not a mapping is rejected", async () => {
  const e = await configError("- a\n- b\n");
  assert.deepEqual(e.problems, [{ key: "(top level)", message: "expected a mapping of sections" }]);
});

Deno.test("an unknown key is rejected with its path", async () => {
  const e = await configError(MINIMAL + "database:\n  hots: db.example\n");
  assert.equal(e.problems.length, 1);
  assert.equal(e.problems[0].key, "database.hots");
  assert.match(e.problems[0].message, /^unknown key/);

  const top = await configError(MINIMAL + "Database:\n  host: x\n");
  assert.equal(top.problems[0].key, "Database");

  const src = await configError(MINIMAL + "    serch_type: NOM\n");
  assert.equal(src.problems[0].key, "sources[0].serch_type");
  assert.match(src.problems[0].message, /^unknown key/);
});

Deno.test("an unknown key near a known one suggests it", async () => {
  const cases: [string, string, string][] = [
    ["daemon:\n  histroy_days: 2\n", "daemon.histroy_days", "history_days"],
    ["database:\n  hots: db.example\n", "database.hots", "host"],
    ["Database:\n  host: x\n", "Database", "database"],
    ["    serch_type: NOM\n", "sources[0].serch_type", "search_type"],
    ["http:\n  timeout_second: 5\n", "http.timeout_second", "timeout_seconds"],
    ["health:\n  adr: 127.0.0.1:1\n", "health.adr", "addr"],
  ];
  for (const [text, key, near] of cases) {
    const e = await configError(MINIMAL + text);
    assert.deepEqual(e.problems, [{ key, message: `unknown key; did you mean ${near}?` }]);
  }
});

Deno.test("an unknown key near nothing lists the known keys", async () => {
  const e = await configError(MINIMAL + "database:\n  replica: db2\n");
  assert.deepEqual(e.problems, [{
    key: "database.replica",
    message: "unknown key (known keys here: connect_timeout_seconds, embedded_dir, engine, host, " +
      "lock_timeout_seconds, max_connections, name, password, port, schema, " +
      "statement_timeout_seconds, url, user)",
  }]);
});

Deno.test("the engine: a server once any connection key is set, embedded otherwise", async () => {
  const load = async (yaml: string, env: Record<string, string> = {}) =>
    (await loadConfig({ path: "test.yaml", env, readTextFile: serve(MINIMAL + yaml) })).config
      .database;
  assert.deepEqual([(await load("")).engine, (await load("")).embeddedDir], [
    "embedded",
    "./data/pg",
  ]);
  assert.equal((await load("data_dir: /srv/tec/\n")).embeddedDir, "/srv/tec/pg");
  assert.equal((await load("database:\n  embedded_dir: /x/store\n")).embeddedDir, "/x/store");
  for (const key of ["url: postgres://h/db", "host: db", "port: 5433", "name: x", "user: u"]) {
    assert.equal((await load(`database:\n  ${key}\n`)).engine, "server", key);
  }
  assert.equal((await load("", { DB_HOST: "db" })).engine, "server");
  assert.equal((await load("", { DATABASE_URL: "postgres://h/db" })).engine, "server");
  assert.equal((await load("database:\n  host: db\n", { DB_ENGINE: "server" })).engine, "server");
  assert.equal((await load("database:\n  engine: server\n")).engine, "server");
  assert.equal(
    (await load("", { DB_ENGINE: "embedded", DB_EMBEDDED_DIR: "/e" })).embeddedDir,
    "/e",
  );
  const e = await configError(MINIMAL + "database:\n  engine: embedded\n  host: db\n");
  assert.deepEqual(e.problems, [{
    key: "database.engine",
    message: "embedded takes no server settings, got host",
  }]);
  const bad = await configError(MINIMAL + "database:\n  engine: sqlite\n");
  assert.deepEqual(bad.problems, [{
    key: "database.engine",
    message: 'expected one of auto, server, embedded, got "sqlite"',
  }]);
});

Deno.test("a wrong type names the key, the value and what was expected", async () => {
  const e = await configError(MINIMAL + "database:\n  port: abc\n");
  assert.deepEqual(e.problems, [
    { key: "database.port", message: 'expected an integer from 1 to 65535, got "abc"' },
  ]);
  const e2 = await configError(MINIMAL + "http:\n  retry_attempts: 2.5\n");
  assert.deepEqual(e2.problems, [
    { key: "http.retry_attempts", message: "expected an integer from 1 to 20, got 2.5" },
  ]);
  const e3 = await configError(MINIMAL + "log:\n  level: loud\n");
  assert.deepEqual(e3.problems, [
    { key: "log.level", message: 'expected one of debug, info, warn, error, got "loud"' },
  ]);
  const e4 = await configError(MINIMAL + "    enabled: yes please\n");
  assert.deepEqual(e4.problems, [
    { key: "sources[0].enabled", message: 'expected true or false, got "yes please"' },
  ]);
});

Deno.test("every problem is reported at once", async () => {
  const e = await configError(
    "database:\n  port: 0\ntimezone: Mars/Base\nsources:\n  - name: x\n",
  );
  assert.deepEqual(e.problems.map((p) => p.key), [
    "database.port",
    "timezone",
    "sources[0].asset",
    "sources[0].base_url",
  ]);
});

Deno.test("a bad timezone is rejected naming it", async () => {
  const e = await configError(MINIMAL + "timezone: Mars/Base\n");
  assert.deepEqual(e.problems, [{
    key: "timezone",
    message: 'expected an IANA time zone name such as America/Chicago, got "Mars/Base"',
  }]);
});

Deno.test("bad source fields are rejected with their paths", async () => {
  const e = await configError(`sources:
  - name: tw
    asset: tw
    base_url: https://twtransfer.energytransfer.com/ipost
    cycles: [timely, 2]
`);
  assert.deepEqual([...new Set(e.problems.map((p) => p.key))], [
    "sources[0].cycles[1]",
    "sources[0].asset",
    "sources[0].base_url",
  ]);
  assert.deepEqual(e.problems[0], {
    key: "sources[0].cycles[1]",
    message: "expected a cycle (timely, evening, intraday1, intraday2, intraday3, final), got 2",
  });
  assert.ok(
    e.problems.some((p) =>
      p.key === "sources[0].asset" &&
      p.message === 'expected an upper-case asset code such as TW, got "tw"'
    ),
  );
  assert.ok(
    e.problems.some((p) =>
      p.key === "sources[0].base_url" &&
      p.message ===
        "expected an http(s) URL with host and no path, e.g. https://twtransfer.energytransfer.com, " +
          'got "https://twtransfer.energytransfer.com/ipost"'
    ),
  );
});

Deno.test("a source value that is present but invalid is not also reported as missing", async () => {
  // `asset: tw` is given: telling the user it is "required" contradicts the file.
  const e = await configError(`sources:
  - name: tw
    asset: tw
    base_url: https://twtransfer.energytransfer.com
`);
  assert.deepEqual(e.problems, [
    { key: "sources[0].asset", message: 'expected an upper-case asset code such as TW, got "tw"' },
  ]);
});

// ---------------------------------------------------------------------------
// Environment

Deno.test("environment overrides the file: DB_HOST, DB_PORT, LOG_LEVEL, HEALTH_ADDR, DATA_DIR", async () => {
  const c = await load(MINIMAL + "database:\n  host: filehost\n  port: 5433\n", {
    DB_HOST: "db.example",
    DB_PORT: "6543",
    DB_NAME: "tec",
    DB_USER: "tec_app",
    DB_SCHEMA: "tec",
    LOG_LEVEL: "DEBUG",
    LOG_FORMAT: "json",
    HEALTH_ADDR: "0.0.0.0:9090",
    DATA_DIR: "/var/lib/tec",
  });
  assert.equal(c.database.host, "db.example");
  assert.equal(c.database.port, 6543);
  assert.equal(c.database.name, "tec");
  assert.equal(c.database.user, "tec_app");
  assert.equal(c.database.schema, "tec");
  assert.equal(c.log.level, "debug");
  assert.equal(c.log.format, "json");
  assert.equal(c.health.addr, "0.0.0.0:9090");
  assert.equal(c.dataDir, "/var/lib/tec");
});

Deno.test("LOG_LEVEL=WARNING means warn; empty variables are ignored", async () => {
  const c = await load(MINIMAL + "database:\n  host: filehost\n", {
    LOG_LEVEL: "WARNING",
    DB_HOST: "",
  });
  assert.equal(c.log.level, "warn");
  assert.equal(c.database.host, "filehost");
});

Deno.test("environment overrides the built-in defaults too", async () => {
  const { config } = await loadConfig({
    readTextFile: noFile,
    env: { DB_HOST: "postgres", DB_PORT: "5432", LOG_LEVEL: "error" },
  });
  assert.equal(config.database.host, "postgres");
  assert.equal(config.database.port, 5432);
  assert.equal(config.log.level, "error");
});

Deno.test("DATABASE_URL is kept as a secret", async () => {
  const c = await load(MINIMAL, { DATABASE_URL: "postgres://tec:urlpass99@db:5432/tec" });
  assert.equal(c.database.url?.reveal(), "postgres://tec:urlpass99@db:5432/tec");
  assert.equal(String(c.database.url), "***");
  assert.ok(!JSON.stringify(c).includes("urlpass99"));
});

Deno.test("API_URL is applied to every source (trailing slash removed)", async () => {
  const c = await load(TWO_SOURCES, { API_URL: "http://127.0.0.1:8999/" });
  assert.deepEqual(c.sources.map((s) => [s.name, s.baseUrl]), [
    ["tw", "http://127.0.0.1:8999"],
    ["fgt", "http://127.0.0.1:8999"],
  ]);
});

Deno.test("an invalid environment value names the environment variable", async () => {
  const port = await configError(MINIMAL, { DB_PORT: "notaport" });
  assert.deepEqual(port.problems, [{
    key: "database.port (from environment DB_PORT)",
    message: 'expected an integer from 1 to 65535, got "notaport"',
  }]);
  const level = await configError(MINIMAL, { LOG_LEVEL: "LOUD" });
  assert.equal(level.problems[0].key, "log.level (from environment LOG_LEVEL)");
  const addr = await configError(MINIMAL, { HEALTH_ADDR: "nope" });
  assert.equal(addr.problems[0].key, "health.addr (from environment HEALTH_ADDR)");
  const api = await configError(TWO_SOURCES, { API_URL: "ftp://example" });
  assert.ok(api.problems.length >= 2);
  assert.equal(api.problems[0].key, "sources[0].base_url (from environment API_URL)");
  assert.ok(
    api.problems.some((p) => p.key === "sources[1].base_url (from environment API_URL)"),
    JSON.stringify(api.problems),
  );
  const url = await configError(MINIMAL, { DATABASE_URL: "mysql://u:pw@h/db" });
  assert.deepEqual(url.problems, [{
    key: "database.url (from environment DATABASE_URL)",
    message: "expected a postgres:// or postgresql:// URL",
  }]);
});

Deno.test("DB_PASSWORD never appears in errors, JSON, String() or inspect", async () => {
  const secret = "Tr0ub4dor&3-zq";
  const c = await load(MINIMAL, { DB_PASSWORD: secret });
  assert.equal(c.database.password?.reveal(), secret);
  assert.equal(String(c.database.password), "***");
  assert.equal(`${c.database.password}`, "***");
  assert.ok(!JSON.stringify(c).includes(secret));
  assert.ok(!Deno.inspect(c, { depth: 10 }).includes(secret));

  // Errors elsewhere in the same configuration do not print it.
  const e = await configError(MINIMAL + "database:\n  port: 0\n  hots: x\n", {
    DB_PASSWORD: secret,
    DB_PORT: "nope",
    DATABASE_URL: `mysql://u:${secret}@h/db`,
  });
  assert.ok(e.problems.length >= 3);
  assert.ok(!e.message.includes(secret), e.message);
  assert.ok(!JSON.stringify(e.problems).includes(secret));
});

Deno.test("a password in the file is a secret too", async () => {
  const c = await load(MINIMAL + "database:\n  password: filepass77\n");
  assert.equal(c.database.password?.reveal(), "filepass77");
  assert.ok(!JSON.stringify(c).includes("filepass77"));
});

// ---------------------------------------------------------------------------
// Lower-level pieces

Deno.test("ENV_OVERRIDES lists the old system's variables and the new ones", () => {
  assert.deepEqual(Object.keys(ENV_OVERRIDES).sort(), [
    "API_URL",
    "DASHBOARD_ADDR",
    "DATABASE_URL",
    "DATA_DIR",
    "DB_EMBEDDED_DIR",
    "DB_ENGINE",
    "DB_HOST",
    "DB_NAME",
    "DB_PASSWORD",
    "DB_PORT",
    "DB_SCHEMA",
    "DB_USER",
    "HEALTH_ADDR",
    "LOG_FORMAT",
    "LOG_LEVEL",
  ]);
});

Deno.test("applyEnv writes into sections, creating them when absent", () => {
  const doc: Record<string, unknown> = { sources: [{ name: "a" }, { name: "b" }] };
  const applied = applyEnv(doc, { DB_HOST: "h", API_URL: "http://x", DATA_DIR: "/d" });
  assert.deepEqual(doc, {
    sources: [{ name: "a", base_url: "http://x" }, { name: "b", base_url: "http://x" }],
    database: { host: "h" },
    data_dir: "/d",
  });
  assert.deepEqual([...applied].sort(), [
    ["data_dir", "DATA_DIR"],
    ["database.host", "DB_HOST"],
    ["sources.base_url", "API_URL"],
  ]);
});

Deno.test("buildConfig accepts cycles by code or label", () => {
  const c = buildConfig(
    {
      sources: [{
        asset: "TW",
        base_url: "https://twtransfer.energytransfer.com",
        cycles: [0, "Intraday 1", "final"],
      }],
    },
    "t",
  );
  assert.deepEqual(c.sources[0].cycles, ["timely", "intraday1", "final"]);
  assert.equal(c.sources[0].name, "source1");
});

Deno.test("config: a polled cycle the daemon window can never reach is a config error", async () => {
  const e = await configError(MINIMAL + "daemon:\n  history_days: 0\n");
  const p = e.problems.find((x) => x.key === "daemon.history_days");
  assert.ok(p, JSON.stringify(e.problems));
  assert.match(p.message, /"final".*source tw/);
  // Without Final in the cycles, a window of the current day alone is fine.
  const c = await load(
    MINIMAL + "    cycles: [timely, evening, intraday1]\ndaemon:\n  history_days: 0\n",
  );
  assert.equal(c.daemon.historyDays, 0);
});

Deno.test("config: a bad cron schedule names the key and the value", async () => {
  const e = await configError(MINIMAL + 'daemon:\n  schedule: "61 * * * *"\n');
  const p = e.problems.find((x) => x.key === "daemon.schedule");
  assert.ok(p, JSON.stringify(e.problems));
  assert.match(p.message, /"61 \* \* \* \*"/);
});

Deno.test("config: a schedule of the wrong shape is an error naming the value and the fields", async () => {
  const cases: [string, string][] = [
    ["*/5 * * *", "4 fields"],
    ["", "empty"],
    ["*/61 * * * *", "minute step 61 is out of range 1-59"],
    ["61 * * * *", "minute 61 is out of range 0-59"],
  ];
  for (const [schedule, why] of cases) {
    const e = await configError(MINIMAL + `daemon:\n  schedule: ${JSON.stringify(schedule)}\n`);
    assert.deepEqual(e.problems, [{
      key: "daemon.schedule",
      message: "expected a cron expression of 5 fields (minute hour day-of-month month " +
        'day-of-week, or 6 with seconds first) such as "*/5 * * * *", ' +
        `got ${JSON.stringify(schedule)} (${why})`,
    }]);
  }
  const six = await load(MINIMAL + 'daemon:\n  schedule: "*/15 * * * * *"\n');
  assert.equal(six.daemon.schedule, "*/15 * * * * *");
});

Deno.test("config: a bad schedule is reported even when the timezone is bad too", async () => {
  const e = await configError(MINIMAL + 'timezone: "+05:00"\ndaemon:\n  schedule: "* * *"\n');
  assert.deepEqual(e.problems.map((p) => p.key), ["timezone", "daemon.schedule"]);
});

Deno.test("config: a fixed-offset timezone is refused, saying DST needs a named zone", async () => {
  for (const tz of ["+05:00", "-0600", "Etc/GMT+6"]) {
    const e = await configError(MINIMAL + `timezone: ${JSON.stringify(tz)}\n`);
    assert.equal(e.problems.length, 1, tz);
    assert.equal(e.problems[0].key, "timezone");
    assert.equal(
      e.problems[0].message,
      `expected an IANA time zone name such as America/Chicago, got ${JSON.stringify(tz)}, ` +
        "a fixed UTC offset: the gas day follows daylight saving time, which needs a named " +
        "zone (UTC is fine)",
    );
  }
  const abbr = await configError(MINIMAL + "timezone: EST\n");
  assert.match(abbr.problems[0].message, /got "EST": an abbreviation or legacy name/);
  for (const tz of ["UTC", "Etc/UTC", "America/Chicago"]) {
    assert.equal((await load(MINIMAL + `timezone: ${tz}\n`)).timezone, tz);
  }
});

Deno.test("config: health.addr is parsed at load time; port 0 is allowed", async () => {
  const e = await configError(MINIMAL + 'health:\n  addr: "0.0.0.0:70000"\n');
  assert.deepEqual(e.problems, [{
    key: "health.addr",
    message: "expected host:port such as 0.0.0.0:8080, 127.0.0.1:0 or [::1]:8080, " +
      'got "0.0.0.0:70000" (port 70000 out of range 0-65535)',
  }]);
  const env = await configError(MINIMAL, { HEALTH_ADDR: "[::1]:99999" });
  assert.equal(env.problems[0].key, "health.addr (from environment HEALTH_ADDR)");
  assert.match(env.problems[0].message, /port 99999 out of range/);
  const bad = await configError(MINIMAL + "health:\n  addr: ::1:8080\n");
  assert.match(bad.problems[0].message, /IPv6 addresses must be in brackets/);
  for (const addr of ["127.0.0.1:0", "[::1]:8080", "localhost:65535"]) {
    assert.equal((await load(MINIMAL + `health:\n  addr: "${addr}"\n`)).health.addr, addr);
  }
});

Deno.test("ConfigError.lines: one self-contained line per problem", async () => {
  const e = await configError(
    MINIMAL + 'timezone: "-0600"\ndaemon:\n  schedule: "*/5 * * *"\n',
    { DB_PORT: "nope" },
  );
  const lines = e.lines();
  assert.equal(lines.length, 3);
  assert.equal(
    lines[0],
    'test.yaml: database.port (from environment DB_PORT): expected an integer from 1 to 65535, got "nope"',
  );
  assert.ok(lines[1].startsWith("test.yaml: timezone: expected an IANA time zone name"), lines[1]);
  assert.ok(lines[2].startsWith("test.yaml: daemon.schedule: expected a cron expression"));
  for (const l of lines) assert.ok(!/[\r\n]/.test(l), l);
  // The message keeps its multi-line form for callers that print it whole.
  assert.match(e.message, /^invalid configuration in test\.yaml:\n {2}database\.port/);
  assert.equal(e.origin, "test.yaml");
});

Deno.test("ConfigError.lines: a line break inside a message becomes a space", () => {
  const e = new ConfigError("c.yaml", [{ key: "k", message: "first\n  second\r\nthird" }]);
  assert.deepEqual(e.lines(), ["c.yaml: k: first second third"]);
});

Deno.test("dashboard: addr is health, off or host:port; low_oac_share a share from 0 to 1", async () => {
  const bad = await configError(
    `${MINIMAL}\ndashboard:\n  addr: "nowhere"\n  low_oac_share: 5\n`,
    {},
  );
  assert.deepEqual(bad.problems.map((p) => p.key), ["dashboard.addr", "dashboard.low_oac_share"]);
  assert.match(bad.problems[0].message, /^expected health, off or host:port/);
  const env = await configError(MINIMAL, { DASHBOARD_ADDR: "127.0.0.1:99999" });
  assert.equal(env.problems[0].key, "dashboard.addr (from environment DASHBOARD_ADDR)");
  for (const addr of ["health", "off", "127.0.0.1:9091"]) {
    const { config } = await loadConfig({
      path: "x.yaml",
      readTextFile: () => Promise.resolve(`${MINIMAL}\ndashboard:\n  addr: "${addr}"\n`),
    });
    assert.equal(config.dashboard.addr, addr);
  }
});

/**
 * Locate, parse and validate the configuration, with environment overrides.
 *
 * Precedence: environment > file > built-in defaults. The built-in defaults are
 * the repository's `config.yaml`, embedded at build time so the compiled binary
 * reads nothing that lives beside its sources.
 *
 * @module
 */
import { parseDocument } from "yaml";
import embeddedDefaults from "../../config.yaml" with { type: "text" };
import { buildConfig, type Config } from "./schema.ts";
import { ConfigError } from "./validate.ts";

/** Environment variables that override the file, and the key each one sets. */
export const ENV_OVERRIDES: Readonly<Record<string, string>> = Object.freeze({
  DATABASE_URL: "database.url",
  DB_HOST: "database.host",
  DB_PORT: "database.port",
  DB_NAME: "database.name",
  DB_USER: "database.user",
  DB_PASSWORD: "database.password",
  DB_SCHEMA: "database.schema",
  DB_ENGINE: "database.engine",
  DB_EMBEDDED_DIR: "database.embedded_dir",
  LOG_LEVEL: "log.level",
  LOG_FORMAT: "log.format",
  DATA_DIR: "data_dir",
  HEALTH_ADDR: "health.addr",
  DASHBOARD_ADDR: "dashboard.addr",
  API_URL: "sources[*].base_url",
});

/** Where the configuration came from. */
export interface LoadedConfig {
  /** The validated configuration. */
  config: Config;
  /** The file read, or `(built-in defaults)`. */
  origin: string;
}

/** Options for {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /** A path given on the command line; it must exist. */
  path?: string;
  /** Environment to read (defaults to nothing: callers pass `Deno.env.toObject()`). */
  env?: Record<string, string | undefined>;
  /** Reads a file as text (injectable for tests). */
  readTextFile?: (path: string) => Promise<string>;
}

/**
 * Parse YAML text, turning a syntax error into a {@linkcode ConfigError} that
 * names the file, line and column.
 */
export function parseYaml(text: string, origin: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      origin,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const where = pos ? `line ${pos.line}, column ${pos.col}` : "(unknown position)";
        return {
          key: where,
          message: `YAML syntax error: ${
            e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")
          }`,
        };
      }),
    );
  }
  return doc.toJS();
}

function setPath(doc: Record<string, unknown>, path: string, value: string): void {
  const [section, key] = path.includes(".") ? path.split(".", 2) : [undefined, path];
  if (section === undefined) {
    doc[key] = value;
    return;
  }
  if (section === "sources[*]") {
    const sources = doc.sources;
    if (Array.isArray(sources)) {
      for (const s of sources) {
        if (s && typeof s === "object") (s as Record<string, unknown>)[key] = value;
      }
    }
    return;
  }
  const cur = doc[section];
  // A section that is not a mapping stays as written, so validation reports it.
  if (cur !== undefined && cur !== null && (typeof cur !== "object" || Array.isArray(cur))) return;
  const obj = (cur ?? {}) as Record<string, unknown>;
  obj[key] = value;
  doc[section] = obj;
}

/**
 * Apply environment overrides to a parsed document (in place) and return the
 * names that were applied, keyed by the config key they set.
 */
export function applyEnv(
  doc: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Map<string, string> {
  const applied = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    let value = env[name];
    if (value === undefined || value === "") continue;
    if (name === "LOG_LEVEL") {
      value = value.toLowerCase() === "warning" ? "warn" : value.toLowerCase();
    }
    setPath(doc, path, value);
    applied.set(path.replace("[*]", ""), name);
  }
  return applied;
}

/**
 * Load the configuration: `opts.path` if given (it must exist), else
 * `config.yaml` in the working directory if present, else the built-in
 * defaults; then environment overrides; then validation.
 *
 * @throws {ConfigError} naming the file, key, value and what was expected
 */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const read = opts.readTextFile ?? ((p: string) => Deno.readTextFile(p));
  const env = opts.env ?? {};
  let text: string;
  let origin: string;
  const path = opts.path ?? env.TEC_CONFIG;
  if (path) {
    try {
      text = await read(path);
    } catch (e) {
      throw new ConfigError(path, [{
        key: "(file)",
        message: `cannot read the configuration file: ${(e as Error).message}`,
      }]);
    }
    origin = path;
  } else {
    try {
      text = await read("config.yaml");
      origin = "config.yaml";
    } catch (e) {
      // Absent, or outside the binary's read grant: the built-in defaults apply.
      if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotCapable)) throw e;
      text = embeddedDefaults;
      origin = "(built-in defaults)";
    }
  }
  const parsed = parseYaml(text, origin);
  const doc: Record<string, unknown> =
    parsed && typeof parsed === "object" && !Array.isArray(parsed)
      ? parsed as Record<string, unknown>
      : parsed === null || parsed === undefined
      ? {}
      : (() => {
        throw new ConfigError(origin, [{
          key: "(top level)",
          message: "expected a mapping of sections",
        }]);
      })();
  const fromEnv = applyEnv(doc, env);
  try {
    return { config: buildConfig(doc, origin), origin };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(
      origin,
      e.problems.map((p) => {
        const bare = p.key.replace(/\[\d+\]/, "");
        const name = fromEnv.get(bare);
        return name ? { key: `${p.key} (from environment ${name})`, message: p.message } : p;
      }),
    );
  }
}

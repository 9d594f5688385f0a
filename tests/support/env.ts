/**
 * Helpers shared by tests: samples, temp dirs, a quiet logger.
 *
 * @module
 */
import type { DatabaseConfig } from "../../src/config/schema.ts";
import { Logger } from "../../src/log/logger.ts";

/** Folder of the real published files, when the workplace provides it. */
export const SAMPLES = new URL("../../../shared/samples/energy-transfer/", import.meta.url);

/**
 * Why the real samples cannot be used, or `undefined` when they can: only a
 * samples folder that does not exist at all (a clone outside the workplace)
 * is a reason to skip. Name tests that depend on it with this reason, so an
 * ignored test says why.
 */
export async function samplesAbsent(): Promise<string | undefined> {
  try {
    await Deno.stat(SAMPLES);
    return undefined;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return `no samples folder at ${SAMPLES.pathname}`;
    throw e;
  }
}

/**
 * Read a real sample; `undefined` only when the samples folder is absent
 * entirely. With the folder present, a missing or unreadable file throws (a
 * test that expects it fails instead of silently skipping).
 */
export async function readSample(name: string): Promise<Uint8Array | undefined> {
  if (await samplesAbsent()) return undefined;
  try {
    return await Deno.readFile(new URL(name, SAMPLES));
  } catch (e) {
    throw new Error(
      `sample ${name}: the samples folder ${SAMPLES.pathname} exists but the file cannot be read ` +
        `(${(e as Error).name}: ${(e as Error).message})`,
      { cause: e },
    );
  }
}

/** Read a project fixture. */
export function readFixture(name: string): Promise<Uint8Array> {
  return Deno.readFile(new URL(`../fixtures/${name}`, import.meta.url));
}

/** Path of a project fixture. */
export function fixturePath(name: string): string {
  return new URL(`../fixtures/${name}`, import.meta.url).pathname;
}

/** A logger that keeps its lines in memory. */
export function memoryLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = new Logger({ level: "debug", format: "json", write: (l) => lines.push(l) });
  return { log, lines };
}

/**
 * Write the repository's `config.yaml` into `dir` with some `key: value`
 * lines replaced (e.g. `{ requests_per_minute: "6000" }`); returns its path.
 */
export async function writeConfig(dir: string, values: Record<string, string>): Promise<string> {
  let text = await Deno.readTextFile(new URL("../../config.yaml", import.meta.url));
  for (const [key, value] of Object.entries(values)) {
    const re = new RegExp(`^([ \\t]*${key}:)[^#\\n]*?([ \\t]+#.*)?$`, "m");
    if (!re.test(text)) throw new Error(`config.yaml has no key ${key}`);
    text = text.replace(re, (_m, k: string, comment?: string) => `${k} ${value}${comment ?? ""}`);
  }
  const path = `${dir}/config.yaml`;
  await Deno.writeTextFile(path, text);
  return path;
}

/**
 * The environment a test run of the program gets: the fake site, a test
 * database, a data directory, an OS-chosen health port and JSON logs.
 */
export function programEnv(
  o: { apiUrl: string; db: DatabaseConfig; dataDir: string },
): Record<string, string> {
  const db: Record<string, string> = o.db.engine === "embedded"
    // No server key: the engine is embedded by default, and a test's DB_PORT switches it.
    ? { DB_EMBEDDED_DIR: o.db.embeddedDir! }
    : {
      DB_HOST: o.db.host,
      DB_PORT: String(o.db.port),
      DB_NAME: o.db.name,
      DB_USER: o.db.user,
    };
  return {
    API_URL: o.apiUrl,
    ...db,
    DATA_DIR: o.dataDir,
    HEALTH_ADDR: "127.0.0.1:0",
    LOG_FORMAT: "json",
  };
}

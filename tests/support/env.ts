/**
 * Helpers shared by tests: samples, temp dirs, a quiet logger.
 *
 * @module
 */
import { Logger } from "../../src/log/logger.ts";

/** Folder of the real published files, when the workplace provides it. */
export const SAMPLES = new URL("../../../shared/samples/energy-transfer/", import.meta.url);

/** Read a real sample, or `undefined` when the folder is absent. */
export async function readSample(name: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(new URL(name, SAMPLES));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
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

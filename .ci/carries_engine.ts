/**
 * Proves a compiled binary carries the embedded engine's files: PGlite's
 * WebAssembly (`pglite.wasm`, `initdb.wasm`) and its file-system image
 * (`pglite.data`), byte for byte. The binary cannot be run here (its
 * `denort` runtime is the installed `deno`, see compile_check.sh), so this
 * looks for each file's bytes in it: a start, a middle and an end slice of
 * 64 KiB, each found once, in order, at the file's length apart.
 *
 * Usage: `deno run --allow-read --allow-run .ci/carries_engine.ts BINARY`
 *
 * @module
 */
import { Buffer } from "node:buffer";

const SLICE = 64 * 1024;
const FILES = ["pglite.wasm", "initdb.wasm", "pglite.data"];

const binary = Deno.args[0];
if (!binary) throw new Error("usage: carries_engine.ts BINARY");
const config = JSON.parse(await Deno.readTextFile("deno.json"));
const spec = String(config.imports["@electric-sql/pglite"]);
const version = spec.match(/@(\d+\.\d+\.\d+)$/)?.[1];
if (!version) throw new Error(`deno.json: @electric-sql/pglite is not pinned: ${spec}`);
const info = await new Deno.Command("deno", { args: ["info", "--json"], stdout: "piped" }).output();
const npmCache = JSON.parse(new TextDecoder().decode(info.stdout)).npmCache as string;
const dist = `${npmCache}/registry.npmjs.org/@electric-sql/pglite/${version}/dist`;

const haystack = Buffer.from(await Deno.readFile(binary));
let failed = false;
for (const name of FILES) {
  const file = Buffer.from(await Deno.readFile(`${dist}/${name}`));
  const at = haystack.indexOf(file.subarray(0, SLICE));
  const mid = Math.floor(file.length / 2);
  const whole = at >= 0 &&
    haystack.subarray(at + mid, at + mid + SLICE).equals(file.subarray(mid, mid + SLICE)) &&
    haystack.subarray(at + file.length - SLICE, at + file.length)
      .equals(file.subarray(file.length - SLICE));
  console.log(
    `${whole ? "PASS" : "FAIL"}  ${name} (${file.length} bytes) ${
      whole ? `at offset ${at}` : "not carried whole"
    }`,
  );
  failed ||= !whole;
}
if (failed) Deno.exit(1);

/**
 * `deno task compile`: type-check, then `deno compile` with the permissions
 * and V8 flags of `src/app/permissions.ts`.
 *
 * The type check runs first, in its own process, because `deno compile`
 * applies `--v8-flags` to itself as well as baking them into the binary: with
 * the 64 MB heap the program runs under, the compiler's own type check dies
 * out of memory. So the check runs unbounded and the compile runs with
 * `--no-check`.
 *
 * Usage:
 *   deno task compile [--output PATH]     build ./tec-pipeline (or PATH)
 *   deno task compile --print-flags       print the run-time flags, one per line
 *
 * `deno compile` downloads its `denort` runtime unless `DENORT_BIN` names one.
 *
 * The test, spec and example folders of the npm packages are left out of the
 * binary: nothing imports them, and one of them breaks the compile (Deno
 * 2.9.6 overflows its stack embedding `bintrees`' `test/perf/100k`, a 2 MB
 * list of numbers that it parses as one expression of 200,000 operands;
 * bintrees comes with prom-client, through tdigest). Packages only the tests
 * use ({@linkcode TEST_ONLY_PACKAGES}) are left out whole.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { runtimeFlags } from "../src/app/permissions.ts";

const ENTRY = "src/main.ts";
const UNUSED_DIRS = ["test", "tests", "spec", "specs", "example", "examples", "benchmark"];
/** Packages only the tests use (the browser tests' driver): never shipped. */
export const TEST_ONLY_PACKAGES = ["playwright-core"];

/** Where Deno keeps npm packages (`deno info --json`'s `npmCache`). */
async function npmCache(): Promise<string> {
  const { stdout } = await new Deno.Command("deno", { args: ["info", "--json"] }).output();
  return JSON.parse(new TextDecoder().decode(stdout)).npmCache;
}

/** `--exclude` flags for the unused folders of every locked npm package. */
async function excludes(): Promise<string[]> {
  const lock = JSON.parse(await Deno.readTextFile("deno.lock"));
  const root = `${await npmCache()}/registry.npmjs.org`;
  const out: string[] = [];
  for (const key of Object.keys(lock.npm ?? {})) {
    const at = key.lastIndexOf("@");
    const dir = `${root}/${key.slice(0, at)}/${key.slice(at + 1).split("_")[0]}`;
    if (TEST_ONLY_PACKAGES.includes(key.slice(0, at))) {
      out.push("--exclude", dir);
      continue;
    }
    for (const sub of UNUSED_DIRS) {
      const path = `${dir}/${sub}`;
      if (await Deno.stat(path).then((i) => i.isDirectory, () => false)) {
        out.push("--exclude", path);
      }
    }
  }
  return out;
}

async function deno(args: string[]): Promise<void> {
  const { code } = await new Deno.Command("deno", {
    args,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`compile: deno ${args[0]} failed (exit ${code})`);
    Deno.exit(code);
  }
}

async function compile(output: string): Promise<void> {
  await deno(["check", "--frozen", ENTRY]);
  await deno([
    "compile",
    "--frozen",
    "--no-check",
    "--no-code-cache",
    ...runtimeFlags(),
    ...(await excludes()),
    "--output",
    output,
    ENTRY,
  ]);
  const { size } = await Deno.stat(output);
  console.error(`compile: wrote ${output} (${(size / 1e6).toFixed(1)} MB)`);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      output: { type: "string", default: "tec-pipeline" },
      "print-flags": { type: "boolean", default: false },
    },
  });
  if (values["print-flags"]) console.log(runtimeFlags().join("\n"));
  else await compile(values.output);
}

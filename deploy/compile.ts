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
 * @module
 */
import { parseArgs } from "node:util";
import { runtimeFlags } from "../src/app/permissions.ts";

const ENTRY = "src/main.ts";

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

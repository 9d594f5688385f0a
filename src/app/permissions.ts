/**
 * The permissions and V8 flags the compiled binary bakes in: defined once,
 * here. `deploy/compile.ts` (the `compile` task, also run by the Dockerfile)
 * compiles with them, CI runs the bundle under exactly them, and the start-up
 * checks name them when a configured path falls outside.
 *
 * Relative paths are resolved against the working directory at run time, as
 * Deno does for baked permissions: `data` is `./data` wherever the binary is
 * started, `/app/config.yaml` in the container (working directory `/app`).
 *
 * @module
 */

/** V8 flags: a bounded heap, so memory stays flat however large a file is. */
export const RUNTIME_V8_FLAGS: readonly string[] = Object.freeze([
  "--max-old-space-size=64",
  "--max-semi-space-size=8",
]);

/** Paths the binary may read. */
export const READ_PATHS: readonly string[] = Object.freeze([
  "config.yaml",
  "data",
  "/etc/tec-pipeline/config.yaml",
  "/var/lib/tec-pipeline",
]);

/** Paths the binary may write (the data directory: raw archive, and nothing else). */
export const WRITE_PATHS: readonly string[] = Object.freeze([
  "data",
  "/var/lib/tec-pipeline",
]);

/**
 * The run-time flags of the binary, for `deno run` or `deno compile`:
 * `--no-prompt` turns a missing permission into an immediate error instead of
 * an interactive question (under `docker run -it`, say).
 *
 * @example
 * ```ts
 * import { runtimeFlags } from "./permissions.ts";
 * const args = ["run", ...runtimeFlags(), "dist/tec-pipeline.js", "--version"];
 * ```
 */
export function runtimeFlags(): string[] {
  return [
    "--no-prompt",
    `--v8-flags=${RUNTIME_V8_FLAGS.join(",")}`,
    "--allow-net",
    "--allow-env",
    `--allow-read=${READ_PATHS.join(",")}`,
    `--allow-write=${WRITE_PATHS.join(",")}`,
  ];
}

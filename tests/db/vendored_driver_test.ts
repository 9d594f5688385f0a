/**
 * The vendored postgres.js is the npm package but for the hunks of
 * `vendor/postgres/tec-pipeline.patch` (see vendor/postgres/README.md).
 */
import assert from "node:assert/strict";

const VENDOR = new URL("../../vendor/postgres/", import.meta.url).pathname;

async function npmCache(): Promise<string> {
  const { stdout } = await new Deno.Command("deno", { args: ["info", "--json"] }).output();
  return JSON.parse(new TextDecoder().decode(stdout)).npmCache;
}

async function diff(upstream: string, dir: string): Promise<string> {
  const { stdout } = await new Deno.Command("git", {
    args: ["diff", "--no-index", "--no-color", `${upstream}/${dir}`, dir],
    cwd: VENDOR,
  }).output();
  return new TextDecoder().decode(stdout).replaceAll(`a${upstream}/`, "a/");
}

Deno.test("vendored driver: the npm package postgres@3.4.9 plus exactly the documented patch", async () => {
  const upstream = `${await npmCache()}/registry.npmjs.org/postgres/3.4.9`;
  const tmp = await Deno.makeTempDir();
  try {
    // A copy with a short path, so the diff's headers read as the patch file's.
    for (const dir of ["src", "types"]) {
      await new Deno.Command("cp", { args: ["-r", `${upstream}/${dir}`, tmp] }).output();
    }
    const actual = (await diff(tmp, "src")) + (await diff(tmp, "types"));
    const expected = await Deno.readTextFile(`${VENDOR}tec-pipeline.patch`);
    assert.equal(actual, expected);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

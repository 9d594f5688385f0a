/**
 * An initialised, empty embedded store to copy for each test (initdb takes
 * seconds; a copy of its 40 MB takes milliseconds). Made once per machine and
 * PGlite version under the temp directory, atomically (built aside, then
 * renamed), so parallel test processes share it safely.
 *
 * @module
 */
import { PGlite } from "@electric-sql/pglite";
import denoJson from "../../deno.json" with { type: "json" };

let made: Promise<string> | undefined;

/** Path of the template store (created on first use). */
export function embeddedTemplate(): Promise<string> {
  made ??= make();
  return made;
}

async function make(): Promise<string> {
  const version = denoJson.imports["@electric-sql/pglite"].replace(/[^0-9.]/g, "");
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  const path = `${tmp}/tec-pipeline-pglite-template-${version}`;
  if (await exists(`${path}/PG_VERSION`)) return path;
  const building = `${path}.building-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const pg = await PGlite.create({ dataDir: building });
  await pg.close();
  try {
    await Deno.rename(building, path);
  } catch (e) {
    // Another process finished first: its template is as good.
    await Deno.remove(building, { recursive: true }).catch(() => {});
    if (!(await exists(`${path}/PG_VERSION`))) throw e;
  }
  return path;
}

function exists(p: string): Promise<boolean> {
  return Deno.stat(p).then(() => true, () => false);
}

/**
 * The fake ipost server as a process, for checks that run the bundled
 * program: `deno run -A tests/support/serve_fake.ts ASSET|YYYY-MM-DD|CODE=FILE ...`
 * prints its base URL on the first line of standard output and serves each
 * file for its pair (every other pair answers "not posted") until killed.
 *
 * @module
 */
import { startFakeIpost } from "./fake_ipost.ts";

if (import.meta.main) {
  const fake = startFakeIpost();
  for (const arg of Deno.args) {
    const eq = arg.indexOf("=");
    if (eq < 0) throw new Error(`expected ASSET|YYYY-MM-DD|CODE=FILE, got ${arg}`);
    fake.script(arg.slice(0, eq), [{ kind: "csv", body: await Deno.readFile(arg.slice(eq + 1)) }]);
  }
  console.log(fake.url);
  const stop = () => fake.close().then(() => Deno.exit(0));
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
}

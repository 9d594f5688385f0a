import assert from "node:assert/strict";
import { StatusLine } from "../../src/log/status_line.ts";

Deno.test("status line: log lines print above the bar, which is redrawn below them", () => {
  let out = "";
  const s = new StatusLine({ write: (t) => (out += t) });
  s.log("before any bar");
  s.set("[#---] 1/4");
  s.log("a log line");
  s.set("[##--] 2/4");
  s.done();
  s.log("after the bar");
  assert.equal(
    out,
    "before any bar\n" +
      "\r\x1b[2K[#---] 1/4" +
      "\r\x1b[2Ka log line\n[#---] 1/4" +
      "\r\x1b[2K[##--] 2/4" +
      "\n" +
      "after the bar\n",
  );
  // What a terminal shows: each log line whole, on its own line; the last bar kept.
  const screen = out.split("\n").map((l) => l.split("\r\x1b[2K").at(-1));
  assert.deepEqual(screen, ["before any bar", "a log line", "[##--] 2/4", "after the bar", ""]);
});

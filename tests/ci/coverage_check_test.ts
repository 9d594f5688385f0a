import assert from "node:assert/strict";
import { lineTotals } from "../../.ci/coverage_check.ts";

const LCOV = [
  "SF:/repo/src/a.ts",
  "DA:1,1",
  "LF:10",
  "LH:9",
  "end_of_record",
  "SF:/repo/tests/support/db.ts",
  "LF:50",
  "LH:0",
  "end_of_record",
  "SF:/repo/src/b/c.ts",
  "LF:30",
  "LH:15",
  "end_of_record",
  "",
].join("\n");

Deno.test("coverage check: only files under the prefix count toward the line total", () => {
  assert.deepEqual(lineTotals(LCOV, "/repo/src/"), { found: 40, hit: 24, files: 2 });
  assert.deepEqual(lineTotals(LCOV, "/elsewhere/"), { found: 0, hit: 0, files: 0 });
});

import assert from "node:assert/strict";
import { cycleChoices, CYCLES, findCycle } from "../../src/domain/cycles.ts";

Deno.test("the six cycles with Energy Transfer's codes and labels, in posting order", () => {
  assert.deepEqual(
    CYCLES.map((c) => [c.id, c.code, c.label]),
    [
      ["timely", 0, "Timely"],
      ["evening", 1, "Evening"],
      ["intraday1", 3, "Intraday 1"],
      ["intraday2", 4, "Intraday 2"],
      ["intraday3", 7, "Intraday 3"],
      ["final", 5, "Final"],
    ],
  );
  assert.ok(Object.isFrozen(CYCLES));
});

Deno.test("findCycle by code", () => {
  const byCode: [string, string][] = [
    ["0", "Timely"],
    ["1", "Evening"],
    ["3", "Intraday 1"],
    ["4", "Intraday 2"],
    ["7", "Intraday 3"],
    ["5", "Final"],
  ];
  for (const [code, label] of byCode) assert.equal(findCycle(code)?.label, label, code);
});

Deno.test("findCycle: unused and unknown codes are undefined", () => {
  for (const bad of ["2", "6", "8", "00", "10", "", " "]) {
    assert.equal(findCycle(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("findCycle: a signed or decorated code is not a cycle", () => {
  // Separators are ignored inside names ("Intraday-1"), but "-1" is not code 1.
  for (const bad of ["-1", "-0", "_5", "7-"]) {
    assert.equal(findCycle(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("findCycle by id and label, ignoring case, spaces, _ and -", () => {
  const spellings: [string, number][] = [
    ["timely", 0],
    ["Timely", 0],
    ["TIMELY", 0],
    [" Evening ", 1],
    ["intraday1", 3],
    ["Intraday 1", 3],
    ["INTRADAY 1", 3],
    ["intraday_1", 3],
    ["Intraday-2", 4],
    ["intraday  3", 7],
    ["final", 5],
    ["Final", 5],
  ];
  for (const [text, code] of spellings) assert.equal(findCycle(text)?.code, code, text);
});

Deno.test("findCycle: names that are not cycles are undefined", () => {
  for (const bad of ["intraday", "intraday4", "intraday 0", "late", "finals"]) {
    assert.equal(findCycle(bad), undefined, bad);
  }
});

Deno.test("cycleChoices lists code|id pairs for messages", () => {
  assert.equal(
    cycleChoices(),
    "0|timely, 1|evening, 3|intraday1, 4|intraday2, 7|intraday3, 5|final",
  );
});

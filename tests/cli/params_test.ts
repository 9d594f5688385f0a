import assert from "node:assert/strict";
import {
  cartesian,
  expandParams,
  MAX_COMBINATIONS,
  PARAM_KEYS,
  parseParamTokens,
  UsageError,
  validateCombo,
} from "../../src/cli/params.ts";

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${e}`);
    assert.equal(e.name, "UsageError");
    return e;
  }
  assert.fail("expected a UsageError");
}

Deno.test("cycle=1 (the old README's example) works", () => {
  const combos = expandParams(["cycle=1"]);
  assert.equal(combos.length, 1);
  assert.deepEqual(combos[0].cycle, { id: "evening", code: 1, label: "Evening" });
  assert.equal(combos[0].gasDay, undefined);
  assert.deepEqual(combos[0].request, {});
});

Deno.test("no tokens: one empty combination", () => {
  assert.deepEqual(expandParams([]), [{ request: {} }]);
});

Deno.test("parseParamTokens: single values and [A,B] lists", () => {
  const m = parseParamTokens(["cycle=[0, 5]", "gasDay=2024-01-17", "searchString="]);
  assert.deepEqual([...m], [
    ["cycle", ["0", "5"]],
    ["gasDay", ["2024-01-17"]],
    ["searchString", [""]],
  ]);
});

Deno.test("parseParamTokens: repeated list items are kept once", () => {
  assert.deepEqual(parseParamTokens(["cycle=[0,0,5]"]).get("cycle"), ["0", "5"]);
});

Deno.test("[A,B] on two keys expands to every combination, first key slowest", () => {
  const combos = expandParams(["gasDay=[2024-01-16,2024-01-17]", "cycle=[0,5]"]);
  assert.equal(combos.length, 4);
  assert.deepEqual(
    combos.map((c) => [c.gasDay, c.cycle?.code]),
    [
      ["2024-01-16", 0],
      ["2024-01-16", 5],
      ["2024-01-17", 0],
      ["2024-01-17", 5],
    ],
  );
});

Deno.test("cartesian: three keys of sizes 2, 3 and 1 give 6 combinations", () => {
  const combos = cartesian(
    new Map([
      ["a", ["1", "2"]],
      ["b", ["x", "y", "z"]],
      ["c", ["k"]],
    ]),
  );
  assert.deepEqual(combos, [
    { a: "1", b: "x", c: "k" },
    { a: "1", b: "y", c: "k" },
    { a: "1", b: "z", c: "k" },
    { a: "2", b: "x", c: "k" },
    { a: "2", b: "y", c: "k" },
    { a: "2", b: "z", c: "k" },
  ]);
  assert.deepEqual(cartesian(new Map()), [{}]);
});

Deno.test("gasDay in YYYY-MM-DD and MM/DD/YYYY", () => {
  assert.equal(expandParams(["gasDay=2024-01-17"])[0].gasDay, "2024-01-17");
  assert.equal(expandParams(["gasDay=01/17/2024"])[0].gasDay, "2024-01-17");
  assert.equal(expandParams(["gasDay=2/29/2024"])[0].gasDay, "2024-02-29");
});

Deno.test("malformed gas days are rejected naming the value and both forms", () => {
  for (const bad of ["2024-1-17", "2024/01/17", "yesterday", ""]) {
    const e = usageError(() => expandParams([`gasDay=${bad}`]));
    assert.ok(e.message.includes(`got ${JSON.stringify(bad)}`), e.message);
    assert.match(e.message, /^--params gasDay: expected a date as YYYY-MM-DD or MM\/DD\/YYYY/);
  }
});

Deno.test("a gas day that does not exist is called that, saying why", () => {
  const cases: [string, string][] = [
    ["2024-02-30", "February 2024 has 29 days"],
    ["02/30/2024", "February 2024 has 29 days"],
    ["2023-02-29", "February 2023 has 28 days"],
    ["13/01/2024", "there is no month 13"],
  ];
  for (const [bad, why] of cases) {
    const e = usageError(() => expandParams([`gasDay=${bad}`]));
    assert.ok(
      e.message.startsWith(`--params gasDay: ${JSON.stringify(bad)} is not a date: ${why}`),
      e.message,
    );
  }
});

Deno.test("an invalid value inside a list is rejected", () => {
  const e = usageError(() => expandParams(["gasDay=[2024-01-17,2024-02-30]"]));
  assert.match(e.message, /"2024-02-30"/);
});

Deno.test("cycle codes and names", () => {
  const cases: [string, number, string][] = [
    ["0", 0, "Timely"],
    ["1", 1, "Evening"],
    ["3", 3, "Intraday 1"],
    ["4", 4, "Intraday 2"],
    ["7", 7, "Intraday 3"],
    ["5", 5, "Final"],
    ["timely", 0, "Timely"],
    ["evening", 1, "Evening"],
    ["intraday1", 3, "Intraday 1"],
    ["intraday2", 4, "Intraday 2"],
    ["intraday3", 7, "Intraday 3"],
    ["final", 5, "Final"],
    ["Intraday 1", 3, "Intraday 1"],
    ["FINAL", 5, "Final"],
  ];
  for (const [text, code, label] of cases) {
    const c = validateCombo({ cycle: text }).cycle;
    assert.equal(c?.code, code, text);
    assert.equal(c?.label, label, text);
  }
  assert.deepEqual(
    expandParams(["cycle=[timely,Intraday 1,5]"]).map((c) => c.cycle?.code),
    [0, 3, 5],
  );
});

Deno.test("cycle codes 2, 6 and 8 (unused) and unknown names are rejected naming the value", () => {
  for (const bad of ["2", "6", "8", "intraday4", "Intraday", ""]) {
    const e = usageError(() => expandParams([`cycle=${bad}`]));
    assert.ok(e.message.includes(`got ${JSON.stringify(bad)}`), e.message);
    assert.ok(e.message.startsWith("--params cycle: expected one of 0|timely"), e.message);
  }
});

Deno.test("other parameters pass through to the request; searchType is upper-cased", () => {
  const [c] = expandParams([
    "searchType=nom",
    "locZone=EAST",
    "searchString=",
    "gasDay=2024-01-17",
    "cycle=0",
    "asset=tw",
    "source=tw-oac",
  ]);
  assert.deepEqual(c, {
    request: { searchType: "NOM", locZone: "EAST", searchString: "" },
    gasDay: "2024-01-17",
    cycle: { id: "timely", code: 0, label: "Timely" },
    asset: "TW",
    source: "tw-oac",
  });
});

Deno.test("searchType must be letters", () => {
  const e = usageError(() => expandParams(["searchType=A-B"]));
  assert.match(e.message, /searchType: expected ALL or NOM, got "A-B"/);
});

Deno.test("a key given twice is rejected", () => {
  const e = usageError(() => parseParamTokens(["cycle=1", "cycle=5"]));
  assert.equal(e.message, "--params: cycle given twice; list several values as cycle=[A,B]");
});

Deno.test("malformed tokens are rejected naming the token", () => {
  assert.equal(
    usageError(() => parseParamTokens(["cycle"])).message,
    '--params: expected key=value, got "cycle"',
  );
  assert.equal(
    usageError(() => parseParamTokens(["=5"])).message,
    '--params: expected key=value, got "=5"',
  );
  assert.match(usageError(() => parseParamTokens(["1x=5"])).message, /invalid key "1x"/);
  assert.match(usageError(() => parseParamTokens(["gas-day=5"])).message, /invalid key "gas-day"/);
  assert.match(
    usageError(() => parseParamTokens(["cycle=[0,5"])).message,
    /cycle: unterminated list "\[0,5"/,
  );
  assert.match(
    usageError(() => parseParamTokens(["cycle=[0,,5]"])).message,
    /cycle: empty item in list "\[0,,5\]"/,
  );
  assert.match(usageError(() => parseParamTokens(["cycle=[]"])).message, /empty item/);
});

Deno.test("a known key in the wrong case is refused with the right spelling", () => {
  const cases: [string, string][] = [
    ["gasday=2024-01-17", "--params gasday: unknown key; did you mean gasDay?"],
    ["GASDAY=2024-01-17", "--params GASDAY: unknown key; did you mean gasDay?"],
    ["CYCLE=1", "--params CYCLE: unknown key; did you mean cycle?"],
    ["searchtype=NOM", "--params searchtype: unknown key; did you mean searchType?"],
    ["Asset=TW", "--params Asset: unknown key; did you mean asset?"],
    ["Source=tw-oac", "--params Source: unknown key; did you mean source?"],
    ["cycle=[0,5]", ""],
  ];
  for (const [token, message] of cases) {
    if (message === "") assert.doesNotThrow(() => expandParams([token]), token);
    else assert.equal(usageError(() => expandParams([token])).message, message);
  }
  assert.deepEqual([...PARAM_KEYS].sort(), ["asset", "cycle", "gasDay", "searchType", "source"]);
});

Deno.test("keys other than the known ones still pass through in any case", () => {
  const [c] = expandParams(["locZone=EAST", "LOCZONE=WEST", "gasDayX=1"]);
  assert.deepEqual(c.request, { locZone: "EAST", LOCZONE: "WEST", gasDayX: "1" });
});

/** A list value of `n` items: `[p0,p1,...]` for prefix `p`. */
const list = (prefix: string, n: number) =>
  `[${Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(",")}]`;

Deno.test("the cartesian product is capped, stating its size before allocating it", () => {
  // 10^6 combinations exhausted V8's heap before the cap; this must fail fast.
  const started = performance.now();
  const e = usageError(() => expandParams([`a=${list("a", 1000)}`, "b=1", `c=${list("c", 1000)}`]));
  assert.equal(
    e.message,
    "--params: the lists make 1000000 combinations (a 1000 x c 1000), more than the " +
      `${MAX_COMBINATIONS} allowed at once; split the run, or use backfill for a date range`,
  );
  assert.ok(performance.now() - started < 1000, "the product was not allocated");

  // Exactly at the cap is allowed; one list item more is not.
  assert.equal(MAX_COMBINATIONS, 10_000);
  assert.equal(
    cartesian(parseParamTokens([`a=${list("a", 100)}`, `b=${list("b", 100)}`])).length,
    10_000,
  );
  assert.match(
    usageError(() => cartesian(parseParamTokens([`a=${list("a", 100)}`, `b=${list("b", 101)}`])))
      .message,
    /the lists make 10100 combinations \(a 100 x b 101\)/,
  );
});

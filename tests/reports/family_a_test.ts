import assert from "node:assert/strict";
import { familyAUrl as buildIpostUrl } from "../../src/reports/family_a/report.ts";
import type { SourceConfig } from "../../src/config/schema.ts";
import { type Cycle, findCycle } from "../../src/domain/cycles.ts";

const TIMELY: Cycle = { id: "timely", code: 0, label: "Timely" };
const INTRADAY1: Cycle = { id: "intraday1", code: 3, label: "Intraday 1" };

function source(over: Partial<SourceConfig> = {}): SourceConfig {
  return {
    name: "tw-oac",
    asset: "TW",
    baseUrl: "https://twtransfer.energytransfer.com",
    report: "operationally-available",
    searchType: "ALL",
    cycles: ["timely", "final"],
    params: { searchString: "", locType: "ALL", locZone: "ALL" },
    enabled: true,
    ...over,
  };
}

const TW_2024_01_17_TIMELY = "https://twtransfer.energytransfer.com/ipost/TW/capacity/" +
  "operationally-available?f=csv&extension=csv&asset=TW&gasDay=01%2F17%2F2024&cycle=0" +
  "&searchType=ALL&searchString=&locType=ALL&locZone=ALL";

Deno.test("exact URL for TW, gas day 2024-01-17, Timely", () => {
  assert.equal(
    buildIpostUrl(source(), { gasDay: "2024-01-17", cycle: TIMELY }),
    TW_2024_01_17_TIMELY,
  );
  // Same result with the cycle from the cycle table.
  assert.equal(
    buildIpostUrl(source(), { gasDay: "2024-01-17", cycle: findCycle("timely")! }),
    TW_2024_01_17_TIMELY,
  );
});

Deno.test("cycle code and gas day come from the request", () => {
  assert.equal(
    buildIpostUrl(source(), { gasDay: "2025-06-03", cycle: INTRADAY1 }),
    "https://twtransfer.energytransfer.com/ipost/TW/capacity/operationally-available" +
      "?f=csv&extension=csv&asset=TW&gasDay=06%2F03%2F2025&cycle=3" +
      "&searchType=ALL&searchString=&locType=ALL&locZone=ALL",
  );
});

Deno.test("another family-A asset and base URL", () => {
  assert.equal(
    buildIpostUrl(
      source({ asset: "FGT", baseUrl: "http://127.0.0.1:8999", searchType: "NOM", params: {} }),
      { gasDay: "2024-12-31", cycle: { id: "final", code: 5, label: "Final" } },
    ),
    "http://127.0.0.1:8999/ipost/FGT/capacity/operationally-available" +
      "?f=csv&extension=csv&asset=FGT&gasDay=12%2F31%2F2024&cycle=5&searchType=NOM",
  );
});

Deno.test("request params override searchType (in place) and add new keys", () => {
  assert.equal(
    buildIpostUrl(source(), {
      gasDay: "2024-01-17",
      cycle: TIMELY,
      params: { searchType: "NOM", locZone: "EAST", extra: "1" },
    }),
    "https://twtransfer.energytransfer.com/ipost/TW/capacity/operationally-available" +
      "?f=csv&extension=csv&asset=TW&gasDay=01%2F17%2F2024&cycle=0" +
      "&searchType=NOM&searchString=&locType=ALL&locZone=EAST&extra=1",
  );
});

Deno.test("request params never override gasDay, cycle or asset", () => {
  assert.equal(
    buildIpostUrl(source(), {
      gasDay: "2024-01-17",
      cycle: TIMELY,
      params: { gasDay: "01/01/2020", cycle: "5", asset: "TW/capacity/" },
    }),
    TW_2024_01_17_TIMELY,
  );
});

Deno.test("source params never override gasDay, cycle or asset either", () => {
  // The rows are stamped with the requested gas day and cycle: a configured
  // `params: {cycle: 5}` must not fetch a different cycle than the one stamped.
  const url = buildIpostUrl(
    source({
      params: { searchString: "", locType: "ALL", locZone: "ALL", cycle: "5", gasDay: "x" },
    }),
    { gasDay: "2024-01-17", cycle: TIMELY },
  );
  const q = new URL(url).searchParams;
  assert.equal(q.get("cycle"), "0");
  assert.equal(q.get("gasDay"), "01/17/2024");
  assert.equal(q.get("asset"), "TW");
  assert.equal(q.getAll("cycle").length, 1);
});

Deno.test("spaces are written %20, plus signs %2B", () => {
  const url = buildIpostUrl(source(), {
    gasDay: "2024-01-17",
    cycle: TIMELY,
    params: { searchString: "EL PASO+CO" },
  });
  assert.ok(url.includes("&searchString=EL%20PASO%2BCO&"), url);
  assert.ok(!url.includes("+"), url);
});

import assert from "node:assert/strict";
import { parseBackfillRange, planBackfill } from "../../src/backfill/plan.ts";
import { InvalidRequestError } from "../../src/domain/errors.ts";
import type { SourceConfig } from "../../src/config/schema.ts";

const TW: SourceConfig = {
  name: "tw-oac",
  asset: "TW",
  baseUrl: "http://x",
  report: "operationally-available",
  searchType: "ALL",
  cycles: ["timely", "evening", "intraday1", "intraday2", "intraday3", "final"],
  params: {},
  enabled: true,
};

Deno.test("backfill plan: every day of the range times the chosen cycles, oldest first", () => {
  const range = parseBackfillRange({ from: "2024-02-28", to: "03/01/2024", cycles: "timely,5" });
  assert.deepEqual(range, { from: "2024-02-28", to: "2024-03-01", cycles: ["timely", "final"] });
  const jobs = planBackfill(range, [{ source: TW, cycles: TW.cycles }], {
    request: {},
    force: false,
  });
  assert.deepEqual(jobs.map((j) => `${j.gasDay} ${j.cycle.label}`), [
    "2024-02-28 Timely",
    "2024-02-28 Final",
    "2024-02-29 Timely",
    "2024-02-29 Final",
    "2024-03-01 Timely",
    "2024-03-01 Final",
  ]);
});

Deno.test("backfill plan: bad ranges and cycles are usage errors naming the option", () => {
  assert.throws(() => parseBackfillRange({ to: "2024-01-01" }), /--from is required/);
  assert.throws(
    () => parseBackfillRange({ from: "2024-01-02", to: "2024-01-01" }),
    /before --from/,
  );
  assert.throws(
    () => parseBackfillRange({ from: "2024-13-01", to: "2024-01-01" }),
    /--from.*"2024-13-01"/,
  );
  assert.throws(
    () => parseBackfillRange({ from: "2024-01-01", to: "2024-01-02", cycles: "timely,2" }),
    (e: unknown) => e instanceof InvalidRequestError && /--cycles: "2"/.test(e.message),
  );
  assert.throws(() => parseBackfillRange({ from: "2000-01-01", to: "2024-01-01" }), /at most/);
});

Deno.test("backfill plan: a --from or --to that does not exist is called that", () => {
  assert.throws(
    () => parseBackfillRange({ from: "2024-02-30", to: "2024-03-01" }),
    (e: unknown) =>
      e instanceof InvalidRequestError &&
      e.message === 'backfill --from: "2024-02-30" is not a date: February 2024 has 29 days',
  );
  assert.throws(
    () => parseBackfillRange({ from: "2023-02-01", to: "02/29/2023" }),
    (e: unknown) =>
      e instanceof InvalidRequestError &&
      e.message === 'backfill --to: "02/29/2023" is not a date: February 2023 has 28 days',
  );
  assert.throws(
    () => parseBackfillRange({ from: "2024/01/01", to: "2024-01-02" }),
    (e: unknown) =>
      e instanceof InvalidRequestError &&
      e.message ===
        'backfill --from: expected a date as YYYY-MM-DD or MM/DD/YYYY, got "2024/01/01"',
  );
});

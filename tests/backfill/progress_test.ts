import assert from "node:assert/strict";
import { budgetRate, figures, formatDuration, renderBar } from "../../src/backfill/progress.ts";

Deno.test("progress: rate and ETA from elapsed time", () => {
  const f = figures(30, 120, 10);
  assert.equal(f.rate, 3);
  assert.equal(f.etaSeconds, 30);
  assert.equal(figures(0, 10, 0).etaSeconds, undefined);
});

Deno.test("progress: the bar shows done/total, percent, rate and ETA", () => {
  assert.equal(
    renderBar({ done: 30, total: 120, rate: 3, etaSeconds: 30 }, 10),
    "[###-------] 30/120  25%  3.0/s  ETA 30s",
  );
  assert.equal(formatDuration(3725), "1h02m");
  assert.equal(formatDuration(185), "3m05s");
  assert.equal(formatDuration(undefined), "--");
});

Deno.test("progress: the ETA starts from the configured budget, not from the first pairs", () => {
  // The first pairs of a run go out at once (every host's first slot): 5 pairs in 1 s
  // would promise 95 pairs in 19 s, at 0.5 pairs/s they take 190 s.
  const early = figures(5, 100, 1, 0.5);
  assert.equal(early.rate, 0.5);
  assert.equal(early.etaSeconds, 190);
  // Later the measured rate counts when it is slower than the budget...
  const slow = figures(50, 100, 200, 0.5);
  assert.equal(slow.rate, 0.25);
  assert.equal(slow.etaSeconds, 200);
  // ...and never promises more than the budget allows.
  assert.equal(figures(50, 100, 10, 0.5).rate, 0.5);
});

Deno.test("progress: the budget is requests per minute per host, hosts in parallel up to the workers", () => {
  assert.equal(budgetRate(30, 1, 2), 0.5);
  assert.equal(budgetRate(30, 3, 2), 1);
  assert.equal(budgetRate(60, 0, 4), 1);
});

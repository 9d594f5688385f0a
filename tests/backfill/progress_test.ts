import assert from "node:assert/strict";
import { figures, formatDuration, renderBar } from "../../src/backfill/progress.ts";

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

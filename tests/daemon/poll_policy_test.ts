import assert from "node:assert/strict";
import {
  attemptsAfter,
  nextDelaySeconds,
  type PollPolicy,
  statusAfter,
} from "../../src/daemon/poll_policy.ts";

const P: PollPolicy = { probeInitialSeconds: 60, probeMaxSeconds: 900, recheckMinutes: 60 };

Deno.test("poll policy: not posted backs off 1, 2, 4, 8 min then stays at 15 min", () => {
  const delays = [0, 1, 2, 3, 4, 5, 9].map((prev) =>
    nextDelaySeconds({ status: "not_posted", previousAttempts: prev }, P)
  );
  assert.deepEqual(delays, [60, 120, 240, 480, 900, 900, 900]);
});

Deno.test("poll policy: loaded and unchanged pairs are re-checked at the slow cadence", () => {
  assert.equal(nextDelaySeconds({ status: "loaded", previousAttempts: 7 }, P), 3600);
  assert.equal(nextDelaySeconds({ status: "unchanged", previousAttempts: 0 }, P), 3600);
  assert.equal(attemptsAfter({ status: "loaded", previousAttempts: 7 }), 0);
});

Deno.test("poll policy: transient failures back off like missing postings; permanent ones wait", () => {
  assert.equal(
    nextDelaySeconds({ status: "failed", retryable: true, previousAttempts: 2 }, P),
    240,
  );
  assert.equal(
    nextDelaySeconds({ status: "failed", retryable: false, previousAttempts: 2 }, P),
    3600,
  );
  assert.equal(attemptsAfter({ status: "failed", previousAttempts: 2 }), 3);
});

Deno.test("poll policy: a pair another replica holds is looked at again soon, attempts kept", () => {
  assert.equal(nextDelaySeconds({ status: "locked", previousAttempts: 3 }, P), 60);
  assert.equal(attemptsAfter({ status: "locked", previousAttempts: 3 }), 3);
});

Deno.test("poll policy: stored status after a look", () => {
  assert.equal(statusAfter("unchanged", "loaded"), "loaded");
  assert.equal(statusAfter("loaded", "not_posted"), "loaded");
  assert.equal(statusAfter("not_posted", "pending"), "not_posted");
  assert.equal(statusAfter("failed", "loaded"), "failed");
  assert.equal(statusAfter("locked", "not_posted"), "not_posted");
  assert.equal(statusAfter("locked", "pending"), "pending");
});

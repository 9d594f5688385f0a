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

const FAST: PollPolicy = { ...P, fastProbeSeconds: 60, fastProbeMinutes: 30 };

Deno.test("poll policy: every minute for the first half hour after the posting time, then backing off from 1 min", () => {
  // A pair probed from its posting time on: one look a minute.
  const inWindow = [0, 5, 29].map((minute) =>
    nextDelaySeconds({
      status: "not_posted",
      previousAttempts: minute,
      sincePostingSeconds: minute * 60 + 1,
      firstLookSincePostingSeconds: 0,
    }, FAST)
  );
  assert.deepEqual(inWindow, [60, 60, 60]);
  // After the window the 31 fast looks do not count: 1, 2, 4, 8, then 15 min.
  const after = [30, 31, 32, 33, 34, 35].map((prev) =>
    nextDelaySeconds({
      status: "not_posted",
      previousAttempts: prev,
      sincePostingSeconds: 1800 + (prev - 30) * 60,
      firstLookSincePostingSeconds: 0,
    }, FAST)
  );
  assert.deepEqual(after, [60, 120, 240, 480, 900, 900]);
  // First looked at an hour late (a restart): the plain back-off, no fast probes.
  assert.deepEqual(
    [0, 1, 2].map((prev) =>
      nextDelaySeconds({
        status: "not_posted",
        previousAttempts: prev,
        sincePostingSeconds: 3600 + prev * 60,
        firstLookSincePostingSeconds: 3600,
      }, FAST)
    ),
    [60, 120, 240],
  );
  // Failures and loaded pairs keep their own pace inside the window.
  const near = { sincePostingSeconds: 60, firstLookSincePostingSeconds: 0 };
  assert.equal(
    nextDelaySeconds({ status: "failed", retryable: true, previousAttempts: 2, ...near }, FAST),
    240,
  );
  assert.equal(nextDelaySeconds({ status: "loaded", previousAttempts: 0, ...near }, FAST), 3600);
  // Without a posting time (or fast_probe_minutes 0), the old back-off.
  assert.equal(nextDelaySeconds({ status: "not_posted", previousAttempts: 3 }, FAST), 480);
  assert.equal(
    nextDelaySeconds({ status: "not_posted", previousAttempts: 3, ...near }, {
      ...FAST,
      fastProbeMinutes: 0,
    }),
    480,
  );
});

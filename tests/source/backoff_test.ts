import assert from "node:assert/strict";
import { backoffDelay, parseRetryAfter } from "../../src/source/backoff.ts";

const LOW = () => 0;
const HIGH = () => 0.9999999;

Deno.test("full jitter: 0 at the bottom, just under the ceiling at the top", () => {
  const opts = { baseMs: 500, maxMs: 30_000 };
  // Ceilings: 500, 1000, 2000, 4000 for attempts 1..4.
  assert.equal(backoffDelay(1, { ...opts, random: LOW }), 0);
  assert.equal(backoffDelay(1, { ...opts, random: HIGH }), 499);
  assert.equal(backoffDelay(2, { ...opts, random: HIGH }), 999);
  assert.equal(backoffDelay(3, { ...opts, random: HIGH }), 1999);
  assert.equal(backoffDelay(4, { ...opts, random: HIGH }), 3999);
  assert.equal(backoffDelay(4, { ...opts, random: () => 0.5 }), 2000);
  assert.equal(backoffDelay(4, { ...opts, random: LOW }), 0);
});

Deno.test("the ceiling is capped at maxMs", () => {
  const opts = { baseMs: 500, maxMs: 30_000 };
  // 500 * 2^6 = 32000 > 30000; 500 * 2^29 is far above.
  assert.equal(backoffDelay(7, { ...opts, random: HIGH }), 29_999);
  assert.equal(backoffDelay(30, { ...opts, random: HIGH }), 29_999);
  assert.equal(backoffDelay(30, { ...opts, random: LOW }), 0);
  assert.equal(backoffDelay(3, { baseMs: 1000, maxMs: 1500, random: HIGH }), 1499);
});

Deno.test("attempt 0 or below uses the base ceiling", () => {
  assert.equal(backoffDelay(0, { baseMs: 500, maxMs: 30_000, random: HIGH }), 499);
});

Deno.test("without an injected random the delay stays within [0, ceiling)", () => {
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(3, { baseMs: 100, maxMs: 10_000 });
    assert.ok(Number.isInteger(d) && d >= 0 && d < 400, String(d));
  }
});

const NOW = new Date("2024-01-17T12:00:00Z");

Deno.test("Retry-After in seconds", () => {
  assert.equal(parseRetryAfter("120", NOW), 120_000);
  assert.equal(parseRetryAfter("0", NOW), 0);
  assert.equal(parseRetryAfter(" 30 ", NOW), 30_000);
});

Deno.test("Retry-After as an HTTP date", () => {
  assert.equal(parseRetryAfter("Wed, 17 Jan 2024 12:00:30 GMT", NOW), 30_000);
  assert.equal(parseRetryAfter("Wed, 17 Jan 2024 12:02:00 GMT", NOW), 120_000);
  // A date in the past means "now".
  assert.equal(parseRetryAfter("Wed, 17 Jan 2024 11:00:00 GMT", NOW), 0);
});

Deno.test("absent or unreadable Retry-After is undefined", () => {
  assert.equal(parseRetryAfter(null, NOW), undefined);
  assert.equal(parseRetryAfter(undefined, NOW), undefined);
  assert.equal(parseRetryAfter("", NOW), undefined);
  assert.equal(parseRetryAfter("soon", NOW), undefined);
  assert.equal(parseRetryAfter("12abc", NOW), undefined);
});

Deno.test("Retry-After that is neither delta-seconds nor an HTTP date is undefined", () => {
  // RFC 9110: Retry-After = HTTP-date / delay-seconds (1*DIGIT). These are
  // neither, but a lenient Date.parse reads them as dates in the past (→ 0).
  for (const bad of ["1.5", "-5", "abc 12", "5 minutes"]) {
    assert.equal(parseRetryAfter(bad, NOW), undefined, JSON.stringify(bad));
  }
});

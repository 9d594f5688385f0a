import assert from "node:assert/strict";
import { HostRateLimiter } from "../../src/daemon/rate_limit.ts";
import type { Clock } from "../../src/daemon/clock.ts";

Deno.test("rate limit: requests to one host are spaced; other hosts are independent", async () => {
  let t = 0;
  const starts: [string, number][] = [];
  const clock: Clock = {
    now: () => new Date(t),
    sleep: (ms) => {
      t += ms;
      return Promise.resolve();
    },
  };
  const limiter = new HostRateLimiter(30, clock); // one every 2 s per host
  for (const url of ["http://a/x", "http://a/y", "http://b/x", "http://a/z"]) {
    await limiter.acquire(url);
    starts.push([new URL(url).host, t]);
  }
  assert.deepEqual(starts, [["a", 0], ["a", 2000], ["b", 2000], ["a", 4000]]);
});

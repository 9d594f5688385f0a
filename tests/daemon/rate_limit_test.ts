import assert from "node:assert/strict";
import { HostRateLimiter } from "../../src/daemon/rate_limit.ts";
import type { Clock } from "../../src/daemon/clock.ts";
import { RawArchive } from "../../src/archive/raw_archive.ts";
import type { HttpConfig } from "../../src/config/schema.ts";
import { fetchToArchive } from "../../src/source/fetcher.ts";
import { pairKey, startFakeIpost, TW_HEADER } from "../support/fake_ipost.ts";

const HTTP: HttpConfig = {
  timeoutSeconds: 5,
  retryAttempts: 3,
  backoffBaseMs: 10,
  backoffMaxMs: 30_000,
  maxBodyBytes: 1 << 20,
  userAgent: "tec-pipeline-test",
};
const BODY = TW_HEADER + '"1","Z","N","MQ","DPQ","D","1","1","0","1","N","N","N","Y",""\r\n';

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

/**
 * Virtual time for concurrent sleepers: once everyone has had a turn of the
 * event loop, the earliest sleeper wakes and time jumps to its wake-up, one
 * sleeper at a time, so the order of wake-ups is the order of virtual times.
 */
class EventClock implements Clock {
  t = 0;
  readonly #waiters: { at: number; wake: () => void }[] = [];
  #pending = false;
  now(): Date {
    return new Date(this.t);
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const p = Promise.withResolvers<void>();
    this.#waiters.push({ at: this.t + Math.max(0, ms), wake: p.resolve });
    this.#tick();
    return p.promise;
  }
  #tick(): void {
    if (this.#pending) return;
    this.#pending = true;
    setTimeout(() => {
      this.#pending = false;
      // Stable: sleepers due at the same time wake in the order they slept.
      const next = this.#waiters.reduce((m, w, i) => (w.at < this.#waiters[m].at ? i : m), 0);
      const [w] = this.#waiters.splice(next, 1);
      this.t = Math.max(this.t, w.at);
      w.wake();
      if (this.#waiters.length > 0) this.#tick();
    }, 1);
  }
}

Deno.test("rate limit: a back-off holds every request to that host, even one already waiting", async () => {
  const clock = new EventClock();
  const limiter = new HostRateLimiter(600, clock); // one every 100 ms per host
  await limiter.acquire("http://a/1");
  assert.equal(clock.t, 0);
  const waiting = limiter.acquire("http://a/2"); // its slot is at 100 ms
  limiter.backOff("http://a/x", 2000);
  await waiting;
  assert.ok(clock.t >= 2000, `a request waiting for its slot went at ${clock.t} ms`);
  const t = clock.t;
  await limiter.acquire("http://b/1");
  assert.equal(clock.t, t, "another host is not held back");
  await limiter.acquire("http://a/3");
  assert.ok(clock.t >= t + 100, "after the pause, requests are spaced again");
  // A shorter pause never shortens a longer one.
  limiter.backOff("http://a/x", 5000);
  limiter.backOff("http://a/x", 10);
  const before = clock.t;
  await limiter.acquire("http://a/4");
  assert.ok(clock.t >= before + 5000, `went after ${clock.t - before} ms`);
});

Deno.test("rate limit: a 429 with Retry-After: 2 to one worker makes the other wait too", async () => {
  const fake = startFakeIpost();
  const dir = await Deno.makeTempDir({ prefix: "tec-throttle-" });
  try {
    const clock = new EventClock();
    const limiter = new HostRateLimiter(600, clock);
    const hooks = limiter.pipelineHooks();
    const sent: [string, number][] = [];
    const url = (cycle: number) =>
      `${fake.url}/ipost/TW/capacity/operationally-available?f=csv&extension=csv&asset=TW` +
      `&gasDay=01%2F17%2F2024&cycle=${cycle}&searchType=ALL`;
    fake.script(pairKey("TW", "2024-01-17", 0), [
      { kind: "status", status: 429, retryAfter: "2" },
      { kind: "csv", body: BODY },
    ]);
    fake.script(pairKey("TW", "2024-01-17", 1), [{ kind: "csv", body: BODY }]);
    const throttled = Promise.withResolvers<void>();
    const worker = (name: string, cycle: number) =>
      fetchToArchive({
        url: url(cycle),
        http: HTTP,
        archive: new RawArchive(dir),
        sleep: (ms, signal) => clock.sleep(ms, signal),
        random: () => 0.5,
        fetch: (input, init) => {
          sent.push([name, clock.t]);
          return fetch(input, init);
        },
        beforeAttempt: hooks.beforeRequest,
        onThrottled: (u, ms) => {
          hooks.throttle(u, ms);
          throttled.resolve();
        },
      });
    const a = worker("A", 0);
    await throttled.promise;
    const b = worker("B", 1);
    const [ra, rb] = await Promise.all([a, b]);
    assert.deepEqual([ra.attempts, rb.attempts], [2, 1]);
    const at = (name: string) => sent.filter(([n]) => n === name).map(([, t]) => t);
    assert.deepEqual(at("A").slice(0, 1), [0]);
    assert.ok(at("B")[0] >= 2000, `B asked at ${at("B")[0]} ms, inside the host's pause`);
    assert.ok(at("A")[1] >= 2000, `A retried at ${at("A")[1]} ms`);
    assert.ok(Math.abs(at("A")[1] - at("B")[0]) >= 100, "still one request per slot");
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

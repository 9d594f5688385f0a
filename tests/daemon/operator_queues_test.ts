import assert from "node:assert/strict";
import { serveQueues } from "../../src/daemon/operator_queues.ts";
import { HostRateLimiter } from "../../src/daemon/rate_limit.ts";
import { FakeClock } from "../support/fake_clock.ts";

const T0 = new Date("2026-01-15T12:00:00Z");

function clock(): FakeClock {
  return new FakeClock(T0, new Date(T0.getTime() + 86_400_000), () => {});
}

/** Budgets per operator: `slow` 2 requests a minute, `fast` 60 (a limiter keyed by the URL given). */
function budgets(c: FakeClock) {
  const slow = new HostRateLimiter(2, c, () => "slow");
  const fast = new HostRateLimiter(60, c, () => "fast");
  const of = (op: string) => op === "slow" ? slow : fast;
  return {
    tryTake: (op: string) => of(op).tryAcquire(op),
    take: (op: string, _job: string, signal?: AbortSignal) => of(op).acquire(op, signal),
  };
}

const always = { tryTake: () => Promise.resolve(0), take: () => Promise.resolve() };

function jobs(op: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${op}${i + 1}`);
}

Deno.test("operator queues: one worker never waits on a slow operator while a fast one has work", async () => {
  const c = clock();
  const started = new Map<string, number>();
  await serveQueues({
    queues: new Map([["slow", jobs("slow", 3)], ["fast", jobs("fast", 5)]]),
    workers: 1,
    ...budgets(c),
    run: (job) => {
      started.set(job, (c.t - T0.getTime()) / 1000);
      return Promise.resolve();
    },
    clock: c,
  });
  assert.equal(started.size, 8, "every job ran");
  // The slow operator's own budget: 30 s apart.
  assert.deepEqual(["slow1", "slow2", "slow3"].map((j) => started.get(j)), [0, 30, 60]);
  // The fast one's 5 jobs go 1 s apart while the slow operator waits: all within 5 s, not after 60 s.
  const fast = jobs("fast", 5).map((j) => started.get(j)!);
  assert.ok(fast.every((t, i) => i === 0 || t - fast[i - 1] >= 1), `fast spacing: ${fast}`);
  assert.ok(fast[4] <= 5, `the fast operator's last job started at ${fast[4]} s`);
});

Deno.test("operator queues: ready operators are served round-robin, in queue order", async () => {
  const c = clock();
  const order: string[] = [];
  await serveQueues({
    queues: new Map([["a", jobs("a", 3)], ["b", jobs("b", 2)], ["c", jobs("c", 3)]]),
    workers: 1,
    ...always,
    run: (job) => {
      order.push(job);
      return Promise.resolve();
    },
    clock: c,
  });
  assert.deepEqual(order, ["a1", "b1", "c1", "a2", "b2", "c2", "a3", "c3"]);
});

Deno.test("operator queues: at most `workers` jobs in flight, each job once", async () => {
  const c = clock();
  let inFlight = 0;
  let most = 0;
  const ran: string[] = [];
  const queues = new Map(["a", "b", "c", "d"].map((op) => [op, jobs(op, 4)]));
  await serveQueues({
    queues,
    workers: 3,
    ...always,
    run: async (job) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      ran.push(job);
      inFlight--;
    },
    clock: c,
  });
  assert.equal(most, 3);
  assert.deepEqual(ran.toSorted(), [...queues.values()].flat().toSorted());
});

Deno.test("operator queues: after stop no job starts; the rest are dropped, each once", async () => {
  const c = clock();
  const stop = new AbortController();
  const ran: string[] = [];
  const dropped: string[] = [];
  await serveQueues({
    queues: new Map([["slow", jobs("slow", 3)], ["fast", jobs("fast", 3)]]),
    workers: 2,
    ...budgets(c),
    run: (job) => {
      ran.push(job);
      if (ran.length === 3) stop.abort();
      return Promise.resolve();
    },
    clock: c,
    stop: stop.signal,
    drop: (job) => {
      dropped.push(job);
      return Promise.resolve();
    },
  });
  assert.equal(ran.length, 3, `ran: ${ran}`);
  assert.deepEqual(
    [...ran, ...dropped].toSorted(),
    [...jobs("slow", 3), ...jobs("fast", 3)].toSorted(),
  );
});

Deno.test("operator queues: a budget that fails is not taken as a slot: the worker waits for one", async () => {
  const c = clock();
  let asked = 0;
  const took: number[] = [];
  const ran: number[] = [];
  await serveQueues({
    queues: new Map([["a", ["a1"]]]),
    workers: 1,
    tryTake: () => (asked++, Promise.reject(new Error("budget down"))),
    take: async () => {
      await c.sleep(1000);
      took.push(c.t - T0.getTime());
    },
    run: () => {
      ran.push(c.t - T0.getTime());
      return Promise.resolve();
    },
    clock: c,
  });
  assert.equal(asked, 1);
  assert.deepEqual(took, [1000]);
  assert.deepEqual(ran, [1000], "ran once, after the slot it waited for");
});

Deno.test("operator queues: with a clock that stands still, every job still runs (a waited-for slot is kept)", async () => {
  const still = { now: () => T0, sleep: () => Promise.resolve() };
  const limiter = new HostRateLimiter(6000, still, () => "a");
  const ran: string[] = [];
  await serveQueues({
    queues: new Map([["a", jobs("a", 4)]]),
    workers: 2,
    tryTake: (op) => limiter.tryAcquire(op),
    take: (op, _j, signal) => limiter.acquire(op, signal),
    run: (job) => {
      ran.push(job);
      return Promise.resolve();
    },
    clock: still,
  });
  assert.deepEqual(ran.toSorted(), jobs("a", 4));
});

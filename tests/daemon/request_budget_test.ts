/**
 * The per-operator request budget kept in PostgreSQL: two budgets on one
 * database (two processes, as far as the budget knows) hand out one
 * operator's slots between them, a 429 from one host pauses every host of
 * its operator, other operators are not held; and the operator of a host.
 */
import assert from "node:assert/strict";
import { migrate } from "../../src/db/migrate.ts";
import { SharedBudget } from "../../src/daemon/request_budget.ts";
import { operatorResolver, operatorsOf, registeredDomain } from "../../src/daemon/operators.ts";
import type { Clock } from "../../src/daemon/clock.ts";
import { freshDatabase } from "../support/db.ts";

/** A manual clock: sleeps advance it by their length (one sleeper at a time in these tests). */
function manualClock(start: number): Clock & { t: number } {
  const c = {
    t: start,
    now: () => new Date(c.t),
    sleep: (ms: number) => {
      c.t += Math.max(0, ms);
      return Promise.resolve();
    },
  };
  return c;
}

Deno.test("operators: hosts sharing a registered domain are one operator, unless configured", () => {
  assert.equal(registeredDomain("twtransfer.energytransfer.com"), "energytransfer.com");
  assert.equal(registeredDomain("PEPLmessenger.EnergyTransfer.com."), "energytransfer.com");
  assert.equal(registeredDomain("127.0.0.2"), "127.0.0.2");
  assert.equal(registeredDomain("localhost"), "localhost");
  const of = operatorResolver([
    { baseUrl: "http://127.0.0.2:8001", operator: "et" },
    { baseUrl: "http://127.0.0.3:8002", operator: "et" },
  ]);
  assert.equal(of("http://127.0.0.2:8001/ipost/x?y"), "et");
  assert.equal(of("http://127.0.0.4:9/"), "127.0.0.4");
  assert.equal(of("https://fgttransfer.energytransfer.com/ipost/FGT"), "energytransfer.com");
  assert.equal(
    operatorsOf([
      { baseUrl: "https://twtransfer.energytransfer.com" },
      { baseUrl: "https://peplmessenger.energytransfer.com" },
      { baseUrl: "https://pipelines.energytransfer.com" },
      { baseUrl: "https://example.org" },
    ]),
    2,
  );
});

Deno.test("shared budget: two processes share one operator's slots; a 429 on one host pauses its operator", async () => {
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    const clock = manualClock(Date.parse("2026-01-15T12:00:00Z"));
    const of = operatorResolver([]);
    const budget = () =>
      new SharedBudget({
        db: t.db,
        schema: "staging",
        clock,
        requestsPerMinute: 30, // one slot every 2 s per operator
        operatorOf: of,
      });
    const [a, b] = [budget(), budget()];
    const starts: [string, number][] = [];
    const ask = async (who: SharedBudget, url: string) => {
      await who.acquire(url);
      starts.push([new URL(url).hostname, clock.t]);
    };
    const t0 = clock.t;
    // Alternating processes and hosts of one operator: one request every 2 s, whoever asks.
    await ask(a, "https://twtransfer.energytransfer.com/x");
    await ask(b, "https://peplmessenger.energytransfer.com/x");
    await ask(a, "https://fgttransfer.energytransfer.com/x");
    await ask(b, "https://twtransfer.energytransfer.com/x");
    assert.deepEqual(starts.map(([, at]) => (at - t0) / 1000), [0, 2, 4, 6]);
    // Another operator has its own budget: no wait.
    const before = clock.t;
    await ask(b, "http://127.0.0.9:1/x");
    assert.equal(clock.t, before);
    // PEPL's host answers 429 with Retry-After 30 s: TW's waits behind the pause too.
    await a.backOff("https://peplmessenger.energytransfer.com/x", 30_000);
    const paused = clock.t;
    await ask(b, "https://twtransfer.energytransfer.com/x");
    assert.ok(clock.t >= paused + 30_000, `waited ${(clock.t - paused) / 1000} s`);
    const [row] = await t.db.query<{ operator: string; paused_by: string; requests: number }>(
      `SELECT operator, paused_by, requests::int AS requests FROM staging.request_budget
       WHERE operator = 'energytransfer.com'`,
    );
    assert.deepEqual(row, {
      operator: "energytransfer.com",
      paused_by: "peplmessenger.energytransfer.com",
      requests: 5,
    });
  } finally {
    await t.drop();
  }
});

Deno.test("shared budget: without its database, the process's own budget still spaces requests", async () => {
  const t = await freshDatabase();
  const clock = manualClock(Date.parse("2026-01-15T12:00:00Z"));
  const fallbacks: string[] = [];
  try {
    // No migration: the table is missing, every reservation fails.
    const b = new SharedBudget({
      db: t.db,
      schema: "staging",
      clock,
      requestsPerMinute: 60,
      operatorOf: operatorResolver([]),
      onFallback: (op) => fallbacks.push(op),
    });
    const t0 = clock.t;
    await b.acquire("https://twtransfer.energytransfer.com/x");
    await b.acquire("https://tgcmessenger.energytransfer.com/x");
    assert.equal(clock.t - t0, 1000, "one a second, per operator");
    assert.deepEqual(fallbacks, ["energytransfer.com", "energytransfer.com"]);
  } finally {
    await t.drop();
  }
});

Deno.test("shared budget: tryAcquire takes a free slot at once, else says how long and takes nothing", async () => {
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    const clock = manualClock(Date.parse("2026-01-15T12:00:00Z"));
    const budget = () =>
      new SharedBudget({
        db: t.db,
        schema: "staging",
        clock,
        requestsPerMinute: 30, // one slot every 2 s
        operatorOf: operatorResolver([]),
      });
    const [a, b] = [budget(), budget()];
    const tw = "https://twtransfer.energytransfer.com/x";
    const tgc = "https://tgcmessenger.energytransfer.com/x";
    assert.equal(await a.tryAcquire(tw), 0, "free: taken");
    assert.equal(
      await b.tryAcquire(tgc),
      2000,
      "the other process: the operator's next slot in 2 s",
    );
    assert.equal(await b.tryAcquire(tgc), 2000, "asking again reserved nothing");
    assert.equal(await a.tryAcquire("http://127.0.0.9:1/x"), 0, "another operator is free");
    clock.t += 2000;
    assert.equal(await b.tryAcquire(tgc), 0, "2 s later: taken");
    // A host's 429 pauses its operator: no slot before the pause ends, for any process.
    await a.backOff(tw, 10_000);
    assert.equal(await b.tryAcquire(tgc), 10_000);
    clock.t += 10_000;
    assert.equal(await b.tryAcquire(tgc), 0);
    // The blocking acquire sees tryAcquire's slots: the next one is 2 s on.
    const before = clock.t;
    await a.acquire(tw);
    assert.equal(clock.t - before, 2000);
    const [row] = await t.db.query<{ requests: number }>(
      "SELECT requests::int AS requests FROM staging.request_budget WHERE operator = 'energytransfer.com'",
    );
    assert.equal(row.requests, 4, "only the slots taken count as requests");
  } finally {
    await t.drop();
  }
});

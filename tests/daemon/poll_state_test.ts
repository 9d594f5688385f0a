/**
 * Claims on the real database: short leases, renewed only by the token that
 * holds them, cleared by a look or a release; a lapsed claim is another
 * poller's to take, and the late holder can no longer write over it.
 */
import assert from "node:assert/strict";
import { migrate } from "../../src/db/migrate.ts";
import {
  claimDue,
  claimDueMany,
  recordLook,
  releaseClaim,
  renewClaims,
} from "../../src/daemon/poll_state.ts";
import { renewIntervalMs, startRenewal } from "../../src/daemon/lease.ts";
import { freshDatabase, type TestDatabase } from "../support/db.ts";
import { memoryLogger } from "../support/env.ts";
import { waitUntil } from "../support/wait.ts";

const T0 = new Date("2024-01-17T20:00:00Z");
const PAIRS = [{ gasDay: "2024-01-16", cycle: "Final" }, { gasDay: "2024-01-17", cycle: "Timely" }];
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const base = {
  schema: "staging",
  source: "tw-oac",
  report: "operationally-available",
  asset: "TW",
  pairs: PAIRS,
  leaseSeconds: 5,
};

async function withDb(fn: (t: TestDatabase) => Promise<void>): Promise<void> {
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    await fn(t);
  } finally {
    await t.drop();
  }
}

async function state(t: TestDatabase, cycle: string) {
  const [r] = await t.db.query<{ token: string | null; next: Date; status: string }>(
    `SELECT claim_token::text AS token, next_check_at AS next, status FROM staging.poll_state
     WHERE cycle = $1`,
    [cycle],
  );
  return r;
}

const look = (token: string, status: "loaded" | "not_posted", nextAt: Date) => ({
  schema: "staging",
  source: "tw-oac",
  gasDay: "2024-01-17",
  cycle: "Timely",
  token,
  status,
  attempts: 0,
  checkedAt: T0,
  nextCheckAt: nextAt,
});

Deno.test("claims: a renewed claim outlives its lease; a lapsed one is taken over and the late holder's look is refused", async () => {
  await withDb(async (t) => {
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    assert.equal((await claimDue(t.db, { ...base, now: T0, token: a })).length, 2);
    assert.equal((await state(t, "Timely")).token, a);
    assert.equal((await claimDue(t.db, { ...base, now: at(1), token: b })).length, 0, "held");
    // Renewed at +4 to +9: still held at +6, past the first lease.
    assert.equal(
      await renewClaims(t.db, { schema: "staging", token: a, now: at(4), leaseSeconds: 5 }),
      2,
    );
    assert.deepEqual((await state(t, "Timely")).next, at(9));
    assert.equal((await claimDue(t.db, { ...base, now: at(6), token: b })).length, 0, "renewed");
    // A renews no more (dead, or stalled): at +9 the pairs are B's.
    assert.equal((await claimDue(t.db, { ...base, now: at(9), token: b })).length, 2, "lapsed");
    assert.equal((await state(t, "Timely")).token, b);
    assert.equal(
      await renewClaims(t.db, { schema: "staging", token: a, now: at(10), leaseSeconds: 5 }),
      0,
      "A's renewal leaves B's claims alone",
    );
    assert.deepEqual((await state(t, "Timely")).next, at(14));
    assert.equal(await recordLook(t.db, look(a, "loaded", at(3600))), false, "A lost the claim");
    const held = await state(t, "Timely");
    assert.equal(held.status, "pending", "A's late look did not overwrite B's claim");
    assert.equal(held.token, b);
    assert.equal(await recordLook(t.db, look(b, "not_posted", at(60))), true);
    const done = await state(t, "Timely");
    assert.deepEqual([done.token, done.status, done.next], [null, "not_posted", at(60)]);
    assert.equal(
      await renewClaims(t.db, { schema: "staging", token: b, now: at(11), leaseSeconds: 5 }),
      1,
      "only the pair B has not looked at yet is renewed",
    );
    assert.deepEqual((await state(t, "Timely")).next, at(60), "a recorded look is not renewed");
  });
});

Deno.test("claims: a release hands the pair back at once, but only by its holder", async () => {
  await withDb(async (t) => {
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    await claimDue(t.db, { ...base, now: T0, token: a });
    const where = { schema: "staging", source: "tw-oac", gasDay: "2024-01-17", cycle: "Timely" };
    await releaseClaim(t.db, { ...where, token: b, now: at(1) });
    assert.equal((await state(t, "Timely")).token, a, "not B's to release");
    await releaseClaim(t.db, { ...where, token: a, now: at(1) });
    const r = await state(t, "Timely");
    assert.deepEqual([r.token, r.next], [null, at(1)]);
    const again = await claimDue(t.db, { ...base, now: at(1), token: b });
    assert.deepEqual(
      again.map((c) => c.cycle),
      ["Timely"],
      "due again at once, the other still A's",
    );
  });
});

Deno.test("claims: the renewal timer extends its token's claims every third of a lease until stopped", async () => {
  await withDb(async (t) => {
    assert.equal(renewIntervalMs(90), 30_000);
    const token = crypto.randomUUID();
    const started = new Date();
    await claimDue(t.db, { ...base, now: started, leaseSeconds: 3, token });
    const { log, lines } = memoryLogger();
    const renewal = startRenewal({
      db: t.db,
      schema: "staging",
      token,
      leaseSeconds: 3,
      now: () => new Date(),
      log,
    });
    try {
      // Renewed at about +1 s and +2 s: the lease then ends past its first end, +3 s.
      await waitUntil(
        async () => (await state(t, "Timely")).next.getTime() > started.getTime() + 4500,
        {
          what: "two renewals of the lease",
          timeoutMs: 10_000,
        },
      );
    } finally {
      await renewal.stop();
    }
    const renewed = lines.map((l) => JSON.parse(l)).filter((l) => l.event === "claims.renewed");
    assert.ok(renewed.length >= 2 && renewed.every((l) => l.claims === 2), JSON.stringify(renewed));
    const stopped = (await state(t, "Timely")).next;
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual((await state(t, "Timely")).next, stopped, "no renewal after stop()");
  });
});

Deno.test("claims: per operator at most `perOperator`, oldest first; the claimable rest is counted and claimed next", async () => {
  await withDb(async (t) => {
    const days = ["2024-01-13", "2024-01-14", "2024-01-15", "2024-01-16"];
    const pairs = ["et", "other"].flatMap((operator) =>
      days.map((gasDay) => ({
        source: `${operator}-src`,
        report: "operationally-available",
        asset: "TW",
        gasDay,
        cycle: "Timely",
        operator,
      }))
    );
    const o = { schema: "staging", pairs, leaseSeconds: 5, perOperator: 3 };
    const first = await claimDueMany(t.db, { ...o, now: T0, token: crypto.randomUUID() });
    const days1 = (op: string) =>
      first.claimed.filter((c) => c.source === `${op}-src`).map((c) => c.gasDay).toSorted();
    assert.deepEqual(days1("et"), days.slice(0, 3), "the 3 oldest of one operator");
    assert.deepEqual(days1("other"), days.slice(0, 3), "and of the other, its own 3");
    assert.equal(first.left, 2, "one of each left for later");
    // The next sweep: the claimed ones are held; the rest is claimed, nothing left.
    const second = await claimDueMany(t.db, { ...o, now: at(1), token: crypto.randomUUID() });
    assert.deepEqual(
      second.claimed.map((c) => `${c.source} ${c.gasDay}`).toSorted(),
      ["et-src 2024-01-16", "other-src 2024-01-16"],
    );
    assert.equal(second.left, 0);
    // Without a cap (claimDue, the one-source form) every due pair is claimed.
    const all = await claimDueMany(t.db, {
      ...o,
      perOperator: undefined,
      now: at(10),
      token: crypto.randomUUID(),
    });
    assert.equal(all.claimed.length, 8);
    assert.equal(all.left, 0);
  });
});

import assert from "node:assert/strict";
import { checkReady, statusDocument } from "../../src/app/status.ts";
import { isAlive } from "../../src/app/commands/daemon.ts";
import { migrate } from "../../src/db/migrate.ts";
import { claimDue } from "../../src/daemon/poll_state.ts";
import { loadFile } from "../../src/load/load_file.ts";
import { findCycle } from "../../src/domain/cycles.ts";
import { adminConfig, freshDatabase } from "../support/db.ts";
import { connectPostgres } from "../../src/db/postgres.ts";
import { readFixture } from "../support/env.ts";
import { FAMILY_A } from "../../src/reports/family_a/report.ts";

Deno.test("readiness: not ready before migrations, ready after", async () => {
  const t = await freshDatabase();
  try {
    const before = await checkReady(t.db, "staging");
    assert.deepEqual(before, { ok: false, reason: "migrations not applied" });
    await migrate(t.db, { schema: "staging" });
    assert.deepEqual(await checkReady(t.db, "staging"), { ok: true });
  } finally {
    await t.drop();
  }
});

Deno.test("readiness: an unreachable database server is reported, not thrown", async () => {
  // A port that was just free: nothing listens there, so connecting is refused.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const db = connectPostgres({
    config: { ...adminConfig(), host: "127.0.0.1", port, connectTimeoutSeconds: 5 },
  });
  try {
    const r = await checkReady(db, "staging");
    assert.equal(r.ok, false);
    assert.match(r.ok ? "" : r.reason, /^database unavailable: .*ECONNREFUSED/);
    assert.match(r.ok ? "" : r.reason, new RegExp(`127\\.0\\.0\\.1:${port}`));
  } finally {
    await db.close({ timeoutSeconds: 0 });
  }
});

/** Every entry of `doc`'s lists (and the last failure) with its `source`. */
function entries(doc: Record<string, unknown>): [string, Record<string, unknown>][] {
  const out: [string, Record<string, unknown>][] = [];
  for (
    const key of [
      "latest_loads",
      "next_checks",
      "parameters_ignored",
      "posting_latency",
      "next_postings",
    ]
  ) {
    for (const e of doc[key] as Record<string, unknown>[]) out.push([key, e]);
  }
  if (doc.last_failed_load) {
    out.push(["last_failed_load", doc.last_failed_load as Record<string, unknown>]);
  }
  return out;
}

Deno.test("status: latest load per (source, cycle), two sources of one asset apart; every entry carries its source", async () => {
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    const bytes = await readFixture("tw_good_8rows.csv");
    const base = {
      schema: "staging",
      report: FAMILY_A,
      source: "tw-oac",
      asset: "TW",
      cycle: findCycle("timely")!,
      url: "http://x",
      bytes: bytes.length,
      open: () => Promise.resolve(new Blob([bytes as BlobPart]).stream()),
    };
    await loadFile(t.db, { ...base, gasDay: "2024-01-16", sha256: "a".repeat(64) });
    await loadFile(t.db, { ...base, gasDay: "2024-01-17", sha256: "b".repeat(64) });
    // A second source of the same asset: its latest is the 16th, and its 17th's bytes are
    // its 16th's (flagged as parameters ignored, for that source only).
    const nom = { ...base, source: "tw-nom" };
    await loadFile(t.db, { ...nom, gasDay: "2024-01-15", sha256: "d".repeat(64) });
    await loadFile(t.db, { ...nom, gasDay: "2024-01-16", sha256: "d".repeat(64) });
    const broken = new TextEncoder().encode('"Loc","X"\r\n"1","2"\r\n');
    await loadFile(t.db, {
      ...nom,
      gasDay: "2024-01-18",
      sha256: "c".repeat(64),
      open: () => Promise.resolve(new Blob([broken]).stream()),
    }).catch(() => {});
    const now = new Date("2024-01-17T20:00:00Z");
    for (const source of ["tw-oac", "tw-nom"]) {
      await claimDue(t.db, {
        schema: "staging",
        report: "operationally-available",
        source,
        asset: "TW",
        pairs: [{
          gasDay: "2024-01-17",
          cycle: "Final",
          expectedAt: new Date(now.getTime() - 60_000),
        }],
        now,
        leaseSeconds: 60,
        token: crypto.randomUUID(),
      });
    }
    const doc = await statusDocument({
      db: t.db,
      schema: "staging",
      version: "9.9.9",
      windowStart: "2024-01-14",
      now: () => now,
      nextPostings: [{ source: "tw-oac", due_at: now.toISOString() }, { source: "tw-nom" }],
    });
    const latest = doc.latest_loads as Record<string, unknown>[];
    assert.deepEqual(
      latest.map((l) => [l.source, l.asset, l.gas_day, l.cycle, l.inserted]),
      [["tw-nom", "TW", "2024-01-16", "Timely", 8], ["tw-oac", "TW", "2024-01-17", "Timely", 8]],
    );
    const failure = doc.last_failed_load as Record<string, unknown>;
    assert.deepEqual([failure.source, failure.gas_day], ["tw-nom", "2024-01-18"]);
    assert.match(String(failure.error), /required headers missing/);
    const next = doc.next_checks as Record<string, unknown>[];
    assert.deepEqual(next.map((n) => n.source).sort(), ["tw-nom", "tw-oac"]);
    const ignored = doc.parameters_ignored as Record<string, unknown>[];
    assert.deepEqual(ignored.map((p) => [p.source, p.gas_day]), [["tw-nom", "2024-01-16"]]);
    const latency = doc.posting_latency as Record<string, unknown>[];
    assert.deepEqual(latency.map((l) => [l.source, l.waiting]), [["tw-nom", 1], ["tw-oac", 1]]);
    const all = entries(doc);
    assert.equal(all.length, 2 + 2 + 1 + 2 + 2 + 1);
    for (const [key, e] of all) {
      assert.ok(["tw-oac", "tw-nom"].includes(e.source as string), `${key}: ${JSON.stringify(e)}`);
    }
    assert.equal(doc.version, "9.9.9");
  } finally {
    await t.drop();
  }
});

Deno.test("liveness: alive until the planned sweep is 15 minutes overdue", () => {
  const start = new Date("2026-01-01T00:00:00Z");
  const at = (min: number) => new Date(start.getTime() + min * 60_000);
  assert.equal(isAlive({}, at(14), start), true);
  assert.equal(isAlive({}, at(16), start), false);
  const status = { nextSweepAt: at(30) };
  assert.equal(isAlive(status, at(44), start), true);
  assert.equal(isAlive(status, at(46), start), false);
});

Deno.test("status: only pairs inside the window are listed as next checks; no database, still an answer", async () => {
  const t = await freshDatabase();
  try {
    await migrate(t.db, { schema: "staging" });
    const now = new Date("2024-01-17T20:00:00Z");
    await claimDue(t.db, {
      schema: "staging",
      report: "operationally-available",
      source: "tw-oac",
      asset: "TW",
      pairs: [{ gasDay: "2023-12-01", cycle: "Timely" }, { gasDay: "2024-01-16", cycle: "Final" }],
      now,
      leaseSeconds: 60,
      token: crypto.randomUUID(),
    });
    const doc = await statusDocument({
      db: t.db,
      schema: "staging",
      version: "9.9.9",
      windowStart: "2024-01-14",
    });
    const next = doc.next_checks as Record<string, unknown>[];
    assert.deepEqual(next.map((n) => n.gas_day), ["2024-01-16"], "the stale 2023 pair is left out");
  } finally {
    await t.drop();
  }
  // The pool is closed: the daemon's own part still answers, with the reason for the rest.
  const down = await statusDocument({
    db: t.db,
    schema: "staging",
    version: "9.9.9",
    daemon: { nextReason: "schedule" },
  });
  assert.equal((down.daemon as Record<string, unknown>).next_reason, "schedule");
  assert.equal((down.database as Record<string, unknown>).ok, false);
});

/**
 * The `/status` document and the readiness check, read from the database and
 * the daemon's in-memory status. Nothing secret is included.
 *
 * @module
 */
import type { Database } from "../db/database.ts";
import { lastFailure, latestLoads, parametersIgnored } from "../load/ledger.ts";
import { nextChecks, postingLatency } from "../daemon/poll_state.ts";
import { budgetState } from "../daemon/request_budget.ts";
import { isMigrated } from "../db/migrate.ts";
import type { DaemonStatus } from "../daemon/daemon.ts";
import type { ReadyResult } from "../health/app.ts";

/** How long readiness waits for the database before it says "not ready". */
export const READY_TIMEOUT_MS = 2000;

/** Readiness: the database answers (quickly) and every migration is applied. */
export async function checkReady(db: Database, schema: string): Promise<ReadyResult> {
  try {
    await db.ping(READY_TIMEOUT_MS);
  } catch (e) {
    return { ok: false, reason: `database unavailable: ${(e as Error).message}` };
  }
  if (!(await isMigrated(db, schema))) return { ok: false, reason: "migrations not applied" };
  return { ok: true };
}

/** Options for {@linkcode statusDocument}. */
export interface StatusOptions {
  /** Database. */
  db: Database;
  /** Schema. */
  schema: string;
  /** The daemon's status, when a daemon runs. */
  daemon?: DaemonStatus;
  /** Program version. */
  version: string;
  /** The next expected posting per source, as the calendar sees it (daemon only). */
  nextPostings?: { source: string; due_at?: string }[];
  /** First gas day of the polling window: older pairs are not listed. */
  windowStart?: string;
  /** The daemon's clock. @default the system clock */
  now?: () => Date;
}

/**
 * What the database says, or why it could not say it. Every entry names its
 * `source` (the configured name: sources sharing an asset are told apart by it).
 */
async function fromDatabase(o: StatusOptions): Promise<Record<string, unknown>> {
  try {
    return {
      latest_loads: await latestLoads(o.db, o.schema),
      next_checks: await nextChecks(o.db, { schema: o.schema, fromDay: o.windowStart }),
      last_failed_load: (await lastFailure(o.db, o.schema)) ?? null,
      // Sources whose site answered different (gas day, cycle) requests with the same bytes.
      parameters_ignored: await parametersIgnored(o.db, o.schema),
      // Per source: how long after the nominal posting time the window's files landed.
      posting_latency: await postingLatency(o.db, {
        schema: o.schema,
        fromDay: o.windowStart,
        now: o.now?.() ?? new Date(),
      }),
      // Per operator: slots reserved, the next one, and any pause a host asked for.
      request_budget: await budgetState(o.db, o.schema),
    };
  } catch (e) {
    return { database: { ok: false, error: (e as Error).message } };
  }
}

/**
 * Latest load per (source, cycle); what is due next (pairs of the window
 * waiting for a re-probe, the next expected postings, the next sweep); the
 * last error. The daemon's own part is there even when the database is not.
 */
export async function statusDocument(o: StatusOptions): Promise<Record<string, unknown>> {
  const d = o.daemon;
  // During a partition the database part would wait for TCP to give up: the
  // daemon's own part must not wait with it.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<Record<string, unknown>>((resolve) => {
    timer = setTimeout(() =>
      resolve({
        database: { ok: false, error: `no answer within ${READY_TIMEOUT_MS / 1000} s` },
      }), READY_TIMEOUT_MS);
  });
  const db = await Promise.race([fromDatabase(o), late]).finally(() => clearTimeout(timer));
  return {
    version: o.version,
    ...db,
    next_postings: o.nextPostings,
    daemon: d
      ? {
        last_sweep_at: d.lastSweepAt?.toISOString(),
        last_sweep: d.lastSweep,
        next_sweep_at: d.nextSweepAt?.toISOString(),
        next_reason: d.nextReason,
        last_error: d.lastError,
      }
      : undefined,
  };
}

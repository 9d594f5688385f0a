/**
 * The request budget shared by every process on one database, per operator
 * (see `operators.ts`): a request reserves the operator's next slot in
 * `request_budget` (one statement, atomic under concurrent replicas) and
 * sleeps until it; a host that asks to slow down (429, `Retry-After`)
 * pauses every host of its operator, for every process. Slots are instants
 * of the processes' clocks: replicas need clocks within a few seconds of
 * each other (NTP), as the claim leases already do.
 *
 * When the database does not answer, a request falls back to the in-process
 * budget ({@linkcode HostRateLimiter} by operator), so the program stays
 * polite to the site while its database is away.
 *
 * @module
 */
import { type Queryable, quoteIdent } from "../db/database.ts";
import type { Clock } from "./clock.ts";
import { hostOf } from "./operators.ts";
import { HostRateLimiter, type RequestBudget } from "./rate_limit.ts";

/** Options for {@linkcode SharedBudget}. */
export interface SharedBudgetOptions {
  /** Database holding `request_budget`. */
  db: Queryable;
  /** Its schema. */
  schema: string;
  /** The processes' clock. */
  clock: Clock;
  /** Requests per minute per operator. */
  requestsPerMinute: number;
  /** The operator of a request URL. */
  operatorOf: (url: string) => string;
  /** Told when the database could not be asked (the local budget was used instead). */
  onFallback?: (operator: string, error: Error) => void;
}

/** The reservation statement: the operator's next slot, past any pause; returns the slot. */
function reserveSql(schema: string): string {
  return `INSERT INTO ${quoteIdent(schema)}.request_budget AS b
      (operator, next_slot_at, requests, updated_at)
    VALUES ($1, $2::timestamptz + make_interval(secs => $3), 1, $2::timestamptz)
    ON CONFLICT (operator) DO UPDATE
      SET next_slot_at = greatest(b.next_slot_at, coalesce(b.paused_until, $2::timestamptz),
                                  $2::timestamptz) + make_interval(secs => $3),
          requests = b.requests + 1, updated_at = $2::timestamptz
    RETURNING next_slot_at - make_interval(secs => $3) AS slot`;
}

/**
 * The take-if-free statement: the operator's slot now, only if neither an
 * earlier reservation nor a pause holds it; else (nothing written) when it
 * frees. The SELECT sees the row as it was before the INSERT.
 */
function takeSql(schema: string): string {
  const t = `${quoteIdent(schema)}.request_budget`;
  return `WITH taken AS (
      INSERT INTO ${t} AS b (operator, next_slot_at, requests, updated_at)
      VALUES ($1, $2::timestamptz + make_interval(secs => $3), 1, $2::timestamptz)
      ON CONFLICT (operator) DO UPDATE
        SET next_slot_at = $2::timestamptz + make_interval(secs => $3),
            requests = b.requests + 1, updated_at = $2::timestamptz
        WHERE greatest(b.next_slot_at, b.paused_until) <= $2::timestamptz
      RETURNING 1)
    SELECT (SELECT count(*)::int FROM taken) AS taken,
           (SELECT greatest(next_slot_at, paused_until) FROM ${t} WHERE operator = $1) AS free_at`;
}

/** The pause statement: no slot of the operator before `until` (a shorter pause never shortens a longer one). */
function pauseSql(schema: string): string {
  return `INSERT INTO ${quoteIdent(schema)}.request_budget AS b
      (operator, next_slot_at, paused_until, paused_by, updated_at)
    VALUES ($1, $2::timestamptz, $2::timestamptz, $3, now())
    ON CONFLICT (operator) DO UPDATE
      SET paused_until = greatest(b.paused_until, $2::timestamptz),
          paused_by = CASE WHEN b.paused_until >= $2::timestamptz THEN b.paused_by ELSE $3 END,
          next_slot_at = greatest(b.next_slot_at, $2::timestamptz), updated_at = now()`;
}

/** A per-operator request budget kept in PostgreSQL. */
export class SharedBudget implements RequestBudget {
  readonly #o: SharedBudgetOptions;
  readonly #intervalSeconds: number;
  readonly #local: HostRateLimiter;

  /** @throws {RangeError} unless `requestsPerMinute` is a positive number */
  constructor(o: SharedBudgetOptions) {
    this.#local = new HostRateLimiter(o.requestsPerMinute, o.clock, o.operatorOf);
    this.#o = o;
    this.#intervalSeconds = 60 / o.requestsPerMinute;
  }

  /**
   * Wait for the operator's next slot. A pause set while this request waited
   * (by any process) moves it behind the pause.
   */
  async acquire(url: string, signal?: AbortSignal): Promise<void> {
    const { db, schema, clock } = this.#o;
    const operator = this.#o.operatorOf(url);
    try {
      for (;;) {
        const now = clock.now().getTime();
        const [r] = await db.query<{ slot: Date | string }>(reserveSql(schema), [
          operator,
          new Date(now).toISOString(),
          this.#intervalSeconds,
        ]);
        const slot = new Date(r.slot).getTime();
        if (slot <= now) return;
        await clock.sleep(slot - now, signal);
        if ((await this.#pausedUntil(operator)) <= slot) return;
      }
    } catch (e) {
      if (signal?.aborted) throw e;
      this.#o.onFallback?.(operator, e as Error);
      await this.#local.acquire(url, signal);
    }
  }

  /**
   * See {@linkcode RequestBudget.tryAcquire}: one statement. When the
   * database does not answer, the in-process budget decides.
   */
  async tryAcquire(url: string): Promise<number> {
    const { db, schema, clock } = this.#o;
    const operator = this.#o.operatorOf(url);
    const now = clock.now().getTime();
    try {
      const [r] = await db.query<{ taken: number; free_at: Date | string | null }>(
        takeSql(schema),
        [operator, new Date(now).toISOString(), this.#intervalSeconds],
      );
      if (r.taken > 0) return 0;
      // Never 0 when nothing was taken: the caller would take it as a slot.
      return Math.max(1, new Date(r.free_at!).getTime() - now);
    } catch (e) {
      this.#o.onFallback?.(operator, e as Error);
      return this.#local.tryAcquireNow(url);
    }
  }

  async #pausedUntil(operator: string): Promise<number> {
    const [p] = await this.#o.db.query<{ paused_until: Date | string | null }>(
      `SELECT paused_until FROM ${quoteIdent(this.#o.schema)}.request_budget WHERE operator = $1`,
      [operator],
    );
    return p?.paused_until ? new Date(p.paused_until).getTime() : 0;
  }

  /**
   * A host of the operator asked to slow down: no request to any of its
   * hosts, from any process, starts within `delayMs` from now.
   */
  async backOff(url: string, delayMs: number): Promise<void> {
    this.#local.backOff(url, delayMs);
    const until = new Date(this.#o.clock.now().getTime() + Math.max(0, delayMs));
    const operator = this.#o.operatorOf(url);
    try {
      await this.#o.db.query(pauseSql(this.#o.schema), [
        operator,
        until.toISOString(),
        hostOf(url),
      ]);
    } catch (e) {
      this.#o.onFallback?.(operator, e as Error);
    }
  }

  /** The pipeline hooks backed by this budget (see {@linkcode HostRateLimiter.pipelineHooks}). */
  pipelineHooks(): {
    beforeRequest: (url: string, signal?: AbortSignal) => Promise<void>;
    throttle: (url: string, delayMs: number) => void;
  } {
    return {
      beforeRequest: (url, signal) => this.acquire(url, signal),
      throttle: (url, delayMs) => void this.backOff(url, delayMs),
    };
  }
}

/** Per operator: slots reserved, the next slot and any pause, for `/status`. */
export function budgetState(db: Queryable, schema: string): Promise<Record<string, unknown>[]> {
  return db.query(
    `SELECT operator, requests::int AS requests, next_slot_at, paused_until, paused_by
     FROM ${quoteIdent(schema)}.request_budget ORDER BY operator`,
  );
}

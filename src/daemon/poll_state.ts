/**
 * The daemon's memory, in PostgreSQL: which pairs it has looked at, how that
 * ended and when to look again. Claiming a pair moves its `next_check_at` past
 * a short lease and stamps it with the claimer's token, atomically, so
 * replicas sharing the database never poll the same pair at once. The holder
 * renews every lease carrying its token while it is alive
 * ({@linkcode renewClaims}); one that dies stops renewing, and its pairs come
 * back one lease after its last renewal.
 *
 * @module
 */
import { type Queryable, quoteIdent } from "../db/database.ts";
import type { IsoDate } from "../domain/gas_day.ts";

/** What the daemon knows of a pair (see `sql/002_poll_state.sql`). */
export type PollStatus = "pending" | "not_posted" | "loaded" | "failed";

/** A pair this poller now owns until its lease ends. */
export interface Claimed {
  /** Gas day. */
  gasDay: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** Status before the claim (`pending` for a pair never seen). */
  status: PollStatus;
  /** Consecutive looks without data so far. */
  attempts: number;
  /** When the pair was first looked at. */
  firstCheckedAt: Date;
  /** When the daemon first found data for it (`null` until then). */
  firstSeenAt: Date | null;
}

/** Options for {@linkcode claimDue}. */
export interface ClaimOptions {
  /** Schema of the tables. */
  schema: string;
  /** Source name. */
  source: string;
  /** The source's report (a source has one; it completes the pair's identity). */
  report: string;
  /** Asset code. */
  asset: string;
  /** Candidate pairs (due by the calendar), with their nominal posting time when known. */
  pairs: readonly { gasDay: IsoDate; cycle: string; expectedAt?: Date }[];
  /** The poller's clock. */
  now: Date;
  /** How long a claim lasts unless renewed. */
  leaseSeconds: number;
  /** The claimer's token (a UUID); only it may renew, record or release the claim. */
  token: string;
}

/**
 * Claim every candidate pair that is new or whose `next_check_at` has come;
 * returns the ones claimed (the others are not due yet or belong to another
 * poller's lease).
 */
export async function claimDue(db: Queryable, o: ClaimOptions): Promise<Claimed[]> {
  const pairs = o.pairs.map((p) => ({ ...p, source: o.source, report: o.report, asset: o.asset }));
  return (await claimDueMany(db, { ...o, pairs })).claimed;
}

/** A candidate pair of {@linkcode claimDueMany}: of any source. */
export interface ManyPair {
  /** Source name. */
  source: string;
  /** Its report. */
  report: string;
  /** Its asset. */
  asset: string;
  /** Gas day. */
  gasDay: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** Nominal posting time, when known. */
  expectedAt?: Date;
  /** The operator whose budget its request draws on. @default one operator for all */
  operator?: string;
}

/** What {@linkcode claimDueMany} claimed, and how many claimable pairs it left. */
export interface ManyClaimed {
  /** The pairs claimed, in candidate order per operator. */
  claimed: (Claimed & { source: string })[];
  /** Pairs that could have been claimed but were over their operator's `perOperator`. */
  left: number;
}

/**
 * {@linkcode claimDue} for the pairs of every source at once: one statement
 * per sweep. With `perOperator`, at most that many per operator, the first
 * claimable ones in candidate order.
 */
export async function claimDueMany(
  db: Queryable,
  o: Omit<ClaimOptions, "source" | "report" | "asset" | "pairs"> & {
    pairs: readonly ManyPair[];
    perOperator?: number;
  },
): Promise<ManyClaimed> {
  if (o.pairs.length === 0) return { claimed: [], left: 0 };
  const rows = await db.query<Claimed & { source: string; left: number }>(claimManySql(o.schema), [
    o.now.toISOString(),
    o.leaseSeconds,
    o.token,
    o.pairs.map((p) => p.source),
    o.pairs.map((p) => p.report),
    o.pairs.map((p) => p.asset),
    o.pairs.map((p) => p.gasDay),
    o.pairs.map((p) => p.cycle),
    o.pairs.map((p) => p.expectedAt?.toISOString() ?? null),
    o.pairs.map((p) => p.operator ?? ""),
    o.perOperator ?? null,
  ]);
  const left = rows.find((r) => r.source === null)?.left ?? 0;
  return { claimed: rows.filter((r) => r.source !== null), left };
}

/**
 * The claim statement: candidates that are new or whose next check has come,
 * ranked per operator in candidate order; the first `$11` of each (all when
 * NULL) claimed; plus one row with no source counting the claimable rest.
 */
function claimManySql(schema: string): string {
  const t = `${quoteIdent(schema)}.poll_state`;
  return `WITH u AS (
       SELECT * FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                            $9::timestamptz[], $10::text[]) WITH ORDINALITY AS u(s, r, a, d, c, e, o, i)),
     claimable AS (
       SELECT u.*, row_number() OVER (PARTITION BY u.o ORDER BY u.i) AS rank
       FROM u LEFT JOIN ${t} p
         ON p.source = u.s AND p.report = u.r AND p.gas_day = u.d::date AND p.cycle = u.c
       WHERE p.source IS NULL OR p.next_check_at <= $1::timestamptz),
     claimed AS (
       INSERT INTO ${t} AS p
         (source, asset, gas_day, cycle, status, attempts, first_checked_at, last_checked_at,
          next_check_at, claim_token, report, expected_at)
       SELECT k.s, k.a, k.d::date, k.c, 'pending', 0, $1::timestamptz, $1::timestamptz,
              $1::timestamptz + make_interval(secs => $2), $3::uuid, k.r, k.e
       FROM claimable k WHERE $11::int IS NULL OR k.rank <= $11::int
       ORDER BY k.i
       ON CONFLICT (source, report, gas_day, cycle) DO UPDATE
         SET next_check_at = EXCLUDED.next_check_at, claim_token = EXCLUDED.claim_token,
             expected_at = coalesce(EXCLUDED.expected_at, p.expected_at)
         WHERE p.next_check_at <= $1::timestamptz
       RETURNING p.source, to_char(p.gas_day, 'YYYY-MM-DD') AS "gasDay", p.cycle, p.status,
         p.attempts, p.first_checked_at AS "firstCheckedAt", p.first_seen_at AS "firstSeenAt")
     SELECT c.*, 0 AS "left" FROM claimed c
     UNION ALL
     SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*)::int
     FROM claimable WHERE $11::int IS NOT NULL AND rank > $11::int`;
}

/**
 * Extend, to `now` + `leaseSeconds`, every claim that still carries `token`
 * (pairs being looked at and pairs waiting in the sweep's queue alike), in one
 * statement; returns how many. A claim another poller took over after it
 * lapsed carries that poller's token and is left alone.
 */
export async function renewClaims(
  db: Queryable,
  o: { schema: string; token: string; now: Date; leaseSeconds: number },
): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH renewed AS (
       UPDATE ${quoteIdent(o.schema)}.poll_state
       SET next_check_at = $2::timestamptz + make_interval(secs => $3)
       WHERE claim_token = $1::uuid
       RETURNING 1)
     SELECT count(*)::int AS n FROM renewed`,
    [o.token, o.now.toISOString(), o.leaseSeconds],
  );
  return rows[0]?.n ?? 0;
}

/** What to store after a look. */
export interface LookRecord {
  /** Schema of the tables. */
  schema: string;
  /** Source name. */
  source: string;
  /** Gas day. */
  gasDay: IsoDate;
  /** Cycle label. */
  cycle: string;
  /** The token the pair was claimed with. */
  token: string;
  /** New status. */
  status: PollStatus;
  /** Consecutive looks without data, after this one. */
  attempts: number;
  /** When the look happened. */
  checkedAt: Date;
  /** When to look again. */
  nextCheckAt: Date;
  /** sha256 of the body seen, if any. */
  sha256?: string;
  /** Why it failed or is not posted. */
  error?: string;
  /** This look found data: the pair's first sighting, unless it has one. */
  seenData?: boolean;
}

/**
 * Store the result of a look, releasing the claim; `false` (and nothing
 * stored) when the claim is no longer `r.token`'s: it lapsed and another
 * poller holds the pair now, whose own result will be stored instead.
 */
export async function recordLook(db: Queryable, r: LookRecord): Promise<boolean> {
  const rows = await db.query(
    `UPDATE ${quoteIdent(r.schema)}.poll_state
     SET status = $4, attempts = $5, last_checked_at = $6, next_check_at = $7,
         last_sha256 = coalesce($8, last_sha256), last_error = $9, claim_token = NULL,
         first_seen_at = CASE WHEN $11 THEN coalesce(first_seen_at, $6::timestamptz)
                              ELSE first_seen_at END
     WHERE source = $1 AND gas_day = $2 AND cycle = $3 AND claim_token = $10::uuid
     RETURNING 1`,
    [
      r.source,
      r.gasDay,
      r.cycle,
      r.status,
      r.attempts,
      r.checkedAt.toISOString(),
      r.nextCheckAt.toISOString(),
      r.sha256 ?? null,
      r.error ?? null,
      r.token,
      r.seenData ?? false,
    ],
  );
  return rows.length > 0;
}

/**
 * Give a claimed pair back untouched, due at `now` (shutdown before it was
 * looked at); a claim that is no longer `o.token`'s is left to its holder.
 */
export async function releaseClaim(
  db: Queryable,
  o: { schema: string; source: string; gasDay: IsoDate; cycle: string; token: string; now: Date },
): Promise<void> {
  await db.query(
    `UPDATE ${quoteIdent(o.schema)}.poll_state SET next_check_at = $4, claim_token = NULL
     WHERE source = $1 AND gas_day = $2 AND cycle = $3 AND claim_token = $5::uuid`,
    [o.source, o.gasDay, o.cycle, o.now.toISOString(), o.token],
  );
}

/** The earliest `next_check_at` after `now` among `source`'s pairs from `fromDay` on. */
export async function earliestNextCheck(
  db: Queryable,
  o: { schema: string; source: string; fromDay: IsoDate; now: Date },
): Promise<Date | undefined> {
  return await earliestNextCheckOf(db, { ...o, sources: [o.source] });
}

/** The earliest `next_check_at` after `now` among the pairs of any of `sources`: one statement. */
export async function earliestNextCheckOf(
  db: Queryable,
  o: { schema: string; sources: readonly string[]; fromDay: IsoDate; now: Date },
): Promise<Date | undefined> {
  const [r] = await db.query<{ t: string | null }>(
    `SELECT min(next_check_at) AS t FROM ${quoteIdent(o.schema)}.poll_state
     WHERE source = ANY($1::text[]) AND gas_day >= $2 AND next_check_at > $3`,
    [[...o.sources], o.fromDay, o.now.toISOString()],
  );
  return r?.t ? new Date(r.t) : undefined;
}

/** Status of each given pair of `source` (keyed `YYYY-MM-DD|cycle label`); pairs never looked at are absent. */
export async function windowStatuses(
  db: Queryable,
  o: { schema: string; source: string; pairs: readonly { gasDay: IsoDate; cycle: string }[] },
): Promise<Map<string, PollStatus>> {
  if (o.pairs.length === 0) return new Map();
  const rows = await db.query<{ k: string; status: PollStatus }>(
    `SELECT to_char(p.gas_day, 'YYYY-MM-DD') || '|' || p.cycle AS k, p.status
     FROM ${quoteIdent(o.schema)}.poll_state p
     JOIN unnest($2::date[], $3::text[]) AS u(d, c) ON p.gas_day = u.d AND p.cycle = u.c
     WHERE p.source = $1`,
    [o.source, o.pairs.map((p) => p.gasDay), o.pairs.map((p) => p.cycle)],
  );
  return new Map(rows.map((r) => [r.k, r.status]));
}

/**
 * Pairs of the polling window (gas day `fromDay` on) by source, then status,
 * in one statement: every source with a pair there, and each of `sources`
 * (the daemon's) with zeros when it has none yet.
 */
export async function statusCounts(
  db: Queryable,
  o: { schema: string; fromDay: IsoDate; sources?: readonly string[] },
): Promise<Record<string, Record<PollStatus, number>>> {
  const rows = await db.query<{ source: string; status: PollStatus; n: number }>(
    `SELECT source, status, count(*)::int AS n FROM ${quoteIdent(o.schema)}.poll_state
     WHERE gas_day >= $1 GROUP BY source, status`,
    [o.fromDay],
  );
  // A Map, not an object: a source may be named anything, `__proto__` included.
  const out = new Map<string, Record<PollStatus, number>>();
  const of = (source: string) => {
    let by = out.get(source);
    if (!by) out.set(source, by = { pending: 0, not_posted: 0, failed: 0, loaded: 0 });
    return by;
  };
  for (const source of o.sources ?? []) of(source);
  for (const r of rows) of(r.source)[r.status] = r.n;
  return Object.fromEntries(out);
}

/**
 * Per source, how late the pairs of the window (gas day `fromDay` on) landed:
 * `first_seen_at - expected_at` in seconds, as count, median, 90th percentile
 * and largest; also how many are still waiting past their posting time.
 */
export function postingLatency(
  db: Queryable,
  o: { schema: string; fromDay?: IsoDate; now: Date },
): Promise<Record<string, unknown>[]> {
  return db.query(
    `SELECT source, count(first_seen_at)::int AS seen,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lat)::numeric, 1)::float8
         AS median_seconds,
       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY lat)::numeric, 1)::float8
         AS p90_seconds,
       round(max(lat)::numeric, 1)::float8 AS max_seconds,
       count(*) FILTER (WHERE first_seen_at IS NULL AND expected_at <= $2)::int AS waiting
     FROM (SELECT source, first_seen_at, expected_at,
             extract(epoch FROM first_seen_at - expected_at) AS lat
           FROM ${quoteIdent(o.schema)}.poll_state
           WHERE expected_at IS NOT NULL AND gas_day >= coalesce($1::date, gas_day)) p
     GROUP BY source ORDER BY source`,
    [o.fromDay ?? null, o.now.toISOString()],
  );
}

/** Pairs not loaded yet, soonest check first, from gas day `fromDay` on (all when absent). */
export function nextChecks(
  db: Queryable,
  o: { schema: string; fromDay?: IsoDate; limit?: number },
): Promise<Record<string, unknown>[]> {
  return db.query(
    `SELECT source, asset, to_char(gas_day, 'YYYY-MM-DD') AS gas_day, cycle, status, attempts,
       next_check_at, last_error
     FROM ${quoteIdent(o.schema)}.poll_state
     WHERE status <> 'loaded' AND gas_day >= coalesce($1::date, gas_day)
     ORDER BY next_check_at LIMIT $2`,
    [o.fromDay ?? null, o.limit ?? 20],
  );
}

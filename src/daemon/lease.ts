/**
 * The heartbeat that keeps a sweep's claims alive. Claims are short (see
 * `daemon.claim_lease_seconds`) so that a poller that dies, however it dies,
 * strands its pairs for one lease at most; while the poller lives, this timer
 * extends every claim carrying its token, started or still queued, so a fetch
 * with long retries or a large load never loses its pair.
 *
 * @module
 */
import type { Queryable } from "../db/database.ts";
import type { Logger } from "../log/logger.ts";
import { renewClaims } from "./poll_state.ts";

/** Renewals per lease: two may fail (a slow or briefly unreachable database) before a claim lapses. */
export const RENEWALS_PER_LEASE = 3;

/** Milliseconds between renewals of a lease of `leaseSeconds`. */
export function renewIntervalMs(leaseSeconds: number): number {
  return Math.max(1, Math.floor((leaseSeconds * 1000) / RENEWALS_PER_LEASE));
}

/** Options for {@linkcode startRenewal}. */
export interface RenewalOptions {
  /** Database. */
  db: Queryable;
  /** Schema of the tables. */
  schema: string;
  /** The sweep's claim token. */
  token: string;
  /** Lease length; renewed every third of it. */
  leaseSeconds: number;
  /** The poller's clock (leases are stamped with it, like claims). */
  now: () => Date;
  /** Where a failed renewal is reported. */
  log: Logger;
}

/** A running renewal; {@linkcode Renewal.stop} it when the sweep ends. */
export interface Renewal {
  /** Stop renewing; resolves once a renewal in flight, if any, has ended. */
  stop(): Promise<void>;
}

/**
 * Renew `o.token`'s claims every {@linkcode renewIntervalMs} until stopped.
 * A renewal never overlaps the previous one, and a failed one is logged
 * (`claims.renew_failed`) and tried again at the next beat: the lease has
 * room for two misses.
 */
export function startRenewal(o: RenewalOptions): Renewal {
  let inFlight: Promise<void> | undefined;
  const beat = () => {
    if (inFlight) return;
    inFlight = renewClaims(o.db, {
      schema: o.schema,
      token: o.token,
      now: o.now(),
      leaseSeconds: o.leaseSeconds,
    }).then(
      (n) => o.log.debug("claims.renewed", { claims: n }),
      (e) => o.log.warn("claims.renew_failed", { reason: (e as Error).message }),
    ).finally(() => inFlight = undefined);
  };
  const timer = setInterval(beat, renewIntervalMs(o.leaseSeconds));
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
  };
}

/**
 * The sweep schedule: a cron expression evaluated in the gas-day zone.
 *
 * @module
 */
import { CronExpressionParser } from "cron-parser";

/**
 * Check a cron expression and zone the way the daemon will use them (the zone
 * is checked separately: cron-parser accepts unknown zones and fails late).
 *
 * @returns a problem description, or `undefined` when usable
 */
export function cronProblem(expr: string, zone: string): string | undefined {
  try {
    nextTick(expr, zone, new Date());
    return undefined;
  } catch (e) {
    return `expected a cron expression such as "*/5 * * * *", got ${JSON.stringify(expr)}: ${
      (e as Error).message
    }`;
  }
}

/** The first tick of `expr` in `zone` strictly after `now`. */
export function nextTick(expr: string, zone: string, now: Date): Date {
  return CronExpressionParser.parse(expr, { tz: zone, currentDate: now }).next().toDate();
}

/**
 * The reports the program knows. Each family registers itself from its own
 * folder (`registerReport` at module load); `all.ts` imports every family
 * once, so adding a family is a folder and one import line there.
 *
 * @module
 */
import type { Report } from "./report.ts";

const reports = new Map<string, Report>();

/** Make `report` known by its id; a second report with the same id is a programming error. */
export function registerReport(report: Report): Report {
  const prior = reports.get(report.id);
  if (prior && prior !== report) throw new Error(`report ${report.id} registered twice`);
  reports.set(report.id, report);
  return report;
}

/** The report registered as `id`, if any. */
export function findReport(id: string): Report | undefined {
  return reports.get(id);
}

/**
 * The report registered as `id`.
 *
 * @throws {Error} when none is (configuration validation rules that out first)
 */
export function reportFor(id: string): Report {
  const r = reports.get(id);
  if (!r) throw new Error(`unknown report ${JSON.stringify(id)}`);
  return r;
}

/** Ids of every registered report, in registration order. */
export function reportIds(): string[] {
  return [...reports.keys()];
}

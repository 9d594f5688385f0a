/**
 * Every report family the program ships: importing this module registers
 * them all. A new family is a folder beside `family_a/` and one line here.
 *
 * @module
 */
import "./family_a/report.ts";
import "./messenger/report.ts";

export { findReport, reportFor, reportIds } from "./registry.ts";
export { sourceReport } from "./header_aliases.ts";

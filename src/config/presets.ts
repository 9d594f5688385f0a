/**
 * The Energy Transfer pipelines the program knows, so that a source is one
 * line (`sources: [{ pipeline: PEPL }]`): the site, the report family, the
 * asset code and how the cycle is asked for. Every value is only a default:
 * any key of the source entry overrides it.
 *
 * Hosts: family A's four are verified by requests of the original system and
 * public scrapers; the messenger hosts follow the `<x>messenger` pattern
 * public scrapers report, and Gulf Run's is `pipelines.energytransfer.com`
 * (single sources: override `base_url` if one moves).
 *
 * @module
 */
import type { CycleEncoding } from "../reports/report.ts";

/** What a preset gives a source. */
export interface PipelinePreset {
  /** The pipeline's short name, as written in `pipeline:` (upper case). */
  readonly pipeline: string;
  /** Its full name, for documentation and messages. */
  readonly title: string;
  /** `asset=` code. */
  readonly asset: string;
  /** Scheme and host of its site. */
  readonly baseUrl: string;
  /** Report id (its family). */
  readonly report: string;
  /** How its site takes the cycle. */
  readonly cycleEncoding: CycleEncoding;
  /** Request parameters sent by default. */
  readonly params: Readonly<Record<string, string>>;
}

const FAMILY_A = "operationally-available";
const MESSENGER = "operationally-available-by-location";
const ET = "energytransfer.com";
/** Family A's site sends these with every request of its own pages. */
const FAMILY_A_PARAMS = Object.freeze({ searchString: "", locType: "ALL", locZone: "ALL" });

function familyA(pipeline: string, title: string, host: string): PipelinePreset {
  return {
    pipeline,
    title,
    asset: pipeline,
    baseUrl: `https://${host}.${ET}`,
    report: FAMILY_A,
    cycleEncoding: "code",
    params: FAMILY_A_PARAMS,
  };
}

function messenger(pipeline: string, title: string, host: string): PipelinePreset {
  return {
    pipeline,
    title,
    asset: pipeline,
    baseUrl: `https://${host}.${ET}`,
    report: MESSENGER,
    cycleEncoding: "name",
    params: {},
  };
}

/** Every known pipeline, by `pipeline:` name. */
export const PIPELINE_PRESETS: readonly PipelinePreset[] = Object.freeze([
  familyA("TW", "Transwestern", "twtransfer"),
  familyA("FGT", "Florida Gas Transmission", "fgttransfer"),
  familyA("FEP", "Fayetteville Express", "feptransfer"),
  familyA("TGR", "Tiger", "tigertransfer"),
  messenger("PEPL", "Panhandle Eastern", "peplmessenger"),
  messenger("TGC", "Trunkline Gas", "tgcmessenger"),
  messenger("ROVER", "Rover", "rovermessenger"),
  messenger("SER", "Sea Robin", "sermessenger"),
  messenger("GR", "Gulf Run", "pipelines"),
]);

/** The preset called `name` (case-insensitive), if any. */
export function findPreset(name: string): PipelinePreset | undefined {
  const n = name.trim().toUpperCase();
  return PIPELINE_PRESETS.find((p) => p.pipeline === n);
}

import assert from "node:assert/strict";
import { restrictedSources, restrictionFrom } from "../../src/pipeline/selection.ts";
import { expandParams } from "../../src/cli/params.ts";
import { InvalidRequestError } from "../../src/domain/errors.ts";
import type { SourceConfig } from "../../src/config/schema.ts";

const source = (name: string, asset: string, enabled = true): SourceConfig => ({
  name,
  asset,
  baseUrl: "http://x",
  report: "operationally-available",
  searchType: "ALL",
  cycles: ["timely", "evening", "intraday1", "intraday2", "intraday3", "final"],
  params: {},
  enabled,
});
const SOURCES = [source("tw", "TW"), source("fgt", "FGT"), source("off", "TGR", false)];

Deno.test("daemon params: cycle=[3,4,7] polls only the intraday cycles of every enabled source", () => {
  const r = restrictionFrom(expandParams(["cycle=[3,4,7]"]));
  const kept = restrictedSources(SOURCES, r);
  assert.deepEqual(kept.map((k) => k.source.name), ["tw", "fgt"]);
  for (const k of kept) assert.deepEqual(k.cycles, ["intraday1", "intraday2", "intraday3"]);
});

Deno.test("daemon params: no params polls everything enabled", () => {
  const kept = restrictedSources(SOURCES, restrictionFrom([]));
  assert.deepEqual(kept.map((k) => [k.source.name, k.cycles.length]), [["tw", 6], ["fgt", 6]]);
});

Deno.test("daemon params: asset and request parameters", () => {
  const r = restrictionFrom(expandParams(["asset=fgt", "searchType=NOM"]));
  assert.deepEqual(restrictedSources(SOURCES, r).map((k) => k.source.name), ["fgt"]);
  assert.deepEqual(r.request, { searchType: "NOM" });
});

Deno.test("daemon params: a gas day or varying request parameters are usage errors", () => {
  assert.throws(() => restrictionFrom(expandParams(["gasDay=2024-01-17"])), InvalidRequestError);
  assert.throws(() => restrictionFrom(expandParams(["searchType=[ALL,NOM]"])), InvalidRequestError);
});

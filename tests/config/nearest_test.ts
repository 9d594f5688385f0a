import assert from "node:assert/strict";
import { editDistance, nearest } from "../../src/config/nearest.ts";

Deno.test("editDistance counts insertions, deletions, substitutions and swaps", () => {
  assert.equal(editDistance("", ""), 0);
  assert.equal(editDistance("abc", ""), 3);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("host", "host"), 0);
  assert.equal(editDistance("hots", "host"), 1);
  assert.equal(editDistance("histroy_days", "history_days"), 1);
  assert.equal(editDistance("adr", "addr"), 1);
  assert.equal(editDistance("addrr", "addr"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("ca", "abc"), 3);
});

Deno.test("nearest: the closest candidate within the limit, ignoring case", () => {
  const keys = ["history_days", "grace_minutes", "schedule", "concurrency"];
  assert.equal(nearest("histroy_days", keys), "history_days");
  assert.equal(nearest("HISTORY_DAYS", keys), "history_days");
  assert.equal(nearest("schedul", keys), "schedule");
  assert.equal(nearest("shedulle", keys), "schedule");
  assert.equal(nearest("cron", keys), undefined);
  assert.equal(nearest("anything", []), undefined);
});

Deno.test("nearest: short words allow one edit, longer ones two", () => {
  assert.equal(nearest("urk", ["url"]), "url");
  assert.equal(nearest("usr", ["url", "user"]), "user");
  // A tie goes to the candidate listed first.
  assert.equal(nearest("ur", ["urn", "url"]), "urn");
  assert.equal(nearest("ur", ["url", "urn"]), "url");
  assert.equal(nearest("xyz", ["url"]), undefined);
  assert.equal(nearest("nme", ["name"]), "name");
  assert.equal(nearest("nm", ["name"]), undefined);
  assert.equal(nearest("scheme", ["schema"]), "schema");
  assert.equal(nearest("schedxxe", ["schedule"]), "schedule");
  assert.equal(nearest("schexxxe", ["schedule"]), undefined);
});

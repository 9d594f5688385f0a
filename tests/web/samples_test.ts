/**
 * The questions analysts asked, on the real TW files of 2024-01-17 (when the
 * workplace has them): the Final page's low-OAC locations and its changes
 * against Timely equal what SQL says of the same rows.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { loadConfig } from "../../src/config/load.ts";
import { createWebApp } from "../../src/web/app.ts";
import { webDeps } from "../../src/web/deps.ts";
import { pairKey, startFakeIpost } from "../support/fake_ipost.ts";
import { freshDatabase } from "../support/db.ts";
import { programEnv, readSample, samplesAbsent } from "../support/env.ts";

const DAY = "2024-01-17";
const absent = await samplesAbsent();

Deno.test({
  name: `dashboard on the real files of ${DAY}: low OAC and Timely-to-Final changes equal SQL${
    absent ? ` (${absent})` : ""
  }`,
  ignore: absent !== undefined,
  fn: async () => {
    const fake = startFakeIpost();
    const t = await freshDatabase();
    const dir = await Deno.makeTempDir({ prefix: "tec-web-samples-" });
    try {
      const env = programEnv({ apiUrl: fake.url, db: t.config, dataDir: `${dir}/data` });
      for (const [code, file] of [[0, "cycle0-timely"], [5, "cycle5-final"]] as const) {
        const body = (await readSample(`tw_oac_${DAY}_${file}_searchALL.csv`))!;
        fake.script(pairKey("TW", DAY, code), [{ kind: "csv", body }]);
      }
      const quiet = { env, logWrite: () => {}, print: () => {}, printError: () => {} };
      assert.equal(await main(["--once", "--params", `gasDay=${DAY}`, "cycle=[0,5]"], quiet), 0);
      const { config } = await loadConfig({ env });
      const app = createWebApp(webDeps(config, t.db));
      const s = config.database.schema;
      const page = await (await app.request(`/capacity?asset=TW&gas_day=${DAY}&cycle=final`))
        .text();

      const low = await t.db.query<{ loc: string; loc_name: string }>(
        `SELECT loc, loc_name FROM ${s}.operational_capacity
         WHERE gas_day = $1 AND cycle = 'Final' AND opc > 0 AND oac::numeric / opc < 0.05`,
        [DAY],
      );
      assert.ok(low.length > 0);
      assert.match(page, new RegExp(`<span class="low-count">${low.length}</span>`));
      const highlighted = [...page.matchAll(/<tr class="low" data-loc="([^"]+)"/g)].map((m) =>
        m[1]
      );
      assert.deepEqual(highlighted.sort(), low.map((r) => r.loc).sort());

      const [{ n, top }] = await t.db.query<{ n: number; top: string }>(
        `SELECT count(*)::int AS n, (array_agg(loc ORDER BY greatest(abs(opc_change),
           abs(tsq_change), abs(oac_change)) DESC NULLS LAST, loc COLLATE "C", flow_ind))[1] AS top
         FROM ${s}.capacity_changes
         WHERE gas_day = $1 AND cycle = 'Final' AND prev_cycle IS NOT NULL
           AND (opc_change <> 0 OR tsq_change <> 0 OR oac_change <> 0
                OR (opc IS NULL) <> (prev_opc IS NULL) OR (tsq IS NULL) <> (prev_tsq IS NULL))`,
        [DAY],
      );
      assert.match(page, new RegExp(`<span class="changed-count">${n}</span>`));
      const changes = page.slice(page.indexOf('<table class="changes">'));
      assert.equal(/<tr data-loc="([^"]+)"/.exec(changes)?.[1], top);
      console.log(
        `Final ${DAY}: ${low.length} locations under 5% OAC (${
          low.map((r) => r.loc_name.trim()).join(", ")
        }); ${n} changed against Timely; the biggest: ${top}`,
      );
    } finally {
      await fake.close();
      await t.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

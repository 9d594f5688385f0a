/**
 * The dashboard through `app.request()` on a database the program loaded
 * from the fake site: the figures each page shows equal SQL over the same
 * tables, hostile names are shown as text, a malformed or hostile parameter
 * is a 400 page naming it (never a 500), nothing can be written, no secret
 * appears, and the CSV download is the export command's output.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { CSP } from "../../src/web/app.ts";
import {
  type DashboardFixture,
  dashboardFixture,
  DAYS,
  DB_SECRET,
  HOSTILE_ATTR,
  HOSTILE_LOC,
  HOSTILE_NAME,
  LOW_LOC,
} from "../support/dashboard_data.ts";

const DAY = DAYS[1];
const PAIR = `asset=TW&gas_day=${DAY}&cycle=final`;

async function get(f: DashboardFixture, url: string, init?: RequestInit) {
  const res = await f.app.request(url, init);
  return { res, text: await res.text() };
}

/** The text of every `<td class="...KIND...">` in `html`, in order. */
function cells(html: string, kind: string): string[] {
  const re = new RegExp(`<td class="num ${kind}">([^<]*)</td>`, "g");
  return [...html.matchAll(re)].map((m) => m[1]);
}

/** The `data-loc` of every row of the locations table, in order. */
function locs(html: string): string[] {
  const table = html.slice(html.indexOf('<table class="locations">'), html.indexOf("</table>"));
  return [...table.matchAll(/<tr class="[^"]*" data-loc="([^"]+)" data-flow="([^"]+)">/g)]
    .map((m) => `${m[1]}/${m[2]}`);
}

const fmt = (v: string | null) => (v === null ? "—" : BigInt(v).toLocaleString("en-US"));

Deno.test("dashboard pages through app.request", async (t) => {
  const f = await dashboardFixture();
  const s = f.config.database.schema;
  try {
    await t.step(
      "the capacity page lists every location of the pair with SQL's figures",
      async () => {
        const { res, text } = await get(f, `/capacity?${PAIR}`);
        assert.equal(res.status, 200);
        const rows = await f.t.db.query<{ loc: string; flow_ind: string; oac: string | null }>(
          `SELECT loc, flow_ind, oac FROM ${s}.operational_capacity
         WHERE asset = 'TW' AND gas_day = $1 AND cycle = 'Final'
         ORDER BY loc COLLATE "C", flow_ind COLLATE "C"`,
          [DAY],
        );
        assert.deepEqual(locs(text), rows.map((r) => `${r.loc}/${r.flow_ind}`));
        assert.deepEqual(cells(text, "oac").slice(0, rows.length), rows.map((r) => fmt(r.oac)));
        assert.match(text, new RegExp(`<span class="count">${rows.length}</span>`));
      },
    );

    await t.step("hostile names are text, in content and in attributes", async () => {
      const { text } = await get(f, `/capacity?${PAIR}`);
      assert.ok(text.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
      assert.ok(!text.includes(HOSTILE_NAME));
      assert.ok(text.includes("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
      assert.ok(!text.includes(HOSTILE_ATTR));
      const loc = await get(f, `/location?asset=TW&loc=${HOSTILE_LOC}`);
      assert.equal(loc.res.status, 200);
      assert.ok(!loc.text.includes(HOSTILE_NAME));
      assert.ok(loc.text.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
      assert.equal(loc.res.headers.get("content-security-policy"), CSP);
    });

    await t.step("filters by zone and name, sorts by OAC, on the server", async () => {
      const zone = await f.t.db.query<{ loc: string; flow_ind: string }>(
        `SELECT loc, flow_ind FROM ${s}.operational_capacity
         WHERE asset = 'TW' AND gas_day = $1 AND cycle = 'Final' AND loc_zn = 'CENTRAL'
         ORDER BY oac DESC NULLS LAST, loc COLLATE "C", flow_ind COLLATE "C"`,
        [DAY],
      );
      const z = await get(f, `/capacity?${PAIR}&zone=CENTRAL&sort=oac&dir=desc`);
      assert.equal(z.res.status, 200);
      assert.deepEqual(locs(z.text), zone.map((r) => `${r.loc}/${r.flow_ind}`));
      const n = await get(f, `/capacity?${PAIR}&name=water+systems`);
      assert.deepEqual(locs(n.text), [`${LOW_LOC}/R`]);
      assert.match(n.text, /<tr class="low" data-loc="700005"/);
    });

    await t.step("locations under the OAC share are highlighted, as SQL counts them", async () => {
      for (const below of ["0.05", "50%"]) {
        const share = below.endsWith("%") ? Number(below.slice(0, -1)) / 100 : Number(below);
        const [{ n }] = await f.t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${s}.operational_capacity
           WHERE asset = 'TW' AND gas_day = $1 AND cycle = 'Final' AND opc > 0
             AND oac::numeric / opc < $2`,
          [DAY, share],
        );
        const { text } = await get(f, `/capacity?${PAIR}&below=${encodeURIComponent(below)}`);
        assert.match(text, new RegExp(`<span class="low-count">${n}</span>`));
        assert.equal([...text.matchAll(/<tr class="low"/g)].length, n);
      }
    });

    await t.step("zone totals and the biggest changes equal SQL", async () => {
      const { text } = await get(f, `/capacity?${PAIR}`);
      const totals = await f.t.db.query<{ zone: string; oac: string }>(
        `SELECT loc_zn AS zone, sum(oac)::text AS oac FROM ${s}.operational_capacity
         WHERE asset = 'TW' AND gas_day = $1 AND cycle = 'Final' GROUP BY 1 ORDER BY 1`,
        [DAY],
      );
      for (const z of totals) {
        assert.match(
          text,
          new RegExp(`<tr data-zone="${z.zone}">.*?<td class="num oac">${fmt(z.oac)}</td>`),
        );
      }
      const [{ n }] = await f.t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${s}.capacity_changes
         WHERE asset = 'TW' AND gas_day = $1 AND cycle = 'Final' AND prev_cycle IS NOT NULL
           AND (opc_change <> 0 OR tsq_change <> 0 OR oac_change <> 0)`,
        [DAY],
      );
      assert.ok(n > 0);
      assert.match(text, new RegExp(`<span class="changed-count">${n}</span>`));
    });

    await t.step("the overview: latest pair, grid states, failures, quarantine", async () => {
      const { res, text } = await get(f, "/");
      assert.equal(res.status, 200);
      assert.match(text, new RegExp(`class="latest-day">${DAY}<`));
      assert.match(text, /class="latest-cycle">Final</);
      const ledger = await f.t.db.query<{ gas_day: string; cycle: string; n: number }>(
        `SELECT gas_day::text, cycle, count(*)::int AS n FROM ${s}.load_ledger
         WHERE status = 'loaded' GROUP BY 1, 2`,
      );
      const revised = ledger.filter((r) => r.n > 1).length;
      const loaded = ledger.filter((r) => r.n === 1).length;
      assert.ok(revised > 0);
      assert.equal([...text.matchAll(/<td class="cell revised"/g)].length, revised);
      assert.equal([...text.matchAll(/<td class="cell loaded"/g)].length, loaded);
      const [failed] = await f.t.db.query<{ error: string }>(
        `SELECT error FROM ${s}.load_ledger WHERE status = 'failed'`,
      );
      assert.ok(text.includes(failed.error.replaceAll('"', "&quot;")));
      const [{ q }] = await f.t.db.query<{ q: number }>(
        `SELECT count(*)::int AS q FROM ${s}.quarantine`,
      );
      assert.match(text, new RegExp(`<p>${q} quarantined rows`));
      // Lag: the latest load was first seen 7 minutes after Final's expected posting.
      const [l] = await f.t.db.query<{ lag: number }>(
        `SELECT round(extract(epoch FROM (min(first_seen_at) - ((gas_day + 1) + time '11:00')
           AT TIME ZONE 'America/Chicago')) / 60)::int AS lag
         FROM ${s}.load_ledger WHERE gas_day = $1 AND cycle = 'Final' GROUP BY gas_day`,
        [DAY],
      );
      assert.match(text, new RegExp(`\\(\\+${l.lag} min after the expected posting`));
    });

    await t.step("the location page: its postings and its revisions equal SQL", async () => {
      const rev = await f.t.db.query<{ loc: string }>(
        `SELECT loc FROM ${s}.operational_capacity_retired ORDER BY loc LIMIT 1`,
      );
      const loc = rev[0].loc;
      const { text } = await get(f, `/location?asset=TW&loc=${loc}`);
      const points = await f.t.db.query<{ opc: string }>(
        `SELECT opc FROM ${s}.operational_capacity c JOIN ${s}.cycles y ON y.name = c.cycle
         WHERE asset = 'TW' AND loc = $1 ORDER BY gas_day, y.ord, flow_ind`,
        [loc],
      );
      assert.deepEqual(cells(text, "opc"), points.map((p) => fmt(p.opc)));
      const [{ r }] = await f.t.db.query<{ r: number }>(
        `SELECT count(*)::int AS r FROM ${s}.operational_capacity_retired WHERE loc = $1`,
        [loc],
      );
      const table = text.slice(text.indexOf('<table class="revisions">'));
      assert.equal([...table.matchAll(/<tr><td>/g)].length, r);
      assert.match(text, /<div class="chart" data-series="\{&quot;flow&quot;/);
    });

    await t.step("malformed or hostile parameters: 400 naming the parameter", async () => {
      const cases: [string, string][] = [
        [`/capacity?asset=TW&gas_day=2024-13-01&cycle=final`, "gas_day"],
        [`/capacity?asset=TW&gas_day=2024-02-30&cycle=final`, "gas_day"],
        [`/capacity?asset=TW&gas_day=yesterday&cycle=final`, "gas_day"],
        [`/capacity?asset=TW&cycle=final`, "gas_day"],
        [`/capacity?asset=XX&gas_day=${DAY}&cycle=final`, "asset"],
        [`/capacity?asset=TW&gas_day=${DAY}&cycle=lunch`, "cycle"],
        [`/capacity?${PAIR}&zone=${encodeURIComponent("<script>alert(1)</script>")}`, "zone"],
        [`/capacity?${PAIR}&zone=${encodeURIComponent("' OR 1=1 --")}`, "zone"],
        [`/capacity?${PAIR}&name=${encodeURIComponent("' OR 1=1 --")}`, "name"],
        [`/capacity?${PAIR}&name=${encodeURIComponent("<img src=x onerror=alert(1)>")}`, "name"],
        [`/capacity?${PAIR}&sort=${encodeURIComponent("oac; DROP TABLE x")}`, "sort"],
        [`/capacity?${PAIR}&dir=sideways`, "dir"],
        [`/capacity?${PAIR}&below=2`, "below"],
        [`/capacity?${PAIR}&source=nope`, "source"],
        [`/capacity?${PAIR}&foo=1`, "foo"],
        [`/capacity?${PAIR}&cycle=final`, "cycle"],
        [`/capacity.csv?asset=TW&gas_day=2024-1-1&cycle=final`, "gas_day"],
        [`/location?asset=TW&loc=${encodeURIComponent("1;DROP")}`, "loc"],
        [`/location?asset=TW`, "loc"],
        [`/location?asset=TW&loc=700001&from=2024-02-01&to=2024-01-01`, "from"],
        [`/location?asset=TW&loc=700001&from=2020-01-01&to=2024-01-01`, "from"],
        [`/location.csv?asset=TW&loc=700001&to=x`, "to"],
        [`/?days=0`, "days"],
        [`/?days=${encodeURIComponent("1 OR 1=1")}`, "days"],
      ];
      for (const [url, param] of cases) {
        const { res, text } = await get(f, url);
        assert.equal(res.status, 400, url);
        assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
        assert.ok(text.includes(`<code class="param">${param}</code>`), `${url} names ${param}`);
        assert.doesNotMatch(text, /<script>alert|<img src=x|at [a-z]+ \(|\.ts:\d+/, url);
      }
      assert.deepEqual(f.errors, []);
    });

    await t.step("no write endpoint: other methods are 405, unknown paths 404", async () => {
      for (const path of ["/", "/capacity", "/capacity.csv", "/location", "/location.csv"]) {
        for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
          const { res } = await get(f, path, { method, body: "x=1" });
          assert.equal(res.status, 405, `${method} ${path}`);
          assert.equal(res.headers.get("allow"), "GET, HEAD");
        }
      }
      const head = await f.app.request(`/capacity?${PAIR}`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), "");
      assert.equal((await get(f, "/admin", { method: "POST" })).res.status, 404);
      assert.equal((await get(f, "/assets/../../deno.json")).res.status, 404);
      assert.equal((await get(f, "/assets/uplot.js")).res.status, 200);
      assert.deepEqual(f.errors, []);
    });

    await t.step("no page shows the database password", async () => {
      const urls = [
        "/",
        `/capacity?${PAIR}`,
        `/capacity.csv?${PAIR}`,
        `/location?asset=TW&loc=${LOW_LOC}`,
        `/location.csv?asset=TW&loc=${LOW_LOC}`,
        "/nowhere",
        `/capacity?asset=TW&gas_day=x&cycle=final`,
        "/assets/chart.js",
      ];
      for (const url of urls) {
        const { res, text } = await get(f, url);
        assert.ok(!text.includes(DB_SECRET), url);
        assert.ok(![...res.headers.values()].some((v) => v.includes(DB_SECRET)), url);
      }
    });

    await t.step("the CSV download is the export command's output for the pair", async () => {
      const { res, text } = await get(f, `/capacity.csv?${PAIR}`);
      assert.equal(res.status, 200);
      assert.match(
        res.headers.get("content-disposition") ?? "",
        /filename="TW_2024-01-17_final\.csv"/,
      );
      const out = `${await Deno.makeTempDir()}/export.csv`;
      const code = await main(
        ["export", "--from", DAY, "--to", DAY, "--cycles", "final", "--format", "csv", "-o", out],
        { env: f.env, logWrite: () => {}, print: () => {}, printError: () => {} },
      );
      assert.equal(code, 0);
      assert.equal(text, await Deno.readTextFile(out));
      // Filtered: the rows on screen, nothing else.
      const z = await get(f, `/capacity.csv?${PAIR}&zone=CENTRAL&sort=oac`);
      const lines = z.text.trimEnd().split("\r\n");
      const page = await get(f, `/capacity?${PAIR}&zone=CENTRAL&sort=oac`);
      assert.deepEqual(
        lines.slice(1).map((l) => l.split(",").map((c) => c.replaceAll('"', ""))).map((c) =>
          `${c[0]}/${c[5]}`
        ),
        locs(page.text),
      );
    });
  } finally {
    await f.done();
  }
});

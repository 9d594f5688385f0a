/**
 * The dashboard in a real browser: Debian's Chromium driven by
 * playwright-core, headless, with a fresh profile, on the app served over a
 * socket from a database the program loaded from the fake site. The figures
 * on screen equal SQL; hostile names are inert (no dialog ever opens); the
 * filters work with JavaScript off; the chart draws (a canvas with pixels).
 *
 * With `DASHBOARD_SCREENSHOTS=DIR` (`deno task screenshots` writes `docs/`),
 * each page is also saved as a PNG: the data is the fixture's, the same on
 * every run.
 */
import assert from "node:assert/strict";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { startHealthServer } from "../../src/health/server.ts";
import {
  type DashboardFixture,
  dashboardFixture,
  DAYS,
  HOSTILE_ATTR,
  HOSTILE_LOC,
  HOSTILE_NAME,
  LOW_LOC,
} from "../support/dashboard_data.ts";

/** Where Debian installs Chromium (`apt-get install chromium`; `.ci/run` does). */
export const CHROMIUM = "/usr/bin/chromium";

/** Flags without which Chromium stalls or phones home on this closed network. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Every browser wait's bound. */
const WAIT_MS = 20_000;

const SHOTS = Deno.env.get("DASHBOARD_SCREENSHOTS");

function chromiumMissing(): boolean {
  try {
    return !Deno.statSync(CHROMIUM).isFile;
  } catch {
    return true;
  }
}

const missing = chromiumMissing();

async function launch(javaScriptEnabled: boolean): Promise<{ ctx: BrowserContext; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "tec-chromium-" });
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    javaScriptEnabled,
    viewport: { width: 1280, height: 900 },
    timeout: WAIT_MS,
  });
  ctx.setDefaultTimeout(WAIT_MS);
  ctx.setDefaultNavigationTimeout(WAIT_MS);
  return { ctx, dir };
}

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  await Deno.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true, timeout: WAIT_MS });
}

/** Rows of the locations table as shown: loc/flow, the name's text, OAC's text. */
function shownRows(page: Page) {
  return page.$$eval("table.locations tbody tr", (trs) =>
    trs.map((tr) => ({
      key: `${tr.getAttribute("data-loc")}/${tr.getAttribute("data-flow")}`,
      name: tr.querySelector("td.name")?.textContent ?? "",
      oac: tr.querySelector("td.oac")?.textContent ?? "",
      low: tr.classList.contains("low"),
    })));
}

const fmt = (v: string | null) => (v === null ? "—" : BigInt(v).toLocaleString("en-US"));

async function sqlRows(
  f: DashboardFixture,
  where = "",
  order = `loc COLLATE "C", flow_ind COLLATE "C"`,
) {
  return await f.t.db.query<
    { loc: string; flow_ind: string; loc_name: string; oac: string | null }
  >(
    `SELECT loc, flow_ind, loc_name, oac FROM ${f.config.database.schema}.operational_capacity
     WHERE asset = 'TW' AND gas_day = $1 AND cycle = 'Final' ${where} ORDER BY ${order}`,
    [DAYS[1]],
  );
}

Deno.test({
  name: `dashboard in Chromium (playwright-core)${
    missing ? ` (no ${CHROMIUM}: apt-get install chromium)` : ""
  }`,
  ignore: missing,
  fn: async (t) => {
    const f = await dashboardFixture();
    const server = startHealthServer({ app: f.app, hostname: "127.0.0.1", port: 0 });
    const base = `http://127.0.0.1:${server.addr.port}`;
    const dialogs: string[] = [];
    const browsers: { ctx: BrowserContext; dir: string }[] = [];
    try {
      const b = await launch(true);
      browsers.push(b);
      const page = await b.ctx.newPage();
      page.on("dialog", (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));

      await t.step("overview: the latest pair and the grid as the ledger has them", async () => {
        await page.goto(`${base}/`);
        assert.equal(await page.textContent(".latest-day"), DAYS[1]);
        assert.equal(await page.textContent(".latest-cycle"), "Final");
        const revised = await page.$$eval("td.cell.revised", (els) => els.length);
        const [{ n }] = await f.t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${f.config.database.schema}.load_ledger
           WHERE status = 'loaded' GROUP BY gas_day, cycle HAVING count(*) > 1) x`,
        );
        assert.equal(revised, n);
        await shot(page, "dashboard-overview");
      });

      await t.step(
        "one pair: every location's figures equal SQL; hostile names are text",
        async () => {
          await page.goto(`${base}/capacity?asset=TW&gas_day=${DAYS[1]}&cycle=final`);
          const shown = await shownRows(page);
          const rows = await sqlRows(f);
          assert.deepEqual(shown.map((r) => r.key), rows.map((r) => `${r.loc}/${r.flow_ind}`));
          assert.deepEqual(shown.map((r) => r.oac), rows.map((r) => fmt(r.oac)));
          assert.deepEqual(shown.map((r) => r.name), rows.map((r) => r.loc_name ?? ""));
          assert.ok(shown.some((r) => r.name === HOSTILE_NAME));
          assert.ok(shown.some((r) => r.name === HOSTILE_ATTR));
          assert.ok(shown.find((r) => r.key === `${LOW_LOC}/R`)!.low, "low OAC highlighted");
          // Nothing the data holds became an element or ran.
          assert.equal(await page.$$eval("img", (els) => els.length), 0);
          assert.equal(await page.$$eval("main script", (els) => els.length), 0);
          await shot(page, "dashboard-capacity");
        },
      );

      await t.step("the location page draws its chart", async () => {
        await page.goto(`${base}/location?asset=TW&loc=${LOW_LOC}`);
        await page.waitForSelector(".chart[data-drawn='1'] canvas", { timeout: WAIT_MS });
        const painted = await page.$eval(".chart canvas", (c) => {
          // The browser's canvas, typed by hand (this file is checked without the DOM library).
          const canvas = c as unknown as {
            width: number;
            height: number;
            getContext(k: "2d"): {
              getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
            };
          };
          const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
          return { n, total: canvas.width * canvas.height };
        });
        assert.ok(painted.n > 500, `painted pixels: ${painted.n} of ${painted.total}`);
        const opc = await page.$$eval(
          "table.series td.opc",
          (tds) => tds.map((td) => td.textContent),
        );
        const points = await f.t.db.query<{ opc: string | null }>(
          `SELECT c.opc FROM ${f.config.database.schema}.operational_capacity c
           JOIN ${f.config.database.schema}.cycles y ON y.name = c.cycle
           WHERE c.asset = 'TW' AND c.loc = $1 ORDER BY c.gas_day, y.ord, c.flow_ind`,
          [LOW_LOC],
        );
        assert.deepEqual(opc, points.map((p) => fmt(p.opc)));
        await shot(page, "dashboard-location");
        await page.goto(`${base}/location?asset=TW&loc=${HOSTILE_LOC}`);
        await page.waitForSelector(".chart[data-drawn='1'] canvas", { timeout: WAIT_MS });
        assert.match((await page.textContent("h1")) ?? "", /<script>alert\(1\)<\/script>/);
      });

      await t.step("a hostile parameter is a 400 page naming it", async () => {
        const res = await page.goto(
          `${base}/capacity?asset=TW&gas_day=${DAYS[1]}&cycle=final&name=${
            encodeURIComponent("<script>alert(3)</script>")
          }`,
        );
        assert.equal(res?.status(), 400);
        assert.equal(await page.textContent("code.param"), "name");
        await shot(page, "dashboard-bad-request");
      });
      assert.deepEqual(dialogs, [], "no dialog opened");
      assert.deepEqual(errors, [], "no script error");

      await t.step("without JavaScript: the zone and name filters and the sort work", async () => {
        const nojs = await launch(false);
        browsers.push(nojs);
        const p = await nojs.ctx.newPage();
        await p.goto(`${base}/capacity?asset=TW&gas_day=${DAYS[1]}&cycle=final`);
        await p.selectOption("select[name=zone]", "WEST TEXAS");
        await p.selectOption("select[name=sort]", "oac");
        await Promise.all([p.waitForURL(/zone=WEST\+TEXAS/), p.click("form.filters button")]);
        const shown = await shownRows(p);
        const rows = await sqlRows(
          f,
          "AND loc_zn = 'WEST TEXAS'",
          `oac ASC NULLS LAST, loc COLLATE "C", flow_ind COLLATE "C"`,
        );
        assert.deepEqual(shown.map((r) => r.key), rows.map((r) => `${r.loc}/${r.flow_ind}`));
        await p.fill("input[name=name]", "water");
        await Promise.all([p.waitForURL(/name=water/), p.click("form.filters button")]);
        assert.deepEqual((await shownRows(p)).map((r) => r.key), [`${LOW_LOC}/R`]);
      });
    } finally {
      for (const b of browsers) {
        await b.ctx.close().catch(() => {});
        await Deno.remove(b.dir, { recursive: true }).catch(() => {});
      }
      await server.shutdown();
      await f.done();
    }
  },
});

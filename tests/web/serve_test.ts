/**
 * The dashboard served by the program: `tec-pipeline serve --addr` over a
 * real socket until a stop request, and the daemon with the dashboard beside
 * its health paths (`dashboard.addr: health`) or on an address of its own.
 */
import assert from "node:assert/strict";
import { main } from "../../src/main.ts";
import { parseDashboardAddr } from "../../src/app/commands/serve.ts";
import { InvalidRequestError } from "../../src/domain/errors.ts";
import { dashboardFixture, DAYS } from "../support/dashboard_data.ts";
import { waitUntil, withTimeout } from "../support/wait.ts";

const opts = (
  env: Record<string, string>,
  stop: AbortSignal,
  onHealth: (a: { port: number }) => void,
) => ({
  env,
  stop,
  logWrite: () => {},
  print: () => {},
  printError: () => {},
  onHealth,
});

async function fetchText(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text() };
}

Deno.test("serve --addr: the default is loopback; a bad address is a usage error", () => {
  assert.deepEqual(parseDashboardAddr(undefined), { hostname: "127.0.0.1", port: 8080 });
  assert.throws(() => parseDashboardAddr("nowhere"), InvalidRequestError);
});

Deno.test("serve, and the daemon's dashboard beside /healthz and on dashboard.addr", async (t) => {
  const f = await dashboardFixture();
  try {
    await t.step("tec-pipeline serve answers the pages until stopped", async () => {
      const stop = new AbortController();
      let addr: { port: number } | undefined;
      const run = main(
        ["serve", "--addr", "127.0.0.1:0"],
        opts(f.env, stop.signal, (a) => (addr = a)),
      );
      try {
        const { port } = await waitUntil(() => addr, { what: "the dashboard listening" });
        const home = await fetchText(`http://127.0.0.1:${port}/`);
        assert.equal(home.status, 200);
        assert.match(home.text, /<h1>Overview<\/h1>/);
        const pair = await fetchText(
          `http://127.0.0.1:${port}/capacity?asset=TW&gas_day=${DAYS[1]}&cycle=final`,
        );
        assert.equal(pair.status, 200);
        const bad = await fetchText(
          `http://127.0.0.1:${port}/capacity?asset=TW&gas_day=x&cycle=final`,
        );
        assert.equal(bad.status, 400);
      } finally {
        stop.abort();
      }
      assert.equal(await withTimeout(run, { what: "serve to stop", timeoutMs: 15_000 }), 0);
    });

    for (const where of ["health", "own"] as const) {
      await t.step(`the daemon serves it (dashboard.addr: ${where})`, async () => {
        const stop = new AbortController();
        let health: { port: number } | undefined;
        const own = where === "own";
        // A fixed free port for the dashboard's own address: the OS picks one, then frees it.
        const port = own ? freePort() : 0;
        const env = { ...f.env, DASHBOARD_ADDR: own ? `127.0.0.1:${port}` : "health" };
        const run = main([], opts(env, stop.signal, (a) => (health = a)));
        try {
          const h = await waitUntil(() => health, { what: "the health listener" });
          const hz = await fetchText(`http://127.0.0.1:${h.port}/healthz`);
          assert.equal(hz.status, 200);
          const web = own ? port : h.port;
          const home = await fetchText(`http://127.0.0.1:${web}/`);
          assert.equal(home.status, 200);
          assert.match(home.text, /<h1>Overview<\/h1>/);
          if (own) {
            assert.equal((await fetchText(`http://127.0.0.1:${h.port}/`)).status, 404);
          }
        } finally {
          stop.abort();
        }
        assert.equal(await withTimeout(run, { what: "the daemon to stop", timeoutMs: 30_000 }), 0);
      });
    }

    await t.step("an address in use: serve and the daemon exit 1, naming it", async () => {
      const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (held.addr as Deno.NetAddr).port;
      try {
        for (
          const [argv, env] of [
            [["serve", "--addr", `127.0.0.1:${port}`], f.env],
            [[], { ...f.env, DASHBOARD_ADDR: `127.0.0.1:${port}` }],
          ] as const
        ) {
          const lines: string[] = [];
          const code = await withTimeout(
            main([...argv], {
              ...opts(env, new AbortController().signal, () => {}),
              logWrite: (l) => lines.push(l),
            }),
            { what: `${argv.join(" ") || "the daemon"} to give up`, timeoutMs: 15_000 },
          );
          assert.equal(code, 1);
          assert.ok(
            lines.some((l) => l.includes(`127.0.0.1:${port}`) && /failed/.test(l)),
            lines.join("\n"),
          );
        }
      } finally {
        held.close();
      }
    });
  } finally {
    await f.done();
  }
});

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

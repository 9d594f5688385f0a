import assert from "node:assert/strict";
import { createHealthApp } from "../../src/health/app.ts";
import { healthcheck } from "../../src/health/healthcheck.ts";
import { parseHostPort, startHealthServer } from "../../src/health/server.ts";

const app = createHealthApp({
  isAlive: () => true,
  checkReady: () => Promise.resolve({ ok: false, reason: "warming up" }),
  renderMetrics: () => Promise.resolve(""),
  status: () => Promise.resolve({}),
});

Deno.test("health server binds 127.0.0.1:0, serves /healthz, passes healthcheck, shuts down", async () => {
  let listened: { hostname: string; port: number } | undefined;
  const server = startHealthServer({
    app,
    hostname: "127.0.0.1",
    port: 0,
    onListen: (addr) => listened = addr,
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    assert.equal(server.addr.hostname, "127.0.0.1");
    assert.ok(server.addr.port > 0);
    assert.deepEqual(listened, server.addr);

    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });

    assert.equal(await healthcheck({ url: `${base}/healthz`, timeoutMs: 5000 }), 0);
    // A non-200 answer (readyz is 503 here) is unhealthy.
    const logs: string[] = [];
    assert.equal(
      await healthcheck({ url: `${base}/readyz`, timeoutMs: 5000, log: (m) => logs.push(m) }),
      1,
    );
    assert.match(logs[0], /answered 503/);
  } finally {
    await server.shutdown();
  }
  await server.shutdown(); // idempotent

  // The port is closed now: connection refused is unhealthy, and fast.
  const logs: string[] = [];
  const started = performance.now();
  assert.equal(
    await healthcheck({ url: `${base}/healthz`, timeoutMs: 2000, log: (m) => logs.push(m) }),
    1,
  );
  assert.ok(performance.now() - started < 2000);
  assert.match(logs[0], /failed/);
});

Deno.test("healthcheck gives up after timeoutMs on a server that never answers", async () => {
  const { promise: release, resolve } = Promise.withResolvers<void>();
  const hanging = startHealthServer({
    app: {
      fetch: async () => {
        await release;
        return new Response("late");
      },
    },
    hostname: "127.0.0.1",
    port: 0,
  });
  try {
    const logs: string[] = [];
    const started = performance.now();
    const code = await healthcheck({
      url: `http://127.0.0.1:${hanging.addr.port}/healthz`,
      timeoutMs: 200,
      log: (m) => logs.push(m),
    });
    const elapsed = performance.now() - started;
    assert.equal(code, 1);
    assert.ok(elapsed >= 150 && elapsed < 3000, `elapsed ${elapsed} ms`);
    assert.match(logs[0], /no answer within 200 ms/);
  } finally {
    resolve();
    await hanging.shutdown();
  }
});

Deno.test("healthcheck rejects bad input without throwing", async () => {
  assert.equal(await healthcheck({ url: "not a url", timeoutMs: 100 }), 1);
  assert.equal(await healthcheck({ url: "http://127.0.0.1:1/", timeoutMs: 0 }), 1);
});

Deno.test("aborting the signal shuts the server down", async () => {
  const controller = new AbortController();
  const server = startHealthServer({
    app,
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
  });
  const url = `http://127.0.0.1:${server.addr.port}/healthz`;
  assert.equal(await healthcheck({ url, timeoutMs: 5000 }), 0);
  controller.abort();
  await server.shutdown();
  assert.equal(await healthcheck({ url, timeoutMs: 2000 }), 1);
});

Deno.test("parseHostPort accepts IPv4, names and bracketed IPv6", () => {
  assert.deepEqual(parseHostPort("0.0.0.0:8080", "health.listen"), {
    hostname: "0.0.0.0",
    port: 8080,
  });
  assert.deepEqual(parseHostPort("127.0.0.1:0", "k"), { hostname: "127.0.0.1", port: 0 });
  assert.deepEqual(parseHostPort("[::1]:8080", "k"), { hostname: "::1", port: 8080 });
  assert.deepEqual(parseHostPort("[::]:9090", "k"), { hostname: "::", port: 9090 });
  assert.deepEqual(parseHostPort("localhost:65535", "k"), { hostname: "localhost", port: 65535 });
  assert.deepEqual(parseHostPort(" health-svc.local:80 ", "k"), {
    hostname: "health-svc.local",
    port: 80,
  });
});

Deno.test("parseHostPort errors name the key, the value and the expected form", () => {
  const cases: [string, RegExp][] = [
    ["8080", /missing ':port'/],
    [":8080", /missing host/],
    ["0.0.0.0:", /invalid port ""/],
    ["0.0.0.0:http", /invalid port "http"/],
    ["0.0.0.0:65536", /out of range/],
    ["0.0.0.0:-1", /invalid port/],
    ["0.0.0.0:123456", /invalid port/],
    ["::1:8080", /IPv6 addresses must be in brackets/],
    ["[::1]", /missing ':port'/],
    ["[::1:8080", /missing '\]'/],
    ["[host]:80", /not an IPv6 address/],
    ["bad_host!:80", /invalid host/],
    ["", /missing ':port'/],
  ];
  for (const [text, why] of cases) {
    assert.throws(
      () => parseHostPort(text, "TEC_HEALTH_LISTEN"),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /^invalid TEC_HEALTH_LISTEN /);
        assert.ok(error.message.includes(JSON.stringify(text)), error.message);
        assert.match(error.message, why);
        assert.match(error.message, /expected host:port such as 0\.0\.0\.0:8080/);
        return true;
      },
      text,
    );
  }
});

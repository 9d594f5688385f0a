import assert from "node:assert/strict";
import { createHealthApp, defaultRedact, type HealthDeps } from "../../src/health/app.ts";
import { createMetrics } from "../../src/metrics/metrics.ts";

function deps(overrides: Partial<HealthDeps> = {}): HealthDeps {
  return {
    isAlive: () => true,
    checkReady: () => Promise.resolve({ ok: true }),
    renderMetrics: () => Promise.resolve("# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n"),
    status: () => Promise.resolve({ cycle: "timely", loaded: 3 }),
    ...overrides,
  };
}

Deno.test("GET /healthz is 200 ok while alive", async () => {
  const res = await createHealthApp(deps()).request("/healthz");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.deepEqual(await res.json(), { status: "ok" });
});

Deno.test("GET /healthz is 503 when not alive, and when isAlive throws", async () => {
  let res = await createHealthApp(deps({ isAlive: () => false })).request("/healthz");
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: "unavailable", reason: "not alive" });

  const app = createHealthApp(deps({
    isAlive: () => {
      throw new Error("watchdog broken");
    },
  }));
  res = await app.request("/healthz");
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: "unavailable", reason: "watchdog broken" });
});

Deno.test("GET /readyz is 200 when the check passes", async () => {
  const res = await createHealthApp(deps()).request("/readyz");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: "ok" });
});

Deno.test("GET /readyz is 503 with the reason when the check fails", async () => {
  const app = createHealthApp(deps({
    checkReady: () => Promise.resolve({ ok: false, reason: "database unreachable" }),
  }));
  const res = await app.request("/readyz");
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: "unavailable", reason: "database unreachable" });
});

Deno.test("GET /readyz is 503 with the message, not a 500 or stack, when the check throws", async () => {
  for (
    const checkReady of [
      () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432")),
      (): Promise<never> => {
        throw new TypeError("sync failure");
      },
      () => Promise.reject("plain string"),
    ]
  ) {
    const res = await createHealthApp(deps({ checkReady })).request("/readyz");
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.status, "unavailable");
    assert.ok(typeof body.reason === "string" && body.reason.length > 0);
    assert.ok(!/\n\s+at /.test(body.reason), `stack leaked: ${body.reason}`);
  }
  const res = await createHealthApp(deps({
    checkReady: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432")),
  })).request("/readyz");
  assert.deepEqual(await res.json(), {
    status: "unavailable",
    reason: "connect ECONNREFUSED 127.0.0.1:5432",
  });
});

Deno.test("GET /metrics serves the exposition text with the 0.0.4 content type", async () => {
  const metrics = createMetrics({ version: "0.1.0", defaultMetrics: false });
  metrics.pipeline.rowsLoaded.inc({ source: "pepl", asset: "PEPL", cycle: "Timely" }, 42);
  const app = createHealthApp(deps({ renderMetrics: metrics.render }));
  const res = await app.request("/metrics");
  assert.equal(res.status, 200);
  // What Prometheus's text-format scrapers ask for, spelled out, not the constant.
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(metrics.contentType, "text/plain; version=0.0.4; charset=utf-8");
  const text = await res.text();
  assert.equal(text, await metrics.render());
  assert.match(text, /^tec_rows_loaded_total\{source="pepl",asset="PEPL",cycle="Timely"\} 42$/m);
});

Deno.test("GET /metrics failing to render is a JSON 500 without a stack", async () => {
  const app = createHealthApp(deps({
    renderMetrics: () => Promise.reject(new Error("collect failed for postgres://tec:pw@db/tec")),
  }));
  const res = await app.request("/metrics");
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), {
    status: "error",
    error: "collect failed for postgres://tec:***@db/tec",
  });
});

Deno.test("GET /status returns the awaited status document as JSON", async () => {
  const res = await createHealthApp(deps()).request("/status");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(await res.json(), { cycle: "timely", loaded: 3 });
});

Deno.test("GET /status failing is a JSON 500 without a stack", async () => {
  const app = createHealthApp(deps({ status: () => Promise.reject(new Error("query failed")) }));
  const res = await app.request("/status");
  assert.equal(res.status, 500);
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.deepEqual(await res.json(), { status: "error", error: "query failed" });
});

Deno.test("HEAD on a route answers like GET without a body", async () => {
  const res = await createHealthApp(deps()).request("/healthz", { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "");
});

Deno.test("unknown paths are 404 JSON", async () => {
  const app = createHealthApp(deps());
  for (const path of ["/", "/nope", "/healthz/extra"]) {
    const res = await app.request(path);
    assert.equal(res.status, 404, path);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.deepEqual(await res.json(), { status: "error", error: "not found" });
  }
});

Deno.test("non-GET methods on known routes are 405 with Allow", async () => {
  let called = false;
  const app = createHealthApp(deps({
    status: () => {
      called = true;
      return Promise.resolve({});
    },
  }));
  for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
    for (const path of ["/healthz", "/readyz", "/metrics", "/status"]) {
      const res = await app.request(path, { method });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get("allow"), "GET, HEAD");
      assert.deepEqual(await res.json(), { status: "error", error: "method not allowed" });
    }
  }
  assert.equal(called, false);
});

Deno.test("default redaction scrubs URL passwords and password= pairs", () => {
  assert.equal(
    defaultRedact("connect to postgres://tec:s3cr3t@db:5432/tec failed"),
    "connect to postgres://tec:***@db:5432/tec failed",
  );
  assert.equal(
    defaultRedact("host=db password=hunter2 user=tec token='abc def'"),
    "host=db password=*** user=tec token=***",
  );
  assert.equal(defaultRedact("nothing secret here"), "nothing secret here");
});

Deno.test("redaction applies to readyz reasons, errors, status strings and metrics", async () => {
  const secret = "hunter2-very-secret";
  const app = createHealthApp(deps({
    isAlive: () => {
      throw new Error(`lost lock held with ${secret}`);
    },
    checkReady: () => Promise.reject(new Error(`auth failed for postgres://tec:${secret}@db/tec`)),
    status: () => Promise.resolve({ dsn: `key ${secret}`, nested: [{ note: secret }], n: 1 }),
    renderMetrics: () => Promise.resolve(`# HELP x X.\n# TYPE x gauge\nx{v="${secret}"} 1\n`),
    redact: (text) => text.replaceAll(secret, "[REDACTED]"),
  }));

  const bodies: string[] = [];
  for (const path of ["/healthz", "/readyz", "/status", "/metrics"]) {
    const res = await app.request(path);
    bodies.push(await res.text());
  }
  for (const body of bodies) assert.ok(!body.includes(secret), `secret leaked in ${body}`);
  assert.equal(
    JSON.parse(bodies[1]).reason,
    "auth failed for postgres://tec:***@db/tec",
  );
  assert.deepEqual(JSON.parse(bodies[2]), {
    dsn: "key [REDACTED]",
    nested: [{ note: "[REDACTED]" }],
    n: 1,
  });
  assert.match(bodies[3], /x\{v="\[REDACTED\]"\} 1/);

  const failing = createHealthApp(deps({
    status: () => Promise.reject(new Error(`boom ${secret}`)),
    redact: (text) => text.replaceAll(secret, "[REDACTED]"),
  }));
  const res = await failing.request("/status");
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { status: "error", error: "boom [REDACTED]" });
});

Deno.test("a throwing redact hook never lets the raw text through", async () => {
  const app = createHealthApp(deps({
    checkReady: () => Promise.resolve({ ok: false, reason: "secret-value" }),
    redact: () => {
      throw new Error("bad redactor");
    },
  }));
  const res = await app.request("/readyz");
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: "unavailable", reason: "[redaction failed]" });
});

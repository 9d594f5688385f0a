import assert from "node:assert/strict";
import { pairKey, startFakeIpost, TW_HEADER } from "../support/fake_ipost.ts";
import { ArchiveError, RawArchive, type StoredBody } from "../../src/archive/raw_archive.ts";
import { FetchError, type FetchOptions, fetchToArchive } from "../../src/source/fetcher.ts";
import { classifyBody, SNIFF_BYTES, truncationReason } from "../../src/source/classify.ts";
import type { HttpConfig } from "../../src/config/schema.ts";
import { createHash } from "node:crypto";
import { FAMILY_A_LAYOUT } from "../../src/reports/family_a/layout.ts";

const HTTP: HttpConfig = {
  timeoutSeconds: 2,
  retryAttempts: 3,
  backoffBaseMs: 10,
  backoffMaxMs: 5000,
  maxBodyBytes: 1 << 20,
  userAgent: "tec-pipeline-test",
};
const KEY = pairKey("TW", "2024-01-17", 0);
const ROW = '"1","Z","N","MQ","DPQ","D","1","1","0","1","N","N","N","Y",""\r\n';
const BODY = TW_HEADER + ROW;

async function setup() {
  const fake = startFakeIpost();
  const dir = await Deno.makeTempDir({ prefix: "tec-fetch-" });
  const archive = new RawArchive(dir);
  const url =
    `${fake.url}/ipost/TW/capacity/operationally-available?f=csv&extension=csv&asset=TW&gasDay=01%2F17%2F2024&cycle=0&searchType=ALL`;
  const sleeps: number[] = [];
  const opts = (over: Partial<FetchOptions> = {}): FetchOptions => ({
    url,
    http: HTTP,
    archive,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...over,
  });
  return {
    fake,
    archive,
    sleeps,
    opts,
    async done() {
      await fake.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("fetcher: 5xx twice then success is retried and archived by sha256", async () => {
  const s = await setup();
  try {
    s.fake.script(KEY, [{ kind: "status", status: 502 }, { kind: "status", status: 503 }, {
      kind: "csv",
      body: BODY,
      chunkBytes: 7,
    }]);
    const r = await fetchToArchive(s.opts());
    assert.equal(r.attempts, 3);
    assert.equal(s.fake.count(KEY), 3);
    assert.equal(s.sleeps.length, 2);
    assert.equal(r.sha256, createHash("sha256").update(BODY).digest("hex"));
    assert.equal(r.bytes, new TextEncoder().encode(BODY).length);
    assert.equal(await Deno.readTextFile(r.path), BODY);
    assert.equal(r.path, s.archive.bodyPath(r.sha256));
    assert.equal(r.headers["content-type"], "text/csv");
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: the kept prefix is the body's first SNIFF_BYTES bytes, whatever the chunking", async () => {
  const s = await setup();
  try {
    const row = '"1","Z","N","MQ","DPQ","D","1","1","0","1","N","N","N","Y",""\r\n';
    const long = new TextEncoder().encode(
      TW_HEADER + row.repeat(Math.ceil(3 * SNIFF_BYTES / row.length)),
    );
    const short = new TextEncoder().encode(TW_HEADER + "\r\n".repeat(100));
    s.fake.script(KEY, [
      { kind: "csv", body: long, chunkBytes: 1000 },
      { kind: "csv", body: short, chunkBytes: 7 },
    ]);
    const a = await fetchToArchive(s.opts());
    assert.deepEqual(a.prefix, long.subarray(0, SNIFF_BYTES));
    assert.deepEqual(
      classifyBody({ layout: FAMILY_A_LAYOUT, prefix: a.prefix, totalBytes: a.bytes }),
      { kind: "csv" },
    );
    // A short body is all prefix, so a header-only answer is recognised.
    const b = await fetchToArchive(s.opts());
    assert.deepEqual(b.prefix, short);
    assert.deepEqual(
      classifyBody({ layout: FAMILY_A_LAYOUT, prefix: b.prefix, totalBytes: b.bytes }),
      {
        kind: "not_posted",
        reason: "header only, no rows",
      },
    );
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: 429 honours Retry-After; backoff never exceeds its cap", async () => {
  const s = await setup();
  try {
    s.fake.script(KEY, [{ kind: "status", status: 429, retryAfter: "3" }, {
      kind: "csv",
      body: BODY,
    }]);
    const r = await fetchToArchive(s.opts());
    assert.equal(r.attempts, 2);
    assert.deepEqual(s.sleeps, [3000]);
    s.sleeps.length = 0;
    s.fake.script(KEY, [{ kind: "status", status: 429, retryAfter: "3600" }, {
      kind: "csv",
      body: BODY,
    }]);
    await fetchToArchive(s.opts());
    assert.deepEqual(s.sleeps, [HTTP.backoffMaxMs]);
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: other 4xx fail at once, without retry", async () => {
  const s = await setup();
  try {
    s.fake.script(KEY, [{ kind: "status", status: 404 }]);
    await assert.rejects(() => fetchToArchive(s.opts()), (e: unknown) => {
      assert.ok(e instanceof FetchError);
      assert.equal(e.kind, "http");
      assert.equal(e.status, 404);
      assert.equal(e.attempts, 1);
      return true;
    });
    assert.equal(s.fake.count(KEY), 1);
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: a hanging server times out on every attempt, within bounds", async () => {
  const s = await setup();
  try {
    s.fake.script(KEY, [{ kind: "hang" }]);
    const t0 = performance.now();
    await assert.rejects(
      () => fetchToArchive(s.opts({ http: { ...HTTP, timeoutSeconds: 0.2, retryAttempts: 2 } })),
      (e: unknown) => e instanceof FetchError && e.kind === "timeout" && e.attempts === 2,
    );
    const ms = performance.now() - t0;
    assert.ok(ms >= 400 && ms < 3000, `took ${ms} ms`);
    assert.equal(s.fake.count(KEY), 2);
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: the timeout covers the body, not just the headers", async () => {
  const s = await setup();
  try {
    s.fake.script(KEY, [{ kind: "slow_body", body: BODY, delayMs: 1500 }, {
      kind: "csv",
      body: BODY,
    }]);
    const r = await fetchToArchive(s.opts({ http: { ...HTTP, timeoutSeconds: 0.3 } }));
    assert.equal(r.attempts, 2);
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: an oversize body is refused and nothing is kept", async () => {
  const s = await setup();
  try {
    s.fake.script(KEY, [{ kind: "oversize", bytes: 3 << 20 }]);
    await assert.rejects(
      () => fetchToArchive(s.opts()),
      (e: unknown) =>
        e instanceof FetchError && e.kind === "too_large" && /max_body_bytes/.test(e.message),
    );
    assert.equal(s.fake.count(KEY), 1);
    const root = s.archive.bodyPath("00").split("/raw/")[0] + "/raw";
    const left: string[] = [];
    for await (const e of Deno.readDir(root)) left.push(e.name);
    assert.deepEqual(left, [], "no partial file remains");
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: connection refused is retried as a network error", async () => {
  const s = await setup();
  try {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    await assert.rejects(
      () => fetchToArchive(s.opts({ url: `http://127.0.0.1:${port}/ipost/TW/x` })),
      (e: unknown) => e instanceof FetchError && e.kind === "network" && e.attempts === 3,
    );
    assert.equal(s.sleeps.length, 2);
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: an abort (shutdown) stops retrying at once", async () => {
  const s = await setup();
  try {
    s.fake.script(KEY, [{ kind: "status", status: 503 }]);
    const ac = new AbortController();
    await assert.rejects(() =>
      fetchToArchive(s.opts({
        signal: ac.signal,
        sleep: () => {
          ac.abort(new Error("shutting down"));
          return Promise.reject(ac.signal.reason);
        },
      })), /shutting down/);
    assert.equal(s.fake.count(KEY), 1);
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: a host asking to slow down is reported with the wait, a plain 503 is not", async () => {
  const s = await setup();
  try {
    const throttled: number[] = [];
    const onThrottled = (_url: string, ms: number) => throttled.push(ms);
    s.fake.script(KEY, [
      { kind: "status", status: 429, retryAfter: "2" },
      { kind: "status", status: 503, retryAfter: "1" },
      { kind: "status", status: 503 },
    ]);
    await assert.rejects(() => fetchToArchive(s.opts({ onThrottled, random: () => 0.5 })));
    assert.deepEqual(throttled, [2000, 1000]);
    // The wait reported is the wait this fetch keeps itself: the same sleeps.
    assert.deepEqual(s.sleeps, [2000, 1000]);
    // A 429 without Retry-After reports the backoff; Retry-After is capped.
    throttled.length = 0;
    s.fake.script(KEY, [
      { kind: "status", status: 429 },
      { kind: "status", status: 429, retryAfter: "3600" },
      { kind: "csv", body: BODY },
    ]);
    await fetchToArchive(s.opts({ onThrottled, random: () => 0.5 }));
    assert.deepEqual(throttled, [Math.floor(0.5 * HTTP.backoffBaseMs), HTTP.backoffMaxMs]);
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: with retryThrottled false a throttled attempt ends the fetch at once, the pause reported", async () => {
  const s = await setup();
  try {
    const throttled: number[] = [];
    s.fake.script(KEY, [
      { kind: "status", status: 429, retryAfter: "5" },
      { kind: "csv", body: BODY },
    ]);
    const opts = s.opts({ onThrottled: (_u, ms) => throttled.push(ms), retryThrottled: false });
    const e = await fetchToArchive(opts).then(() => undefined, (e) => e);
    assert.ok(e instanceof FetchError, String(e));
    assert.equal(e.status, 429);
    assert.equal(e.attempts, 1);
    assert.match(e.message, /after 1 attempt\(s\)/);
    assert.deepEqual(throttled, [5000], "the pause still reaches the budget");
    assert.deepEqual(s.sleeps, [], "no wait in line");
    assert.equal(s.fake.count(KEY), 1);
    // Other failures are still retried in line.
    s.fake.script(KEY, [{ kind: "status", status: 500 }, { kind: "csv", body: BODY }]);
    await fetchToArchive(s.opts({ retryThrottled: false, random: () => 0 }));
    assert.equal(s.fake.count(KEY), 3);
  } finally {
    await s.done();
  }
});

/** Whether `e` is an archive error naming `path`, and no network error. */
function isArchiveFailure(e: unknown, path: string): boolean {
  assert.ok(e instanceof ArchiveError, `not an archive error: ${e}`);
  assert.ok(!(e instanceof FetchError));
  assert.ok(e.message.startsWith(`cannot write the raw archive at ${path}: `), e.message);
  assert.doesNotMatch(e.message, /network/);
  return true;
}

Deno.test("fetcher: an archive rooted at a regular file fails at once, one request, no retry", async () => {
  const s = await setup();
  const dir = await Deno.makeTempDir({ prefix: "tec-fetch-file-" });
  try {
    const file = `${dir}/data`;
    await Deno.writeTextFile(file, "a file, not a directory");
    s.fake.script(KEY, [{ kind: "csv", body: BODY }]);
    const outcomes: string[] = [];
    await assert.rejects(
      () =>
        fetchToArchive(s.opts({
          archive: new RawArchive(file),
          onAttempt: (a) => outcomes.push(a.outcome),
        })),
      (e: unknown) =>
        isArchiveFailure(e, `${file}/raw`) &&
        (e as Error).message.endsWith(`${file} is a regular file, not a directory`),
    );
    assert.equal(s.fake.count(KEY), 1);
    assert.deepEqual(s.sleeps, []);
    assert.deepEqual(outcomes, ["archive_error"]);
  } finally {
    await s.done();
    await Deno.remove(dir, { recursive: true });
  }
});

/** An archive whose disk refuses writes after the first chunk (as a read-only mount would). */
class ReadOnlyArchive extends RawArchive {
  override async store(body: ReadableStream<Uint8Array>): Promise<StoredBody> {
    for await (const _chunk of body) {
      throw new Deno.errors.PermissionDenied("Permission denied (os error 13): write");
    }
    throw new Deno.errors.PermissionDenied("Permission denied (os error 13): open");
  }
}

Deno.test("fetcher: a read-only archive fails at once as an archive error, whatever it throws", async () => {
  const s = await setup();
  try {
    s.fake.script(KEY, [{ kind: "csv", body: BODY, chunkBytes: 7 }]);
    const archive = new ReadOnlyArchive("/nonexistent/data");
    await assert.rejects(
      () => fetchToArchive(s.opts({ archive })),
      (e: unknown) =>
        isArchiveFailure(e, archive.root) &&
        (e as Error).message.endsWith(": Permission denied") &&
        (e as Error).cause instanceof Deno.errors.PermissionDenied,
    );
    assert.equal(s.fake.count(KEY), 1);
    assert.deepEqual(s.sleeps, []);
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: a body that breaks while being stored is still a network error, retried", async () => {
  const s = await setup();
  try {
    let calls = 0;
    const breaking = () => {
      calls++;
      let sent = false;
      return Promise.resolve(
        new Response(
          new ReadableStream<Uint8Array>({
            pull(c) {
              if (sent) return c.error(new Error("connection reset by peer"));
              sent = true;
              c.enqueue(new TextEncoder().encode(TW_HEADER));
            },
          }),
        ),
      );
    };
    await assert.rejects(
      () => fetchToArchive(s.opts({ fetch: breaking })),
      (e: unknown) =>
        e instanceof FetchError && e.kind === "network" && /connection reset/.test(e.message),
    );
    assert.equal(calls, HTTP.retryAttempts);
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: the kept suffix is the body's last SNIFF_BYTES bytes, whatever the chunking", async () => {
  const s = await setup();
  try {
    const long = new TextEncoder().encode(
      TW_HEADER + ROW.repeat(Math.ceil(3 * SNIFF_BYTES / ROW.length)) + "END",
    );
    const short = new TextEncoder().encode(BODY);
    const whole = () => undefined;
    for (const chunkBytes of [1000, 4093, SNIFF_BYTES + 1, 3 * SNIFF_BYTES]) {
      s.fake.script(KEY, [{ kind: "csv", body: long, chunkBytes }]);
      const a = await fetchToArchive(s.opts({ complete: whole }));
      assert.deepEqual(a.suffix, long.subarray(long.length - SNIFF_BYTES), `chunks ${chunkBytes}`);
    }
    // A body shorter than the window is all suffix.
    s.fake.script(KEY, [{ kind: "csv", body: short, chunkBytes: 5 }]);
    assert.deepEqual((await fetchToArchive(s.opts({ complete: whole }))).suffix, short);
    // Without a completeness check, nothing is kept.
    s.fake.script(KEY, [{ kind: "csv", body: short }]);
    assert.equal((await fetchToArchive(s.opts())).suffix.length, 0);
  } finally {
    await s.done();
  }
});

/** The pipeline's own check, as process_pair wires it. */
const complete = (b: StoredBody) =>
  truncationReason({
    layout: FAMILY_A_LAYOUT,
    prefix: b.prefix,
    suffix: b.suffix,
    totalBytes: b.bytes,
  });

Deno.test("fetcher: a body cut short by its Content-Length is retried, and fails as truncated if it stays so", async () => {
  const s = await setup();
  try {
    const whole = new TextEncoder().encode(BODY + ROW.repeat(3));
    // The last row is cut inside its quoted "MQ".
    const cut = whole.length - ROW.length + ROW.indexOf('"MQ"') + 2;
    s.fake.script(KEY, [{ kind: "short_length", body: whole, contentLength: cut }]);
    const outcomes: string[] = [];
    await assert.rejects(
      () => fetchToArchive(s.opts({ complete, onAttempt: (a) => outcomes.push(a.outcome) })),
      (e: unknown) =>
        e instanceof FetchError && e.kind === "truncated" &&
        /^truncated body: the last line ends inside a quoted field/.test(e.message) &&
        e.attempts === HTTP.retryAttempts,
    );
    assert.equal(s.fake.count(KEY), HTTP.retryAttempts);
    assert.deepEqual(outcomes, Array(HTTP.retryAttempts).fill("truncated"));
    assert.equal(s.sleeps.length, HTTP.retryAttempts - 1);
  } finally {
    await s.done();
  }
});

Deno.test("fetcher: a truncated answer followed by the whole file: the whole file is returned", async () => {
  const s = await setup();
  try {
    const whole = new TextEncoder().encode(BODY + ROW.repeat(3));
    // Cut between two fields of the last row, after its 13th.
    const cut = whole.length - ROW.length + ROW.indexOf(',"Y",""');
    s.fake.script(KEY, [
      { kind: "short_length", body: whole, contentLength: cut },
      { kind: "csv", body: whole },
    ]);
    const retries: string[] = [];
    const r = await fetchToArchive(s.opts({ complete, onRetry: (x) => retries.push(x.reason) }));
    assert.equal(r.attempts, 2);
    assert.equal(r.bytes, whole.length);
    assert.deepEqual(await Deno.readFile(r.path), whole);
    assert.equal(retries.length, 1);
    assert.match(retries[0], /^truncated body: the last line has 13 of the header's 15 fields/);
  } finally {
    await s.done();
  }
});

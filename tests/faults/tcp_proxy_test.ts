/**
 * The fault suite's TCP proxy, against an echo server on loopback: it
 * forwards, holds bytes during a partition and delivers them on heal, cuts,
 * refuses, and substitutes a fake service.
 */
import assert from "node:assert/strict";
import { httpBadRequestService, startTcpProxy } from "../support/tcp_proxy.ts";
import { withTimeout } from "../support/wait.ts";

function echoServer(): { port: number; close(): Promise<void> } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const loop = (async () => {
    try {
      for await (const c of l) {
        conns.add(c);
        c.readable.pipeTo(c.writable).catch(() => {}).finally(() => conns.delete(c));
      }
    } catch {
      // Closed.
    }
  })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    async close() {
      l.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // Already closed.
        }
      }
      await loop;
    },
  };
}

async function readSome(c: Deno.Conn, ms = 2000): Promise<string | null> {
  const buf = new Uint8Array(1024);
  const n = await withTimeout(c.read(buf), { what: "bytes through the proxy", timeoutMs: ms });
  return n === null ? null : new TextDecoder().decode(buf.subarray(0, n));
}

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("tcp proxy: forwards, holds bytes while partitioned, delivers them on heal", async () => {
  const echo = echoServer();
  const proxy = startTcpProxy({ port: echo.port });
  const c = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    await c.write(enc("one"));
    assert.equal(await readSome(c), "one");
    proxy.partition();
    await c.write(enc("two"));
    const pending = c.read(new Uint8Array(16));
    const early = await Promise.race([
      pending.then(() => "read"),
      new Promise((r) => setTimeout(() => r("held"), 300)),
    ]);
    assert.equal(early, "held", "nothing passes a partition");
    proxy.heal();
    assert.equal(await withTimeout(pending, { what: "the held bytes" }), 3);
  } finally {
    c.close();
    await proxy.close();
    await echo.close();
  }
});

Deno.test("tcp proxy: a half-close passes through, the other direction stays open", async () => {
  const echo = echoServer();
  const proxy = startTcpProxy({ port: echo.port });
  const c = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    await c.write(enc("last words"));
    await c.closeWrite();
    assert.equal(await readSome(c), "last words", "the answer still comes back");
    assert.equal(await readSome(c), null);
  } finally {
    c.close();
    await proxy.close();
    await echo.close();
  }
});

Deno.test("tcp proxy: cut closes open connections; refuse closes new ones", async () => {
  const echo = echoServer();
  const proxy = startTcpProxy({ port: echo.port });
  const c = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    await c.write(enc("x"));
    assert.equal(await readSome(c), "x");
    proxy.cut();
    assert.equal(await readSome(c), null, "the client sees the connection end");
    proxy.refuse(true);
    const d = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
    assert.equal(await readSome(d), null);
    d.close();
    assert.equal(proxy.accepted, 2);
  } finally {
    c.close();
    await proxy.close();
    await echo.close();
  }
});

Deno.test("tcp proxy: a substitute answers instead of the server", async () => {
  const echo = echoServer();
  const proxy = startTcpProxy({ port: echo.port });
  const svc = httpBadRequestService();
  proxy.substitute(svc.handler);
  const c = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  try {
    await c.write(enc("\u0000\u0000\u0000\u0008startup"));
    assert.match(await readSome(c) ?? "", /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.equal(svc.seen(), 1);
  } finally {
    c.close();
    await proxy.close();
    await echo.close();
  }
});

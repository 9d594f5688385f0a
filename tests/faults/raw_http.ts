/**
 * A deliberately broken HTTP server for the "body cut short" faults, written
 * on raw TCP because a real server (Deno.serve) refuses to send a body whose
 * length disagrees with its `Content-Length`.
 *
 * @module
 */

/** How one request is answered. */
export interface RawReply {
  /** The whole file the answer is taken from. */
  body: Uint8Array;
  /** `Content-Length` declared (default: the body's length). */
  declared?: number;
  /** Bytes of the body actually written before the connection is closed (default: all). */
  send?: number;
}

/** A running raw server. */
export interface RawHttp {
  /** Base URL. */
  url: string;
  /** Request targets seen (path and query), in order. */
  requests: string[];
  /** Stop. */
  close(): Promise<void>;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

async function readHead(conn: Deno.Conn): Promise<string | undefined> {
  const dec = new TextDecoder();
  const buf = new Uint8Array(8192);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) return undefined;
    head += dec.decode(buf.subarray(0, n));
    if (head.length > 64 * 1024) return undefined;
  }
  return head;
}

async function answer(
  conn: Deno.Conn,
  reply: (n: number, target: string) => RawReply,
  requests: string[],
  conns: Set<Deno.Conn>,
): Promise<void> {
  conns.add(conn);
  try {
    const head = await readHead(conn);
    if (head === undefined) return;
    const target = head.split(" ")[1] ?? "";
    const r = reply(requests.length, target);
    requests.push(target);
    const declared = r.declared ?? r.body.length;
    const send = Math.min(r.send ?? r.body.length, r.body.length);
    await writeAll(
      conn,
      new TextEncoder().encode(
        `HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: ${declared}\r\n` +
          "Connection: close\r\n\r\n",
      ),
    );
    await writeAll(conn, r.body.subarray(0, send));
  } catch {
    // The client gave up: nothing to do.
  } finally {
    conns.delete(conn);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

/**
 * Serve every request with `reply(n)` (n counts requests from 0), one
 * request per connection, then close it.
 */
export function startRawHttp(reply: (n: number, target: string) => RawReply): RawHttp {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const tasks = new Set<Promise<void>>();
  const conns = new Set<Deno.Conn>();
  const handle = (conn: Deno.Conn) => answer(conn, reply, requests, conns);
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        const t = handle(conn);
        tasks.add(t);
        t.finally(() => tasks.delete(t));
      }
    } catch {
      // Closed.
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    requests,
    async close() {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // Already closed.
        }
      }
      await loop;
      await Promise.allSettled([...tasks]);
    },
  };
}

/**
 * A TCP proxy on loopback for fault tests: it sits between the program and a
 * server (PostgreSQL) and can cut every connection, refuse new ones for a
 * while (a server restarting), partition (stop forwarding without closing,
 * as a network that drops packets does), heal, or hand new connections to a
 * stand-in service that is not the real server.
 *
 * @module
 */

/** Where the proxy forwards to. */
export interface ProxyTarget {
  /** Host of the real server (default `127.0.0.1`). */
  hostname?: string;
  /** Port of the real server. */
  port: number;
}

/** Handles one accepted connection instead of forwarding it (a fake service). */
export type ConnHandler = (conn: Deno.Conn) => Promise<void>;

/** A running proxy. */
export interface TcpProxy {
  /** Port the proxy listens on (127.0.0.1). */
  port: number;
  /** Connections accepted since start (forwarded, refused or substituted). */
  readonly accepted: number;
  /** Connection pairs open now. */
  open(): number;
  /** Close every open connection, both sides. */
  cut(): void;
  /** While on, new connections are accepted and closed at once. */
  refuse(on: boolean): void;
  /** Stop forwarding bytes either way (connections stay open, new ones hang). */
  partition(): void;
  /** Forward again, bytes held during the partition included. */
  heal(): void;
  /** While set, new connections go to `handler` instead of the real server. */
  substitute(handler: ConnHandler | undefined): void;
  /** Stop listening and close everything. */
  close(): Promise<void>;
}

function closeQuietly(c: Deno.Conn): void {
  try {
    c.close();
  } catch {
    // Already closed: the other pump got there first.
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

class Proxy implements TcpProxy {
  readonly port: number;
  #accepted = 0;
  #target: ProxyTarget;
  #listener: Deno.Listener;
  #pairs = new Set<[Deno.Conn, Deno.Conn | undefined]>();
  #refusing = false;
  #handler: ConnHandler | undefined;
  #gate: PromiseWithResolvers<void> | undefined;
  #tasks = new Set<Promise<void>>();

  constructor(target: ProxyTarget) {
    this.#target = target;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#track(this.#accept());
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        this.#accepted++;
        this.#track(this.#serve(conn));
      }
    } catch {
      // Listener closed.
    }
  }

  #track(p: Promise<void>): void {
    this.#tasks.add(p);
    p.finally(() => this.#tasks.delete(p));
  }

  async #passable(): Promise<void> {
    while (this.#gate) await this.#gate.promise;
  }

  /**
   * Copy one direction. An end of stream is passed on as a half-close, as a
   * real peer sees it: PostgreSQL keeps its side open (and a client waits for
   * it) until it reads the EOF, so closing both sides here would change what
   * the client sees. A failure (a cut, a reset) ends both sides.
   */
  async #pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        await this.#passable();
        const n = await from.read(buf);
        if (n === null) break;
        // Bytes read just before a partition are held until it heals.
        await this.#passable();
        await writeAll(to, buf.subarray(0, n));
      }
      await this.#passable();
      await to.closeWrite();
    } catch {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  async #serve(client: Deno.Conn): Promise<void> {
    if (this.#refusing) return closeQuietly(client);
    if (this.#handler) {
      await this.#handler(client).catch(() => {});
      return closeQuietly(client);
    }
    const entry: [Deno.Conn, Deno.Conn | undefined] = [client, undefined];
    this.#pairs.add(entry);
    try {
      await this.#passable();
      const server = await Deno.connect({
        hostname: this.#target.hostname ?? "127.0.0.1",
        port: this.#target.port,
      });
      entry[1] = server;
      await Promise.all([this.#pump(client, server), this.#pump(server, client)]);
      closeQuietly(server);
    } catch {
      // The server could not be reached: the client sees its connection end.
    } finally {
      closeQuietly(client);
      this.#pairs.delete(entry);
    }
  }

  get accepted(): number {
    return this.#accepted;
  }

  open(): number {
    return this.#pairs.size;
  }

  cut(): void {
    for (const [c, s] of this.#pairs) {
      closeQuietly(c);
      if (s) closeQuietly(s);
    }
  }

  refuse(on: boolean): void {
    this.#refusing = on;
  }

  partition(): void {
    this.#gate ??= Promise.withResolvers<void>();
  }

  heal(): void {
    const g = this.#gate;
    this.#gate = undefined;
    g?.resolve();
  }

  substitute(handler: ConnHandler | undefined): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    this.heal();
    this.cut();
    await Promise.allSettled([...this.#tasks]);
  }
}

/** Start a proxy on 127.0.0.1 with an OS-chosen port. */
export function startTcpProxy(target: ProxyTarget): TcpProxy {
  return new Proxy(target);
}

/**
 * A stand-in for the database port that is a web server, not PostgreSQL: it
 * reads what the client sends, answers `HTTP/1.1 400 Bad Request` and
 * closes. `seen` counts the connections it answered.
 */
export function httpBadRequestService(): { handler: ConnHandler; seen: () => number } {
  let seen = 0;
  const answer = new TextEncoder().encode(
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n" +
      "Connection: close\r\n\r\nBad Request",
  );
  return {
    seen: () => seen,
    async handler(conn) {
      seen++;
      const buf = new Uint8Array(1024);
      // The PostgreSQL client speaks first (its startup packet); a web server answers it.
      await conn.read(buf).catch(() => null);
      await writeAll(conn, answer).catch(() => {});
    },
  };
}

/**
 * Binding the health app to a socket, and parsing `host:port` settings.
 *
 * @module
 */
import type { HostPort } from "../config/host_port.ts";

// The parser lives with the configuration, which checks health.addr at load
// time and must not import the server; existing imports keep working.
export { type HostPort, parseHostPort } from "../config/host_port.ts";

/** Anything with a fetch handler, e.g. a Hono app. */
export interface FetchApp {
  /** Answers one request. */
  fetch(request: Request): Response | Promise<Response>;
}

/** Options for {@link startHealthServer}. */
export interface StartHealthServerOptions {
  /** The application answering requests. */
  readonly app: FetchApp;
  /** Address to bind, e.g. `0.0.0.0`, `127.0.0.1` or `::1`. */
  readonly hostname: string;
  /** Port to bind; 0 picks a free port (see the returned `addr`). */
  readonly port: number;
  /** Aborting it shuts the server down, like calling `shutdown()`. */
  readonly signal?: AbortSignal;
  /** Called once bound, with the actual address; replaces Deno's default log line. */
  readonly onListen?: (addr: HostPort) => void;
}

/** A running health server. */
export interface HealthServer {
  /** The address actually bound (the real port when 0 was requested). */
  readonly addr: HostPort;
  /**
   * Stops accepting connections, lets in-flight requests finish and resolves
   * once the server is closed. Safe to call more than once.
   */
  shutdown(): Promise<void>;
}

/**
 * Binds `app` with `Deno.serve`. Throws synchronously (e.g. `AddrInUse`) if
 * the address cannot be bound.
 */
export function startHealthServer(options: StartHealthServerOptions): HealthServer {
  const { app, hostname, port, signal, onListen } = options;
  const server = Deno.serve({
    hostname,
    port,
    signal,
    // Supplying onListen also silences Deno's own "Listening on" line, which
    // would otherwise break structured (JSON) logs.
    onListen: (addr) => onListen?.({ hostname: addr.hostname, port: addr.port }),
  }, (request) => app.fetch(request));

  const netAddr = server.addr;
  const addr: HostPort = Object.freeze({ hostname: netAddr.hostname, port: netAddr.port });
  let closing: Promise<void> | undefined;
  return {
    addr,
    shutdown() {
      closing ??= (async () => {
        // An aborted signal has already started the shutdown; only wait then.
        if (!signal?.aborted) await server.shutdown();
        await server.finished;
      })();
      return closing;
    },
  };
}

/**
 * Binding the health app to a socket, and parsing `host:port` settings.
 *
 * @module
 */

/** Anything with a fetch handler, e.g. a Hono app. */
export interface FetchApp {
  /** Answers one request. */
  fetch(request: Request): Response | Promise<Response>;
}

/** A bound host and port. */
export interface HostPort {
  /** Host name or IP address, IPv6 without brackets (as `Deno.serve` wants it). */
  readonly hostname: string;
  /** TCP port; 0 asks the OS for a free one. */
  readonly port: number;
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

const EXPECTED = "expected host:port such as 0.0.0.0:8080, 127.0.0.1:0 or [::1]:8080";
const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+$/;

/**
 * Parses a `host:port` setting; IPv6 hosts must be bracketed (`[::1]:8080`)
 * and come back without brackets. Errors name `key`, the value and the
 * expected form, so a bad config line can be fixed from the message alone.
 */
export function parseHostPort(text: string, key: string): HostPort {
  const fail = (why: string): never => {
    throw new Error(`invalid ${key} ${JSON.stringify(text)}: ${why}; ${EXPECTED}`);
  };
  const trimmed = text.trim();
  let host: string;
  let portText: string;
  if (trimmed.startsWith("[")) {
    const close = trimmed.indexOf("]");
    if (close === -1) fail("missing ']' after IPv6 address");
    host = trimmed.slice(1, close);
    const rest = trimmed.slice(close + 1);
    if (!rest.startsWith(":")) fail("missing ':port' after ']'");
    portText = rest.slice(1);
    if (!IPV6_RE.test(host) || !host.includes(":")) fail("not an IPv6 address inside brackets");
  } else {
    const colon = trimmed.lastIndexOf(":");
    if (colon === -1) fail("missing ':port'");
    host = trimmed.slice(0, colon);
    portText = trimmed.slice(colon + 1);
    if (host.includes(":")) fail("IPv6 addresses must be in brackets");
    if (host === "") fail("missing host");
    if (!HOSTNAME_RE.test(host)) fail(`invalid host ${JSON.stringify(host)}`);
  }
  if (!/^\d{1,5}$/.test(portText)) fail(`invalid port ${JSON.stringify(portText)}`);
  const port = Number(portText);
  if (port > 65535) fail(`port ${port} out of range 0-65535`);
  return { hostname: host, port };
}

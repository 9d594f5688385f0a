/**
 * Parsing `host:port` settings (`health.addr`), shared by the configuration,
 * which rejects a bad one at load time, and the health server, which binds it.
 *
 * @module
 */

/** A bound host and port. */
export interface HostPort {
  /** Host name or IP address, IPv6 without brackets (as `Deno.serve` wants it). */
  readonly hostname: string;
  /** TCP port; 0 asks the OS for a free one. */
  readonly port: number;
}

const EXPECTED = "expected host:port such as 0.0.0.0:8080, 127.0.0.1:0 or [::1]:8080";
const HOSTNAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+$/;

/** The host and port written in `text`, or why it is not `host:port`. */
function readHostPort(text: string): HostPort | string {
  const trimmed = text.trim();
  let host: string;
  let portText: string;
  if (trimmed.startsWith("[")) {
    const close = trimmed.indexOf("]");
    if (close === -1) return "missing ']' after IPv6 address";
    host = trimmed.slice(1, close);
    const rest = trimmed.slice(close + 1);
    if (!rest.startsWith(":")) return "missing ':port' after ']'";
    portText = rest.slice(1);
    if (!IPV6_RE.test(host) || !host.includes(":")) return "not an IPv6 address inside brackets";
  } else {
    const colon = trimmed.lastIndexOf(":");
    if (colon === -1) return "missing ':port'";
    host = trimmed.slice(0, colon);
    portText = trimmed.slice(colon + 1);
    if (host.includes(":")) return "IPv6 addresses must be in brackets";
    if (host === "") return "missing host";
    if (!HOSTNAME_RE.test(host)) return `invalid host ${JSON.stringify(host)}`;
  }
  if (!/^\d{1,5}$/.test(portText)) return `invalid port ${JSON.stringify(portText)}`;
  const port = Number(portText);
  // 0 stays allowed: the OS picks a free port, which tests rely on.
  if (port > 65535) return `port ${port} out of range 0-65535`;
  return { hostname: host, port };
}

/**
 * Parses a `host:port` setting; IPv6 hosts must be bracketed (`[::1]:8080`)
 * and come back without brackets; port 0 asks the OS for a free one. Errors
 * name `key`, the value and the expected form, so a bad config line can be
 * fixed from the message alone.
 *
 * @throws {Error} `invalid <key> "<text>": <why>; expected host:port such as ...`
 */
export function parseHostPort(text: string, key: string): HostPort {
  const hp = readHostPort(text);
  if (typeof hp === "string") {
    throw new Error(`invalid ${key} ${JSON.stringify(text)}: ${hp}; ${EXPECTED}`);
  }
  return hp;
}

/**
 * What is wrong with a `host:port` setting, as one line without a key
 * (`expected host:port such as ..., got "x:70000" (port 70000 out of range 0-65535)`).
 *
 * @returns the problem, or `undefined` when {@linkcode parseHostPort} accepts `text`
 */
export function hostPortProblem(text: string): string | undefined {
  const hp = readHostPort(text);
  return typeof hp === "string" ? `${EXPECTED}, got ${JSON.stringify(text)} (${hp})` : undefined;
}

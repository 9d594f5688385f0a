/**
 * Which operator a host belongs to, for the request budget: every Energy
 * Transfer host is one operator's platform (public scrapers report any of its
 * hosts serving any asset), so requests to `twtransfer.energytransfer.com`
 * and `peplmessenger.energytransfer.com` share one budget. By default an
 * operator is a registered domain, taken as the host's last two labels (no
 * public-suffix list: enough for `energytransfer.com`; set
 * `sources[].operator` for a host under a two-label suffix such as
 * `co.uk`); an IP address or a one-label host is its own operator. Pure.
 *
 * @module
 */

/** The host of `url` without its port, lower case. */
export function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
}

/** Whether `host` is an IPv4 or IPv6 address (a URL's hostname form). */
function isAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith("[") || host.includes(":");
}

/** The registered domain of `host` (`a.b.energytransfer.com` → `energytransfer.com`). */
export function registeredDomain(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, "");
  if (isAddress(h)) return h;
  const labels = h.split(".");
  return labels.length <= 2 ? h : labels.slice(-2).join(".");
}

/** What {@linkcode operatorResolver} needs of a source. */
export interface OperatorSource {
  /** The site. */
  readonly baseUrl: string;
  /** The operator named in the configuration, if any. */
  readonly operator?: string;
}

/**
 * A function from a request URL to its operator: the configured operator of
 * a source on that host, else the host's registered domain.
 */
export function operatorResolver(sources: readonly OperatorSource[]): (url: string) => string {
  const named = new Map<string, string>();
  for (const s of sources) if (s.operator) named.set(hostOf(s.baseUrl), s.operator);
  return (url) => {
    const host = hostOf(url);
    return named.get(host) ?? registeredDomain(host);
  };
}

/** How many operators the given sources' hosts make (for a plan's pace). */
export function operatorsOf(sources: readonly OperatorSource[]): number {
  const of = operatorResolver(sources);
  return new Set(sources.map((s) => of(s.baseUrl))).size;
}

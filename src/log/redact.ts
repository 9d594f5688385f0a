/**
 * URLs with their credentials taken out: the userinfo, and the values of
 * query parameters that look like secrets. Pure; the bottom of the program,
 * so the logger, the configuration and the fetcher can all use it.
 *
 * @module
 */

/**
 * Remove the password from a connection URL (`postgres://u:pw@h/db` →
 * `postgres://u:***@h/db`) and mask query parameters that look like secrets
 * (`?token=abc` → `?token=***`, see {@linkcode isSecretParam}), anywhere in
 * `text`; text without a URL is returned unchanged. The logger's last line of
 * defence: what is stored or logged on purpose goes through
 * {@linkcode safeUrl} first.
 */
export function redactUrl(text: string): string {
  return maskSecretParams(
    text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, "$1***@"),
  );
}

/** Query parameter names whose values are credentials (matched case-insensitively, anywhere in the name). */
const SECRET_PARAM =
  /token|secret|passw|^pass$|pwd|signature|^sig$|credential|auth|session|key|^code$/i;

/**
 * Whether a query parameter named `name` likely carries a credential: a
 * token, key, password, secret, signature, credential, session or auth value
 * (`access_token`, `apiKey`, `X-Amz-Signature`, `sig`, ...).
 */
export function isSecretParam(name: string): boolean {
  return SECRET_PARAM.test(name);
}

/** `name=value` pairs after `?` or `&` in a URL in free text; the value stops at quotes and spaces. */
const QUERY_PAIR = /([?&;])([^=&#?\s"'\\]+)=([^&#\s"'\\]*)/g;

/** Mask the values of secret-looking query parameters in `text`. */
function maskSecretParams(text: string): string {
  if (!text.includes("=")) return text;
  return text.replace(QUERY_PAIR, (all, sep: string, name: string) => {
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replaceAll("+", " "));
    } catch {
      // A malformed escape: judge the name as written.
    }
    return isSecretParam(decoded) ? `${sep}${name}=***` : all;
  });
}

/**
 * `url` as it may be stored, logged or shown: without its userinfo
 * (`https://user:pw@host/…` → `https://host/…`) and with the values of
 * secret-looking query parameters masked (`token=***`). A URL with neither
 * is returned exactly as given. Text that does not parse as a URL is cleaned
 * the same way, textually. The request itself must use the original.
 */
export function safeUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return maskSecretParams(url.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/gi, "$1"));
  }
  const query = maskSecretParams(u.search);
  if (u.username === "" && u.password === "" && query === u.search) return url;
  u.username = "";
  u.password = "";
  u.search = query;
  return u.href;
}

/** Every URL in `text` (an error message, say) passed through {@linkcode safeUrl}. */
export function safeUrlsIn(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi, (m) => safeUrl(m));
}

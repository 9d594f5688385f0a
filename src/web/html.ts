/**
 * HTML of the dashboard: the escaping template ({@linkcode h}, Hono's `html`
 * tag: every interpolated value is escaped unless it is itself a template
 * result), the page frame, the error page and the formatting of figures.
 * Pure: values in, HTML out.
 *
 * @module
 */
import { html, type raw } from "hono/html";

/** Escaped HTML (Hono's `HtmlEscapedString`). */
export type Html = ReturnType<typeof raw>;

/**
 * The escaping template: `h\`<td>${name}</td>\`` escapes `name` (`&<>"'`);
 * nested `h` results and arrays of them are inserted as they are.
 *
 * @throws {Error} when a value is a promise (pages render synchronously)
 */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const out = html(strings, ...values);
  if (out instanceof Promise) throw new Error("h: a page value was a promise");
  return out;
}

/** Nothing. */
export const EMPTY: Html = h``;

/** One formatter for every figure (making one per call costs more than the page's queries). */
const THOUSANDS = new Intl.NumberFormat("en-US");

/** A quantity (decimal string) with thousands separators; `—` when not posted. */
export function qty(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  const t = String(v);
  if (!/^-?\d+$/.test(t)) return t;
  return THOUSANDS.format(BigInt(t));
}

/** A signed change (`+1,200`, `-34,138`); `—` when unknown. */
export function change(v: string | null | undefined): string {
  if (v === null || v === undefined) return "—";
  const s = qty(v);
  return v.startsWith("-") || v === "0" ? s : `+${s}`;
}

/** A fraction as a percentage with one decimal (`0.4213` → `42.1%`). */
export function percent(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  return `${(Number(v) * 100).toFixed(1)}%`;
}

/** A duration in minutes as `+1 h 05 min` / `-12 min`. */
export function minutes(m: number): string {
  const sign = m < 0 ? "-" : "+";
  const a = Math.round(Math.abs(m));
  return a >= 60
    ? `${sign}${Math.floor(a / 60)} h ${String(a % 60).padStart(2, "0")} min`
    : `${sign}${a} min`;
}

/** A URL path with its query, empty values left out. */
export function href(path: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Options for {@linkcode page}. */
export interface PageOptions {
  /** The title (escaped). */
  title: string;
  /** The main content. */
  body: Html;
  /** Load the chart scripts. */
  chart?: boolean;
}

/** The page frame: head, navigation, content. No inline script or style (see the CSP). */
export function page(o: PageOptions): Html {
  const scripts = o.chart
    ? h`<link rel="stylesheet" href="/assets/uplot.css">
<script src="/assets/uplot.js" defer></script>
<script src="/assets/chart.js" defer></script>`
    : EMPTY;
  return h`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · tec-pipeline</title>
<link rel="stylesheet" href="/assets/style.css">
${scripts}
</head>
<body>
<header><a href="/" class="brand">tec-pipeline</a> <span class="muted">capacity dashboard (read-only)</span></header>
<main>
<h1>${o.title}</h1>
${o.body}
</main>
</body>
</html>
`;
}

/** The page of a refused request: what was wrong, naming the parameter when there is one. */
export function errorPage(
  o: { status: number; title: string; message: string; param?: string },
): Html {
  const param = o.param === undefined
    ? EMPTY
    : h`<p>Parameter: <code class="param">${o.param}</code></p>`;
  return page({
    title: o.title,
    body: h`<section class="error" data-status="${o.status}">
<p class="message">${o.message}</p>
${param}
<p><a href="/">Back to the overview</a></p>
</section>`,
  });
}

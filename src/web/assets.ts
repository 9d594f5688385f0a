/**
 * The dashboard's static files, embedded in the program (text imports, so
 * `deno compile` and `deno bundle` carry them): uPlot's script and style
 * sheet from the pinned npm package, the chart script and the style sheet.
 * Nothing is fetched from anywhere else.
 *
 * @module
 */
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import chartJs from "./assets/chart.js" with { type: "text" };
import styleCss from "./assets/style.css" with { type: "text" };

/** A static file: its body and content type. */
export interface Asset {
  /** The text. */
  body: string;
  /** Content-Type header. */
  type: string;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** The files by path under `/assets/`. */
export const ASSETS: Readonly<Record<string, Asset>> = Object.freeze({
  "uplot.js": { body: uplotJs, type: JS },
  "uplot.css": { body: uplotCss, type: CSS },
  "chart.js": { body: chartJs, type: JS },
  "style.css": { body: styleCss, type: CSS },
});

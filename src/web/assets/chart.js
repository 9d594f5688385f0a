// Draws the charts of a location page with uPlot: each `.chart` element holds
// its figures in `data-series` (JSON, escaped by the server like any value).
// No figure comes from anywhere else; the tables beside show the same rows.
"use strict";
(function () {
  const fmt = new Intl.NumberFormat("en-US");
  function draw(el) {
    const d = JSON.parse(el.getAttribute("data-series"));
    const width = Math.max(480, Math.min(1100, el.clientWidth || 900));
    // x: days since 1970-01-01, a sixth of a day per cycle (pointX in location.ts).
    const day = (x) => new Date(Math.round(x) * 86400000).toISOString().slice(0, 10);
    const opts = {
      width,
      height: 300,
      scales: { x: { time: false } },
      series: [
        { label: "posting", value: (_u, _v, _s, i) => (i === null ? "--" : d.labels[i]) },
        { label: "OPC", stroke: "#1d3557", width: 2 },
        { label: "TSQ", stroke: "#e76f51", width: 2 },
        { label: "OAC", stroke: "#2a9d8f", width: 2, fill: "rgba(42,157,143,0.12)" },
      ],
      axes: [
        { incrs: [1, 2, 7, 14, 28, 56], values: (_u, ticks) => ticks.map(day) },
        { size: 70, values: (_u, ticks) => ticks.map((t) => fmt.format(t)) },
      ],
    };
    // deno-lint-ignore no-undef -- uPlot is the global of /assets/uplot.js
    new uPlot(opts, [d.x, d.opc, d.tsq, d.oac], el);
    el.setAttribute("data-drawn", "1");
  }
  function all() {
    for (const el of document.querySelectorAll(".chart[data-series]")) draw(el);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();

/**
 * The dashboard's only script, served at /dashboard/assets/dashboard.js (a module, not a .js
 * file, so it ships with the compiled package). It draws each chart from the rows of the table
 * that stands beside it: the table is the chart's data and its accessible fallback, so a page
 * without script (or a screen reader) loses nothing. Values are plotted as numbers; the exact
 * decimals stay in the table.
 */
export const DASHBOARD_JS = `(() => {
  "use strict";
  const charts = [];
  function draw(figure) {
    const target = figure.querySelector(".chart-canvas");
    const rows = figure.querySelectorAll("tbody tr[data-x]");
    if (!target || rows.length === 0 || typeof uPlot !== "function") return;
    const xs = [], ys = [];
    rows.forEach((row) => { xs.push(Number(row.dataset.x)); ys.push(Number(row.dataset.y)); });
    const from = Number(figure.dataset.from), to = Number(figure.dataset.to);
    const width = Math.max(200, target.clientWidth || figure.clientWidth || 300);
    const options = {
      width, height: 170,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true, range: (u, min, max) => (from < to ? [from, to] : [min, max]) }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      series: [{}, { label: figure.dataset.series || "value", stroke: "#1d4ed8", fill: "rgba(29,78,216,0.18)", width: 1, paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false } }],
      axes: [{ stroke: "#52606d" }, { stroke: "#52606d", size: 56 }],
    };
    const plot = new uPlot(options, [xs, ys], target);
    figure.dataset.drawn = String(rows.length);
    charts.push({ plot, target });
  }
  document.querySelectorAll("figure.chart").forEach(draw);
  let pending = 0;
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(() => charts.forEach(({ plot, target }) => plot.setSize({ width: Math.max(200, target.clientWidth), height: 170 })), 150);
  });
})();
`;

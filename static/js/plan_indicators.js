/* The register page: each indicator's series against its target, and the 两型 index per year (vendored Chart.js).
 * Data comes from the #indicators-config block; labels are drawn by Chart.js on canvas (never as HTML). */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("indicators-config").textContent);
  var charts = {};
  window.indicatorCharts = charts;

  var indexCanvas = document.getElementById("index-chart");
  if (indexCanvas && window.Chart) {
    charts.index = new Chart(indexCanvas, {
      data: {
        labels: cfg.index.map(function (y) { return String(y.year); }),
        datasets: [
          { type: "bar", label: cfg.i18n.index, data: cfg.index.map(function (y) { return y.index; }),
            backgroundColor: "#6d9eeb", yAxisID: "y" },
          { type: "line", label: cfg.i18n.coverage, data: cfg.index.map(function (y) { return Math.round(100 * y.coverage); }),
            borderColor: "#e69138", backgroundColor: "#e69138", yAxisID: "y", pointRadius: 3 }
        ]
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 scales: { y: { beginAtZero: true, max: 100 } }, plugins: { legend: { position: "bottom" } } }
    });
  }

  cfg.indicators.forEach(function (ind) {
    var canvas = document.querySelector('canvas.series-chart[data-key="' + ind.key + '"]');
    if (!canvas || !window.Chart) { return; }
    var years = Object.keys(ind.values).sort();
    var useMeasure = ind.mode !== "level";
    var points = years.map(function (y) {
      var v = ind.values[y];
      return useMeasure ? v.measure : v.value;
    });
    charts[ind.key] = new Chart(canvas, {
      type: "line",
      data: {
        labels: years,
        datasets: [
          { label: (useMeasure ? cfg.i18n.measure : ind.label) + "（" + ind.unit + "）", data: points,
            borderColor: "#1c4587", backgroundColor: years.map(function (y) {
              return ind.values[y].kind === "computed" ? "#6fa8dc" : "#1c4587"; }),
            pointRadius: 4, spanGaps: true },
          { label: cfg.i18n.target + "（" + (ind.direction === ">=" ? "≥" : "≤") + " " + ind.target + "）",
            data: years.map(function () { return ind.target; }), borderColor: "#c00000", borderDash: [6, 4],
            pointRadius: 0, fill: false }
        ]
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 plugins: { legend: { position: "bottom", labels: { boxWidth: 12, font: { size: 11 } } } },
                 scales: { y: { beginAtZero: true } } }
    });
  });

  // The entry form sends the version of the value it replaces (If-Match), so concurrent edits are refused.
  Array.prototype.forEach.call(document.querySelectorAll("form.value-form"), function (form) {
    var etags = JSON.parse(form.getAttribute("data-etags") || "{}");
    var year = form.querySelector('input[name="year"]');
    var etag = form.querySelector('input[name="etag"]');
    function sync() { etag.value = etags[year.value] || ""; }
    year.addEventListener("input", sync);
    sync();
  });
  document.body.dataset.chartsReady = "1";
})();

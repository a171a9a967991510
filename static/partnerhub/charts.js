/* Partner Hub charts: no inline scripts (the Content Security Policy allows none), so pages embed
   their figures with Django's json_script and mark where a chart goes:

     <div data-chart="stacked-bars" data-source="trend-data"></div>
     <script id="trend-data" type="application/json">
       {"weeks": ["2026-11-15", ...], "series": [{"key": "used", "name": "Used", "values": [...]}, ...]}
     </script>

   Every bar shows its exact number on hover. Bootstrap tooltips are switched on for the license
   bars of tables too, including rows that htmx swaps in later. */
(function () {
  "use strict";

  var COLOURS = { used: "#198754", assigned_unused: "#0d6efd", available: "#ced4da" };

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function drawStackedBars(element) {
    var figures = readJson(element.dataset.source);
    if (!figures || typeof Plotly === "undefined") {
      return;
    }
    var traces = figures.series.map(function (series) {
      return {
        type: "bar",
        name: series.name,
        x: figures.weeks,
        y: series.values,
        marker: { color: COLOURS[series.key] || null },
        hovertemplate: "%{x}<br>" + series.name + ": %{y:,}<extra></extra>",
      };
    });
    var layout = {
      barmode: "stack",
      // Room left and below for the slanted week labels, the first of which reaches left.
      margin: { t: 10, r: 10, b: 50, l: 60 },
      legend: { orientation: "h", y: -0.2 },
      xaxis: { type: "category", tickangle: -30, automargin: true },
      // Licences are counted: whole numbers on the axis, and at least 0 to 1 when every bar is
      // empty or low (Plotly would otherwise mark 0.2, 0.4, ...).
      yaxis: { rangemode: "tozero", separatethousands: true, tickformat: ",d" },
      hoverlabel: { namelength: -1 },
    };
    var highest = Math.max.apply(null, figures.weeks.map(function (week, index) {
      return figures.series.reduce(function (sum, series) { return sum + (series.values[index] || 0); }, 0);
    }).concat([0]));
    if (highest < 5) {
      layout.yaxis.dtick = 1;
      layout.yaxis.range = [0, Math.max(highest, 1)];
    }
    Plotly.newPlot(element, traces, layout, { displayModeBar: false, responsive: true });
  }

  function enableTooltips(root) {
    if (typeof bootstrap === "undefined") {
      return;
    }
    root.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (element) {
      bootstrap.Tooltip.getOrCreateInstance(element);
    });
  }

  function start() {
    document.querySelectorAll('[data-chart="stacked-bars"]').forEach(drawStackedBars);
    enableTooltips(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  document.body.addEventListener("htmx:afterSwap", function (event) {
    enableTooltips(event.detail.elt.parentNode || document);
  });
})();

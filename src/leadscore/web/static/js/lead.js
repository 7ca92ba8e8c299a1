// The score history chart of a lead page: data from the #history-data JSON block, drawn by
// plotly.js (served by the app from the plotly Python package). No inline script: the page's
// Content-Security-Policy allows scripts from this site only.
(function () {
  "use strict";

  function draw() {
    var holder = document.getElementById("history-chart");
    var source = document.getElementById("history-data");
    if (!holder || !source || typeof Plotly === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var x = data.points.map(function (p) { return p.at; });
    var y = data.points.map(function (p) { return p.total; });
    var text = data.points.map(function (p) {
      return (p.grade || "") + (p.cause ? " (" + p.cause + ")" : "");
    });
    if (data.now && data.now.at && (x.length === 0 || data.now.at > x[x.length - 1])) {
      x.push(data.now.at);
      y.push(data.now.total);
      text.push("now");
    }
    var traces = [{
      x: x, y: y, text: text, type: "scatter", mode: "lines+markers",
      line: { shape: "hv", color: "#2563eb", width: 2 }, marker: { size: 5 },
      hovertemplate: "%{x|%Y-%m-%d %H:%M}<br>total %{y:.1f}<br>%{text}<extra></extra>",
      name: "total"
    }];
    var shapes = [];
    var annotations = [];
    (data.thresholds || []).forEach(function (t) {
      shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: t.min, y1: t.min,
        line: { color: "#94a3b8", width: 1, dash: "dot" } });
      annotations.push({ xref: "paper", x: 1, y: t.min, text: t.grade + " ≥ " + t.min,
        showarrow: false, xanchor: "right", yanchor: "bottom", font: { size: 11, color: "#64748b" } });
    });
    var layout = {
      margin: { l: 40, r: 10, t: 10, b: 40 }, height: 280, showlegend: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      xaxis: { type: "date", gridcolor: "#eef1f5" },
      yaxis: { rangemode: "tozero", gridcolor: "#eef1f5", title: { text: "total" } },
      shapes: shapes, annotations: annotations,
      font: { family: "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif", size: 12 }
    };
    Plotly.newPlot(holder, traces, layout, { displayModeBar: false, responsive: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

// Plotly figures of a page: each <script type="application/json" class="plotly-figure"> holds
// a figure the server made with the plotly package; it is drawn into the element its
// data-target names, on load and whenever htmx swaps in a part. plotly.js is served from the
// plotly Python package (no CDN); no inline script (the Content-Security-Policy forbids it).
(function () {
  "use strict";

  function drawAll(root) {
    if (typeof Plotly === "undefined") { return; }
    var blocks = (root || document).querySelectorAll("script.plotly-figure");
    Array.prototype.forEach.call(blocks, function (block) {
      var holder = document.getElementById(block.getAttribute("data-target"));
      if (!holder || holder.getAttribute("data-drawn") === "1") { return; }
      var figure = JSON.parse(block.textContent);
      var layout = figure.layout || {};
      layout.autosize = true;
      delete layout.width;
      Plotly.newPlot(holder, figure.data || [], layout, { displayModeBar: false, responsive: true });
      holder.setAttribute("data-drawn", "1");
    });
  }

  function setup() {
    drawAll(document);
    document.body.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();

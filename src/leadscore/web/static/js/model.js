// The model editor: line numbers beside the YAML (problem lines marked), and "Line N" links
// in the problems that put the cursor on that line. The server finds the problems (htmx swaps
// them into #draft-result); this file only keeps the gutter in step. No inline script: the
// page's Content-Security-Policy allows scripts from this site only.
(function () {
  "use strict";

  function problemLines() {
    var holder = document.querySelector("#draft-result [data-problem-lines]");
    var text = holder ? holder.getAttribute("data-problem-lines") : "";
    var lines = {};
    text.split(" ").forEach(function (n) { if (n) { lines[n] = true; } });
    return lines;
  }

  function renumber() {
    var area = document.getElementById("yaml");
    var gutter = document.getElementById("gutter");
    if (!area || !gutter) { return; }
    var count = area.value.split("\n").length;
    var bad = problemLines();
    var parts = [];
    for (var i = 1; i <= count; i++) {
      parts.push(bad[String(i)] ? '<span class="bad">' + i + "</span>" : "<span>" + i + "</span>");
    }
    gutter.innerHTML = parts.join("\n") + "\n";
    gutter.scrollTop = area.scrollTop;
  }

  function gotoLine(line, column) {
    var area = document.getElementById("yaml");
    if (!area) { return; }
    var lines = area.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    var length = lines[line - 1] !== undefined ? lines[line - 1].length : 0;
    area.focus();
    area.setSelectionRange(start + Math.min(column - 1, length), start + length);
    var lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 18;
    area.scrollTop = Math.max(0, (line - 4) * lineHeight);
  }

  function setup() {
    var area = document.getElementById("yaml");
    var gutter = document.getElementById("gutter");
    if (!area || !gutter) { return; }
    area.addEventListener("input", renumber);
    area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
    document.body.addEventListener("htmx:afterSwap", renumber);
    document.body.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a.goto-line") : null;
      if (!link) { return; }
      event.preventDefault();
      gotoLine(parseInt(link.getAttribute("data-line"), 10), parseInt(link.getAttribute("data-column"), 10) || 1);
    });
    renumber();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();

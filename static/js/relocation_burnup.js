/* Relocation dashboard: the cumulative burn-up chart, drawn as SVG with DOM calls (no library, no innerHTML).
 * For each stage the number of enterprises at or past it at every month end (cfg.burnup, computed by
 * services/relocation/dashboard.burnup from the stage history), nested areas from 摸底评估 (largest) to
 * 验收销号 (smallest); the plan's milestones as dashed vertical lines with their labels, the target (every
 * enterprise at the milestone's stage) and what was reached by the deadline. Hover shows the month's numbers. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("dashboard-config").textContent);
  var data = cfg.burnup;
  var box = document.getElementById("burnup");
  if (!box || !data || !data.dates.length) { return; }
  var NS = "http://www.w3.org/2000/svg";
  var DAY = 86400000;

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function text(parent, x, y, value, attrs) {
    var node = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    node.textContent = value;
    return node;
  }
  function time(iso) { return Date.parse(iso + "T00:00:00Z"); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] !== undefined ? values[k] : m; });
  }
  function niceStep(max) {
    var raw = max / 6, mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    var norm = raw / mag;
    return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  }

  var times = data.dates.map(time);
  var milestones = data.milestones || [];
  var t0 = times[0];
  var t1 = Math.max(times[times.length - 1], Math.max.apply(null, milestones.map(function (m) { return time(m.deadline); })
    .concat([times[times.length - 1]])) + 90 * DAY);
  var total = Math.max(data.total, 1);

  function legend() {
    var node = document.getElementById("burnup-legend");
    node.textContent = "";
    data.series.forEach(function (s) {
      var item = document.createElement("span");
      item.className = "legend-item";
      var sw = document.createElement("span");
      sw.className = "swatch dot";
      sw.style.background = s.colour;
      var label = document.createElement("span");
      label.textContent = fill(cfg.i18n.at_or_past, { stage: s.label });
      item.appendChild(sw);
      item.appendChild(label);
      node.appendChild(item);
    });
  }

  function draw() {
    var width = Math.max(box.clientWidth, 320), height = Math.max(box.clientHeight, 240);
    var m = { left: 46, right: 18, top: 58, bottom: 30 };
    var w = width - m.left - m.right, h = height - m.top - m.bottom;
    function x(t) { return m.left + (t - t0) / (t1 - t0) * w; }
    function y(n) { return m.top + h - n / total * h; }

    box.textContent = "";
    var svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height,
                          "aria-hidden": "true" }, box);

    // Grid and axes: counts every nice step, a tick per year.
    var axis = el("g", { "class": "axis" }, svg);
    var step = niceStep(total);
    for (var n = 0; n <= total; n += step) {
      el("line", { "class": "grid-line", x1: m.left, x2: m.left + w, y1: y(n), y2: y(n) }, axis);
      text(axis, m.left - 6, y(n) + 4, String(n), { "text-anchor": "end" });
    }
    var first = new Date(t0).getUTCFullYear(), last = new Date(t1).getUTCFullYear();
    var every = Math.max(1, Math.ceil((last - first + 1) / Math.max(1, Math.floor(w / 56))));
    for (var year = first + 1; year <= last; year += 1) {
      var tx = x(Date.UTC(year, 0, 1));
      el("line", { "class": "grid-line", x1: tx, x2: tx, y1: m.top + h, y2: m.top + h + 4 }, axis);
      if ((year - first - 1) % every === 0) { text(axis, tx, m.top + h + 18, String(year), { "text-anchor": "middle" }); }
    }
    el("line", { stroke: "#888", x1: m.left, x2: m.left + w, y1: m.top + h, y2: m.top + h }, axis);
    text(axis, 2, m.top - 10, cfg.i18n.count, { "text-anchor": "start" });

    // The nested areas, largest first, each with its top edge as a line.
    var areas = el("g", { "class": "areas" }, svg);
    data.series.forEach(function (s) {
      var pts = s.data.map(function (v, i) { return x(times[i]).toFixed(1) + "," + y(v).toFixed(1); });
      var base = x(times[times.length - 1]).toFixed(1) + "," + y(0) + " " + x(times[0]).toFixed(1) + "," + y(0);
      el("polygon", { points: pts.join(" ") + " " + base, fill: s.colour, "fill-opacity": 0.92,
                      "class": "area", "data-stage": s.stage, "data-last": s.data[s.data.length - 1] }, areas);
      el("polyline", { points: pts.join(" "), "class": "area-line", "data-stage": s.stage }, areas);
    });
    // Every enterprise: the line every stage climbs towards.
    el("line", { "class": "total-line", x1: m.left, x2: m.left + w, y1: y(data.total), y2: y(data.total) }, svg);
    text(svg, m.left + 4, y(data.total) + 14, cfg.i18n.all + " " + data.total, { fill: "#555" });

    // Milestones: the deadline, the target (everyone at its stage) and what had been reached by then.
    var marks = el("g", { "class": "milestones" }, svg);
    var placed = [[], [], []];  // per row of labels, the [left, right] spans taken
    function free(row, a, b) {
      return placed[row].every(function (span) { return b + 6 <= span[0] || span[1] + 6 <= a; });
    }
    milestones.forEach(function (ms) {
      var g = el("g", { "class": "milestone", "data-key": ms.key, "data-deadline": ms.deadline }, marks);
      var mx = x(time(ms.deadline));
      el("line", { x1: mx, x2: mx, y1: m.top - 4, y2: m.top + h }, g);
      // The label to the right of its line, or to the left where it would leave the chart; on the first row
      // where it meets no other; shortened (no date, then only the year) when no row has room.
      var t = text(g, mx + 3, 0, "", { "text-anchor": "start" });
      var done = false;
      [ms.label + " " + ms.deadline, ms.label, ms.deadline.slice(0, 4)].forEach(function (label) {
        if (done) { return; }
        t.textContent = label;
        var tw = t.getComputedTextLength();
        var a = mx + 3, b = mx + 3 + tw;
        if (b > width - 2) { a = mx - 3 - tw; b = mx - 3; }
        for (var row = 0; row < placed.length && !done; row += 1) {
          if (a >= 0 && free(row, a, b)) {
            placed[row].push([a, b]);
            t.setAttribute("x", a);
            t.setAttribute("y", 13 + row * 15);
            done = true;
          }
        }
      });
      if (!done) { t.setAttribute("y", 13); }
      el("title", {}, g).textContent = ms.label + " " + ms.deadline + " · " + ms.stage_label;
      var target = el("rect", { "class": "target", x: mx - 4, y: y(data.total) - 4, width: 8, height: 8,
                                transform: "rotate(45 " + mx + " " + y(data.total) + ")" }, g);
      el("title", {}, target).textContent = cfg.i18n.target + "：" + ms.label + " · " + ms.stage_label + " " +
        data.total + " / " + data.total;
      if (ms.reached_at_deadline !== null && ms.reached_at_deadline !== undefined) {
        var colour = (data.series.filter(function (s) { return s.stage === ms.stage; })[0] || {}).colour || "#fff";
        var dot = el("circle", { "class": "reached", cx: mx, cy: y(ms.reached_at_deadline), r: 4.5, fill: colour }, g);
        el("title", {}, dot).textContent = cfg.i18n.at_deadline + "：" + ms.stage_label + " " +
          ms.reached_at_deadline + " / " + data.total;
      }
    });

    // Hover: the month under the pointer and its numbers.
    var cursor = el("g", { "class": "cursor", visibility: "hidden" }, svg);
    var cline = el("line", { y1: m.top, y2: m.top + h }, cursor);
    var tip = document.createElement("div");
    tip.className = "burnup-tip";
    tip.hidden = true;
    box.appendChild(tip);
    var hit = el("rect", { x: m.left, y: m.top, width: w, height: h, fill: "transparent" }, svg);
    function nearest(px) {
      var t = t0 + (px - m.left) / w * (t1 - t0), best = 0;
      times.forEach(function (v, i) { if (Math.abs(v - t) < Math.abs(times[best] - t)) { best = i; } });
      return best;
    }
    function show(i) {
      var cx = x(times[i]);
      cline.setAttribute("x1", cx);
      cline.setAttribute("x2", cx);
      cursor.setAttribute("visibility", "visible");
      tip.textContent = "";
      var head = document.createElement("strong");
      head.textContent = data.dates[i];
      tip.appendChild(head);
      data.series.forEach(function (s) {
        var line = document.createElement("div");
        var name = document.createElement("span");
        var sw = document.createElement("span");
        sw.className = "swatch";
        sw.style.background = s.colour;
        name.appendChild(sw);
        name.appendChild(document.createTextNode(s.label));
        var value = document.createElement("span");
        value.textContent = String(s.data[i]);
        line.appendChild(name);
        line.appendChild(value);
        tip.appendChild(line);
      });
      tip.hidden = false;
      var left = cx + 12;
      if (left + tip.offsetWidth > width) { left = cx - 12 - tip.offsetWidth; }
      tip.style.left = left + "px";
      tip.style.top = (m.top + 4) + "px";
      box.dataset.hover = data.dates[i];
    }
    hit.addEventListener("mousemove", function (ev) {
      var r = svg.getBoundingClientRect();
      show(nearest(ev.clientX - r.left));
    });
    hit.addEventListener("mouseleave", function () { cursor.setAttribute("visibility", "hidden"); tip.hidden = true; });
    box.dataset.ready = "1";
  }

  legend();
  draw();
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(draw, 150);
  });
  window.burnupChart = { redraw: draw, data: data };
})();

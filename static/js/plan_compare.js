/* Then vs now: two dates, the enterprises' stages side by side (maps kept in step), a map coloured by change,
 * the changed objects and counts from /api/compare, and the PNG/PDF export (a background job).
 * Every name is written with textContent; Leaflet tooltips get DOM nodes. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("compare-config").textContent);
  var stageLegend = JSON.parse(document.getElementById("stage-legend-data").textContent);
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var statusLine = document.getElementById("compare-status");
  var fromInput = document.getElementById("date-from");
  var toInput = document.getElementById("date-to");

  function makeMap(id) {
    var map = L.map(id, { preferCanvas: true, zoomSnap: 0.25 }).setView([27.85, 113.1], 13);
    L.control.scale({ metric: true, imperial: false }).addTo(map);
    return map;
  }
  var maps = { a: makeMap("map-a"), b: makeMap("map-b"), change: makeMap("map-change") };
  window.compareMaps = maps;

  // Side by side: moving one map moves the other to the same view.
  var syncing = false;
  function follow(source, target) {
    source.on("move", function () {
      if (syncing) { return; }
      syncing = true;
      target.setView(source.getCenter(), source.getZoom(), { animate: false });
      syncing = false;
    });
  }
  follow(maps.a, maps.b);
  follow(maps.b, maps.a);

  function tip(props, which) {
    var label = which === "a" ? props.from_label : which === "b" ? props.to_label
      : props.from_label + " → " + props.to_label + "（" + (props.steps > 0 ? "+" : "") + props.steps + "）";
    return props.name + " · " + label;
  }
  function pointLayer(which) {
    return L.geoJSON(null, {
      pointToLayer: function (f, latlng) {
        var colour = which === "a" ? f.properties.from_colour : which === "b" ? f.properties.to_colour : f.properties.colour;
        return L.circleMarker(latlng, { radius: which === "change" ? 6 : 5, weight: 1, color: "#333",
                                        fillColor: colour, fillOpacity: 0.9 });
      },
      onEachFeature: function (f, layer) { textSafe.tooltip(layer, tip(f.properties, which), { sticky: true }); }
    });
  }
  // The zones as a thin backdrop on every map, so the dots have a place.
  fetch(cfg.zones_url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (resp) { return resp.ok ? resp.json() : null; })
    .then(function (data) {
      if (!data) { return; }
      Object.keys(maps).forEach(function (k) {
        L.geoJSON(data, { interactive: false, style: function (f) {
          var top = f.properties.level === "zone";
          return { color: top ? "#5b6abf" : "#8e99c7", weight: top ? 2 : 0.8, fillOpacity: top ? 0.04 : 0 };
        } }).addTo(maps[k]).bringToBack();
      });
    })
    .catch(function () {});
  var layers = { a: pointLayer("a").addTo(maps.a), b: pointLayer("b").addTo(maps.b),
                 change: pointLayer("change").addTo(maps.change) };
  window.compareLayers = layers;

  function legend(node, entries) {
    node.textContent = "";
    entries.forEach(function (entry) {
      var item = document.createElement("span");
      item.className = "legend-item";
      var sw = document.createElement("span");
      sw.className = "swatch dot";
      sw.style.background = entry.colour;
      var label = document.createElement("span");
      label.textContent = entry.label;
      item.appendChild(sw);
      item.appendChild(label);
      node.appendChild(item);
    });
  }
  legend(document.getElementById("stage-legend"), stageLegend);

  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "—" : String(text);
    if (cls) { td.className = cls; }
    row.appendChild(td);
    return td;
  }
  function fillTable(id, rows, columns) {
    var body = document.querySelector("#" + id + " tbody");
    body.textContent = "";
    if (!rows.length) {
      var tr = document.createElement("tr");
      var td = cell(tr, cfg.i18n.none);
      td.colSpan = columns.length;
      td.className = "muted";
      body.appendChild(tr);
      return;
    }
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      columns.forEach(function (c) { cell(tr, c(r)); });
      if (r.id !== undefined) { tr.dataset.id = String(r.id); }
      body.appendChild(tr);
    });
  }
  function fillList(id, items, describe) {
    var ul = document.getElementById(id);
    ul.textContent = "";
    if (!items.length) {
      var li = document.createElement("li");
      li.className = "muted";
      li.textContent = cfg.i18n.none;
      ul.appendChild(li);
      return;
    }
    items.forEach(function (it) {
      var li = document.createElement("li");
      li.dataset.id = String(it.id);
      var a = document.createElement("a");
      a.href = it.link;
      a.textContent = it.name || it.project;
      li.appendChild(a);
      var extra = describe(it);
      if (extra) { li.appendChild(document.createTextNode(" " + extra)); }
      ul.appendChild(li);
    });
  }

  function render(data) {
    Object.keys(data.counts).forEach(function (key) {
      Array.prototype.forEach.call(document.querySelectorAll('[data-count="' + key + '"]'), function (node) {
        node.textContent = String(data.counts[key]);
      });
    });
    document.getElementById("summary").hidden = false;
    document.getElementById("label-a").textContent = data.from;
    document.getElementById("label-b").textContent = data.to;
    ["a", "b", "change"].forEach(function (k) { layers[k].clearLayers(); layers[k].addData(data.relocation.map); });
    if (data.relocation.map.features.length) {
      var bounds = layers.a.getBounds().pad(0.05);
      maps.a.fitBounds(bounds);
      maps.change.fitBounds(bounds);
    }
    legend(document.getElementById("change-legend"), data.relocation.map.legend);
    fillTable("by-zone", data.relocation.by_zone, [
      function (z) { return z.zone_name; }, function (z) { return z.total; }, function (z) { return z.changed; },
      function (z) { return z.advanced; }, function (z) { return z.went_back; }, function (z) { return z.accepted_from; },
      function (z) { return z.accepted_to; }]);
    fillTable("changed-enterprises", data.relocation.changed, [
      function (e) { return e.name; }, function (e) { return e.zone_name; }, function (e) { return e.from_label; },
      function (e) { return e.to_label; }, function (e) { return (e.steps > 0 ? "+" : "") + e.steps; }]);
    fillList("projects-new", data.projects["new"], function () { return ""; });
    fillList("projects-removed", data.projects.removed, function () { return ""; });
    fillList("projects-changed", data.projects.changed, function (p) { return p.fields ? "（" + p.fields.join("、") + "）" : ""; });
    fillList("projects-completed", data.projects.completed, function (p) { return p.completion_date; });
    function flagText(f) { return "· " + f.rule_name + "（" + (f.status_from || "—") + " → " + (f.status_to || "—") + "）"; }
    fillList("flags-new", data.flags["new"], flagText);
    fillList("flags-cleared", data.flags.cleared, flagText);
    fillList("flags-changed", data.flags.changed, flagText);
    function shown(v) { return v ? v.measure + "（" + v.year + "）" : "—"; }
    fillTable("compare-indicators", data.indicators, [
      function (i) { return i.label; }, function (i) { return (i.direction === ">=" ? "≥ " : "≤ ") + i.target + " " + i.unit; },
      function (i) { return shown(i.from); }, function (i) { return shown(i.to); },
      function (i) { return i.change === null ? "—" : (i.change > 0 ? "+" : "") + i.change; }]);
  }

  function run() {
    document.body.dataset.compareReady = "0";
    statusLine.textContent = cfg.i18n.loading;
    var query = "?from=" + encodeURIComponent(fromInput.value) + "&to=" + encodeURIComponent(toInput.value);
    history.replaceState(null, "", window.location.pathname + query);
    return fetch(cfg.api + query, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.json().then(function (b) { if (!resp.ok) { throw new Error(b.message); } return b; }); })
      .then(function (data) {
        render(data);
        statusLine.textContent = data.from + " → " + data.to;
        statusLine.classList.remove("error");
        document.body.dataset.compareReady = "1";
      })
      .catch(function (err) {
        statusLine.textContent = cfg.i18n.failed + "：" + err.message;
        statusLine.classList.add("error");
        document.body.dataset.compareReady = "error";
      });
  }

  document.getElementById("compare-form").addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });

  var exportStatus = document.getElementById("export-status");
  function poll(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (job) {
      if (job.status === "done") { return job; }
      if (job.status === "failed") { throw new Error(job.message || job.error_code); }
      return new Promise(function (resolve) { setTimeout(resolve, 500); }).then(function () { return poll(url); });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".compare-export"), function (button) {
    button.addEventListener("click", function () {
      exportStatus.textContent = cfg.i18n.exporting;
      document.body.dataset.exportReady = "0";
      fetch(cfg.exports, { method: "POST", credentials: "same-origin",
                           headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
                           body: JSON.stringify({ kind: "compare", from: fromInput.value, to: toInput.value,
                                                  format: button.dataset.format }) })
        .then(function (resp) { return resp.json().then(function (b) { if (!resp.ok) { throw new Error(b.message); } return b; }); })
        .then(function (job) { return poll(job.job_url); })
        .then(function (job) {
          exportStatus.textContent = "";
          var a = document.createElement("a");
          a.href = job.result.download_url;
          a.id = "export-download";
          a.textContent = cfg.i18n.download + " " + job.result.filename;
          exportStatus.appendChild(a);
          document.body.dataset.exportReady = "1";
        })
        .catch(function (err) {
          exportStatus.textContent = cfg.i18n.export_failed + "：" + err.message;
          document.body.dataset.exportReady = "error";
        });
    });
  });

  run();
})();

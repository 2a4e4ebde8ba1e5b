/* Data exchange pages: export download links, the extent mini-map of an import preview,
 * and the progress bar of a running import (polls /api/jobs/<id>).  No innerHTML with data. */
(function () {
  "use strict";

  var exportForm = document.getElementById("export-form");
  if (exportForm) {
    exportForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(exportForm);
      var params = new URLSearchParams();
      params.set("format", data.get("format"));
      params.set("crs", data.get("crs"));
      if (data.get("bbox")) { params.set("bbox", data.get("bbox")); }
      var url = exportForm.dataset.base.replace("__id__", encodeURIComponent(data.get("layer")));
      window.location.href = url + "?" + params.toString();
    });
  }

  var targetSelect = document.getElementById("target-select");
  if (targetSelect) {
    targetSelect.addEventListener("change", function () { document.getElementById("target-form").submit(); });
  }

  var mapBox = document.getElementById("extent-map");
  if (mapBox && window.L) {
    var data = JSON.parse(document.getElementById("extent-data").textContent);
    var map = L.map(mapBox, { preferCanvas: true, attributionControl: false }).setView([27.93, 113.14], 11);
    var bounds = null;
    if (data.district) {
      var outline = L.geoJSON(data.district, { style: { color: "#444", weight: 2, dashArray: "6 4", fill: false } }).addTo(map);
      bounds = outline.getBounds();
    }
    if (data.shapes && data.shapes.length) {
      var shapes = L.geoJSON({ type: "FeatureCollection", features: data.shapes.map(function (g) {
        return { type: "Feature", properties: {}, geometry: g };
      }) }, {
        style: { color: "#c0392b", weight: 1.5, fillOpacity: 0.3 },
        pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 4, color: "#c0392b" }); }
      }).addTo(map);
      bounds = bounds ? bounds.extend(shapes.getBounds()) : shapes.getBounds();
    }
    if (data.extent) {
      var e = data.extent;
      var rect = L.rectangle([[e[1], e[0]], [e[3], e[2]]], { color: "#c0392b", weight: 1, fill: false, dashArray: "3 3" }).addTo(map);
      bounds = bounds ? bounds.extend(rect.getBounds()) : rect.getBounds();
    }
    if (bounds && bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
    mapBox.dataset.ready = "1";
  }

  var progressBox = document.getElementById("import-progress");
  if (progressBox) {
    var bar = document.getElementById("import-progress-bar");
    var text = document.getElementById("import-progress-text");
    var message = document.getElementById("import-progress-message");
    var poll = function () {
      fetch(progressBox.dataset.jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (resp) { return resp.json(); })
        .then(function (job) {
          bar.value = job.progress;
          text.textContent = job.progress + "%";
          message.textContent = job.message || "";
          if (job.status === "done" || job.status === "failed") {
            window.location.reload();
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    window.setTimeout(poll, 500);
  }

  // Pre-rendering of the low-zoom tiles after a large import: follow it, no reload.
  var seedBox = document.getElementById("tile-seed");
  if (seedBox) {
    var seedBar = document.getElementById("tile-seed-bar");
    var seedText = document.getElementById("tile-seed-text");
    var seedMessage = document.getElementById("tile-seed-message");
    var pollSeed = function () {
      fetch(seedBox.dataset.jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (resp) { return resp.json(); })
        .then(function (job) {
          seedBar.value = job.progress;
          seedText.textContent = job.progress + "%";
          if (job.message) { seedMessage.textContent = job.message; }
          seedBox.dataset.status = job.status;
          if (job.status !== "done" && job.status !== "failed") { window.setTimeout(pollSeed, 1000); }
        })
        .catch(function () { window.setTimeout(pollSeed, 3000); });
    };
    pollSeed();
  }
}());

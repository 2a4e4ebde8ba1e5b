/* Relocation dashboard: the map coloured by stage as of a date, over the zone outlines (zone-outlines.js).
 * The burn-up chart is relocation_burnup.js, the overdue table's paging and sorting relocation_overdue.js.
 * Map data comes from /api/relocation/map?as_of=...; names are shown with textContent only. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("dashboard-config").textContent);

  var legend = document.getElementById("stage-map-legend");
  cfg.legend.forEach(function (entry) {
    var item = document.createElement("span");
    item.className = "legend-item";
    var swatch = document.createElement("span");
    swatch.className = "swatch dot";
    swatch.style.background = entry.colour;
    var label = document.createElement("span");
    label.textContent = entry.label;
    item.appendChild(swatch);
    item.appendChild(label);
    legend.appendChild(item);
  });

  var status = document.getElementById("stage-map-status");
  var renderer = L.canvas({ padding: 0.5 });
  var map = L.map("stage-map", { renderer: renderer, preferCanvas: true }).setView([27.865, 113.09], 13);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  var layer = L.geoJSON(null, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, { renderer: renderer, radius: 5, weight: 1, color: "#333",
                                      fillColor: feature.properties.colour, fillOpacity: 0.9 });
    },
    onEachFeature: function (feature, marker) {
      textSafe.tooltip(marker, feature.properties.name + " · " + feature.properties.stage_label, { sticky: true });
    }
  }).addTo(map);
  window.stageMap = map;
  if (window.ShifengZones && cfg.zones_url) { window.ShifengZones.addTo(map, cfg.zones_url); }
  window.stageLayer = layer;

  function load(asOf) {
    status.textContent = cfg.i18n.loading;
    document.body.dataset.stageMapReady = "0";
    var url = cfg.map_url + (asOf ? "?as_of=" + encodeURIComponent(asOf) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (resp) {
        return resp.json().then(function (body) {
          if (!resp.ok) { throw new Error(body.message || resp.status); }
          return body;
        });
      })
      .then(function (data) {
        layer.clearLayers();
        layer.addData(data);
        if (data.features.length) { map.fitBounds(layer.getBounds().pad(0.05)); }
        status.textContent = data.as_of;
        document.body.dataset.stageMapReady = "1";
      })
      .catch(function (err) {
        status.textContent = cfg.i18n.load_failed + "：" + err.message;
        document.body.dataset.stageMapReady = "error";
      });
  }

  var control = document.getElementById("map-as-of");
  control.addEventListener("change", function () { if (control.value) { load(control.value); } });
  load(cfg.as_of);
})();

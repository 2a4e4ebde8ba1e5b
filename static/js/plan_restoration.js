/* The restoration map: projects needing restoration (polygons) and sites with a term (points), coloured by status.
 * Data from /api/restoration/map?as_of=…; names are shown with textContent only. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("restoration-config").textContent);
  var status = document.getElementById("restoration-map-status");
  var map = L.map("restoration-map", { preferCanvas: true }).setView([27.87, 113.1], 12);
  L.control.scale({ metric: true, imperial: false }).addTo(map);
  var layer = L.geoJSON(null, {
    style: function (f) { return { color: f.properties.colour, weight: 2, fillColor: f.properties.colour, fillOpacity: 0.35 }; },
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, { radius: 6, weight: 1, color: "#333", fillColor: f.properties.colour, fillOpacity: 0.9 });
    },
    onEachFeature: function (f, l) {
      textSafe.tooltip(l, f.properties.name + " · " + f.properties.status_label, { sticky: true });
    }
  }).addTo(map);
  window.restorationMap = map;
  status.textContent = cfg.i18n.loading;
  fetch(cfg.map_url + "?as_of=" + encodeURIComponent(cfg.as_of), { credentials: "same-origin" })
    .then(function (resp) { return resp.json().then(function (b) { if (!resp.ok) { throw new Error(b.message); } return b; }); })
    .then(function (data) {
      layer.addData(data);
      if (data.features.length) { map.fitBounds(layer.getBounds().pad(0.1)); }
      var legend = document.getElementById("restoration-legend");
      data.legend.forEach(function (entry) {
        var item = document.createElement("span");
        item.className = "legend-item";
        var sw = document.createElement("span");
        sw.className = "swatch";
        sw.style.background = entry.colour;
        var label = document.createElement("span");
        label.textContent = entry.label;
        item.appendChild(sw);
        item.appendChild(label);
        legend.appendChild(item);
      });
      status.textContent = data.as_of + " · " + data.features.length;
      document.body.dataset.restorationMapReady = "1";
    })
    .catch(function (err) {
      status.textContent = cfg.i18n.failed + "：" + err.message;
      document.body.dataset.restorationMapReady = "error";
    });
})();

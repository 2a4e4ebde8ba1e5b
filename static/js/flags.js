/* Small map of one project on the 合规审查 page: the footprint, the protected features involved and the
 * overlaps, from /api/projects/<id>/flags.geojson.  Text goes in with textContent only. */
(function () {
  "use strict";
  var box = document.getElementById("flag-map");
  if (!box) { return; }
  var cfg = JSON.parse(document.getElementById("flag-map-config").textContent);
  var renderer = L.canvas({ padding: 0.5 });
  var map = L.map(box, { preferCanvas: true, renderer: renderer, attributionControl: false });
  window.flagMap = map;
  var styles = {
    project: { color: "#7a3e9d", weight: 2, fillColor: "#c39bd3", fillOpacity: 0.35 },
    protected_areas: { color: "#a61c00", weight: 1, fillColor: "#e06666", fillOpacity: 0.25, dashArray: "4 3" },
    water_bodies: { color: "#1f78b4", weight: 1, fillColor: "#a6cee3", fillOpacity: 0.6 }
  };
  function style(feature) {
    var p = feature.properties;
    if (p.kind === "overlap") {
      var c = cfg.colours[p.severity] || "#c00000";
      return { color: c, weight: 2, fillColor: c, fillOpacity: 0.6, dashArray: feature.geometry.type.indexOf("Line") >= 0 ? "6 4" : null };
    }
    return styles[p.kind] || {};
  }
  fetch(cfg.url, { credentials: "same-origin" })
    .then(function (resp) { if (!resp.ok) { throw new Error(resp.status); } return resp.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        style: style, renderer: renderer,
        onEachFeature: function (feature, lyr) {
          var p = feature.properties;
          textSafe.tooltip(lyr, p.kind === "overlap" ? p.rule + " · " + p.overlap_m2 + " m²" : (p.name || ""),
                           { sticky: true });
        }
      }).addTo(map);
      var project = data.features.filter(function (f) { return f.properties.kind === "project"; });
      var bounds = project.length ? L.geoJSON(project[0]).getBounds() : layer.getBounds();
      map.fitBounds(bounds.pad(0.3));
      box.dataset.features = String(data.features.length);
      box.dataset.ready = "1";
    })
    .catch(function (err) { box.textContent = String(err.message); box.dataset.ready = "error"; });
})();

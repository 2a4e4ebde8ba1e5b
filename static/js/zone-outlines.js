/* Zone outlines on the small maps (relocation dashboard, enterprise page): the 片区 drawn bold with their names,
 * the 功能区 thin, under everything else and not clickable. Read from the zones collection
 * (/ogc/collections/zones/items); names go into the map as text (Leaflet tooltips given DOM nodes). */
(function () {
  "use strict";

  var COLOURS = { QST: "#c0504d", TX: "#4f81bd", JLS: "#9bbb59" };

  /* Draw the zones of ``url`` on ``map``; resolves to the L.GeoJSON layer (null when they cannot be read). */
  function addTo(map, url) {
    var pane = map.getPane("zoneOutlines") || map.createPane("zoneOutlines");
    pane.style.zIndex = 350;  // under the overlay pane (400): the dots stay on top and clickable
    pane.style.pointerEvents = "none";
    // The layer (and its renderer) join the map now, so they follow every move and zoom from the start;
    // the shapes are added when they arrive.
    var renderer = L.svg({ pane: "zoneOutlines", padding: 0.5 });
    map.addLayer(renderer);
    var layer = L.geoJSON(null, {
      pane: "zoneOutlines", renderer: renderer, interactive: false,
      style: function (f) {
        var p = f.properties || {};
        var top = p.level === "zone";
        var colour = COLOURS[p.zone_group] || "#5b6abf";
        return { color: colour, weight: top ? 2.5 : 1, opacity: top ? 0.9 : 0.6, dashArray: top ? null : "4 3",
                 fillColor: colour, fillOpacity: top ? 0.05 : 0 };
      },
      onEachFeature: function (f, shape) {
        var p = f.properties || {};
        if (p.level !== "zone" || !p.name) { return; }
        textSafe.tooltip(shape, p.name, { permanent: true, direction: "center", className: "zone-outline-label",
                                     pane: "zoneOutlines", interactive: false });
      }
    }).addTo(map);
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (data) {
        if (!data) { return null; }
        layer.addData(data);
        map.getContainer().dataset.zoneOutlines = String(layer.getLayers().length);
        return layer;
      })
      .catch(function () { return null; });
  }

  window.ShifengZones = { addTo: addTo };
})();

/* Tiled layers: a layer with more features than TILE_THRESHOLD is drawn from
 * /tiles/{collection}/{z}/{x}/{y}.mvt (Leaflet.VectorGrid) instead of GeoJSON.
 * Tiles carry the id and the fields needed to draw.  The tiles take no clicks: identify
 * (map-identify.js) asks the OGC API for the features around a click, so a click lists
 * every layer's features, tiled or not.  Exposes window.ShifengTiles. */
(function () {
  "use strict";
  // Leaflet 1.8 removed DomEvent.fakeStop, which VectorGrid still calls on clicks.
  if (L.DomEvent && !L.DomEvent.fakeStop) {
    L.DomEvent.fakeStop = function (e) { L.DomEvent.stopPropagation(e); };
  }

  function tileStyle(layerCfg, colourFor) {
    var style = {};
    style[layerCfg.id] = function (properties) {
      var base = layerCfg.style || {};
      var colour = colourFor(layerCfg, properties) || base.fillColor || base.color || "#3366cc";
      var point = layerCfg.geometry_type === "Point" || layerCfg.geometry_type === "MultiPoint";
      return {
        weight: base.weight || 1, color: point ? (base.color || "#333") : (base.color || colour),
        opacity: base.opacity === undefined ? 1 : base.opacity,
        fill: true, fillColor: colour,
        fillOpacity: base.fillOpacity === undefined ? 0.3 : base.fillOpacity,
        radius: base.radius || 4
      };
    };
    return style;
  }

  window.ShifengTiles = {
    threshold: 2000,
    /* Return a VectorGrid layer for layerCfg; onFeatureClick(id, latlng), when given, takes its clicks. */
    layerFor: function (layerCfg, colourFor, onFeatureClick) {
      var url = "/tiles/" + encodeURIComponent(layerCfg.id) + "/{z}/{x}/{y}.mvt";
      var layer = L.vectorGrid.protobuf(url, {
        rendererFactory: L.canvas.tile,
        vectorTileLayerStyles: tileStyle(layerCfg, colourFor),
        interactive: !!onFeatureClick,
        maxNativeZoom: 22,
        getFeatureId: function (f) { return f.properties.id !== undefined ? f.properties.id : f.id; },
        fetchOptions: { credentials: "same-origin" }
      });
      if (onFeatureClick) { layer.on("click", function (e) {
        var props = (e.layer && e.layer.properties) || {};
        var id = props.id !== undefined ? props.id : (e.layer && e.layer.feature && e.layer.feature.id);
        if (id !== undefined) { onFeatureClick(id, e.latlng); }
      }); }
      return layer;
    }
  };
})();

/* District map: draws the planning layers from the OGC API with Leaflet (canvas renderer).
 * All user text is inserted with textContent (never innerHTML), so a feature
 * named "<img src=x onerror=alert(1)>" shows as text.
 * Layers with more features than config.bbox_threshold are loaded by the
 * visible extent (bbox requests on moveend, debounced), at most
 * config.view_limit at a time.  Layers above config.tile_threshold are drawn
 * from vector tiles (map-tiles.js) below zoom config.tile_until_zoom and
 * switch to by-extent GeoJSON closer in, where they can be edited. */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var config = SM.config;
  var el = SM.el;
  // Geoman (loaded for editors only) attaches to layers that opt in (pmIgnore: false).
  if (L.PM) { L.PM.setOptIn(true); }
  var renderer = L.canvas({ padding: 0.5 });
  var map = L.map("map", { preferCanvas: true, renderer: renderer, zoomControl: true, pmIgnore: false })
    .setView(config.center, config.zoom);
  SM.map = map;
  SM.renderer = renderer;
  SM.index = {};          // layer id -> feature id -> Leaflet layer
  SM.pinned = {};         // layer id -> feature id -> true while being edited (kept across bbox reloads)
  SM.popupExtras = [];    // functions(box, layerCfg, feature) adding buttons to popups
  window.districtMap = map;
  window.mapLayers = {};
  window.mapLayerCounts = {};
  window.mapLayerTotals = {};

  if (config.basemap) {
    L.tileLayer(config.basemap.url, { attribution: config.basemap.attribution, maxZoom: 19 }).addTo(map);
  }

  if (config.district) {
    var outline = L.geoJSON(config.district, {
      renderer: renderer, interactive: false,
      style: { color: "#444", weight: 2.5, dashArray: "8 4", fill: false }
    }).addTo(map);
    SM.districtOutline = outline;
    map.fitBounds(outline.getBounds(), { padding: [10, 10] });
  }

  SM.layerCfg = function (id) {
    return config.layers.filter(function (l) { return l.id === id; })[0];
  };

  function colourFor(layerCfg, props) {
    if (!layerCfg.style_by) { return null; }
    var value = props[layerCfg.style_by];
    if (value === null || value === undefined) { value = ""; }
    return layerCfg.colours[value] || layerCfg.colours[""] || "#888888";
  }

  SM.styleFor = function (layerCfg) {
    return function (feature) {
      var style = Object.assign({ renderer: renderer }, layerCfg.style);
      var colour = colourFor(layerCfg, feature.properties);
      if (colour) { style.color = style.color && layerCfg.geometry_type === "Point" ? style.color : colour; style.fillColor = colour; }
      var factor = layerCfg._opacity === undefined ? 1 : layerCfg._opacity;  // the layer tree's opacity slider
      if (factor !== 1) {
        style.opacity = (style.opacity === undefined ? 1 : style.opacity) * factor;
        style.fillOpacity = (style.fillOpacity === undefined ? 0.2 : style.fillOpacity) * factor;
      }
      return style;
    };
  };

  SM.displayValue = function (layerCfg, name, value) {
    if (value === null || value === undefined || value === "") { return "—"; }
    var choices = layerCfg.choices[name];
    if (choices && Object.prototype.hasOwnProperty.call(choices, value)) { return choices[value]; }
    if (value === true) { return config.i18n.yes; }
    if (value === false) { return config.i18n.no; }
    if (typeof value === "number") { return value.toLocaleString(); }
    if (typeof value === "object") { return JSON.stringify(value); }
    return String(value);
  };

  SM.popupFor = function (layerCfg, feature) {
    var box = el("div", { class: "popup", dataset: { layer: layerCfg.id, fid: String(feature.id) } });
    box.appendChild(el("h3", { text: layerCfg.title }));
    var table = el("table");
    layerCfg.popup_fields.forEach(function (f) {
      var row = table.insertRow();
      row.appendChild(el("th", { text: f.label }));
      row.insertCell().textContent = SM.displayValue(layerCfg, f.name, feature.properties[f.name]);
    });
    box.appendChild(table);
    var actions = el("div", { class: "popup-actions" });
    SM.popupExtras.forEach(function (extra) { extra(actions, layerCfg, feature); });
    if (actions.childNodes.length) { box.appendChild(actions); }
    return box;
  };

  function labelOf(layerCfg, feature) {
    var value = layerCfg.label_field ? feature.properties[layerCfg.label_field] : null;
    return value === null || value === undefined || value === "" ? null : SM.displayValue(layerCfg, layerCfg.label_field, value);
  }

  /* Clicks are answered by the identify tool (map-identify.js): every feature under the cursor across the
   * visible layers, so an overlay never hides the feature below it.  No popup is bound to a feature. */
  function decorate(layerCfg, feature, layer) {
    var label = labelOf(layerCfg, feature);
    if (label !== null) {
      // Planner-defined layers show their label field on the map; built-ins on hover.
      textSafe.tooltip(layer, label, layerCfg.user_layer
        ? { permanent: true, direction: "center", className: "feature-label" } : { sticky: true });
    }
    SM.index[layerCfg.id][feature.id] = layer;
  }

  /* Add one GeoJSON feature to its layer (replacing the drawn one with the same id). */
  SM.addFeature = function (layerCfg, feature) {
    SM.removeFeature(layerCfg.id, feature.id);
    window.mapLayers[layerCfg.id].addData(feature);
    return SM.index[layerCfg.id][feature.id];
  };

  SM.removeFeature = function (layerId, fid) {
    var layer = SM.index[layerId][fid];
    if (layer) {
      window.mapLayers[layerId].removeLayer(layer);
      delete SM.index[layerId][fid];
    }
  };

  function fetchItems(layerCfg, params, signal) {
    var query = Object.keys(params).map(function (k) { return k + "=" + encodeURIComponent(params[k]); }).join("&");
    return fetch(layerCfg.items_url + "?" + query, {
      credentials: "same-origin", headers: { Accept: "application/geo+json" }, signal: signal
    }).then(function (resp) {
      if (!resp.ok) { throw new Error(resp.status); }
      return resp.json();
    });
  }

  function note(layerCfg, text) {
    layerCfg._note = text || "";
    var box = document.querySelector('#legend section[data-layer="' + layerCfg.id + '"] .legend-note');
    if (box) { box.textContent = text || ""; }
  }

  /* Load the features of a large layer that intersect the view; keep the ones being edited. */
  function loadExtent(layerCfg) {
    var group = window.mapLayers[layerCfg.id];
    if (!map.hasLayer(group)) { return Promise.resolve(); }
    if (layerCfg._abort) { layerCfg._abort.abort(); }
    layerCfg._abort = new AbortController();
    var b = map.getBounds().pad(0.15);
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
    return fetchItems(layerCfg, { bbox: bbox, limit: config.view_limit }, layerCfg._abort.signal).then(function (data) {
      var wanted = {};
      data.features.forEach(function (f) { wanted[f.id] = f; });
      var index = SM.index[layerCfg.id];
      var pinned = SM.pinned[layerCfg.id];
      Object.keys(index).forEach(function (fid) {
        if (!wanted[fid] && !pinned[fid]) { group.removeLayer(index[fid]); delete index[fid]; }
      });
      var fresh = data.features.filter(function (f) { return !index[f.id] && !pinned[f.id]; });
      if (fresh.length) { group.addData({ type: "FeatureCollection", features: fresh }); }
      window.mapLayerCounts[layerCfg.id] = Object.keys(index).length;
      note(layerCfg, SM.t("by_extent", { shown: data.numberReturned, total: window.mapLayerTotals[layerCfg.id] }));
    }, function (err) { if (err.name !== "AbortError") { throw err; } });
  }

  /* Show a tiled layer's tiles when zoomed out, its editable GeoJSON when zoomed in. */
  function syncTiled(layerCfg) {
    var group = window.mapLayers[layerCfg.id];
    if (!map.hasLayer(group)) {
      if (map.hasLayer(layerCfg._tiles)) { map.removeLayer(layerCfg._tiles); }
      return Promise.resolve();
    }
    if (map.getZoom() < config.tile_until_zoom) {
      var index = SM.index[layerCfg.id], pinned = SM.pinned[layerCfg.id];
      Object.keys(index).forEach(function (fid) { if (!pinned[fid]) { group.removeLayer(index[fid]); delete index[fid]; } });
      if (!map.hasLayer(layerCfg._tiles)) { layerCfg._tiles.addTo(map); }
      window.mapLayerCounts[layerCfg.id] = 0;
      layerCfg.as_tiles = true;
      note(layerCfg, SM.t("as_tiles", { total: window.mapLayerTotals[layerCfg.id] }));
      return Promise.resolve();
    }
    layerCfg.as_tiles = false;
    if (map.hasLayer(layerCfg._tiles)) { map.removeLayer(layerCfg._tiles); }
    return loadExtent(layerCfg);
  }

  function loadLayer(layerCfg) {
    var options = {
      style: SM.styleFor(layerCfg),
      snapIgnore: false,  // editors snap to every visible layer
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, Object.assign({ snapIgnore: false }, SM.styleFor(layerCfg)(feature)));
      },
      onEachFeature: function (feature, layer) { decorate(layerCfg, feature, layer); }
    };
    var group = L.geoJSON(null, options);
    SM.index[layerCfg.id] = {};
    SM.pinned[layerCfg.id] = {};
    window.mapLayers[layerCfg.id] = group;
    window.mapLayerTotals[layerCfg.id] = layerCfg.number_matched;
    if (layerCfg.number_matched > config.tile_threshold && window.ShifengTiles) {
      layerCfg.by_extent = true;
      layerCfg.tiled = true;
      // The GeoJSON group stands for the layer (on the map iff the layer is shown, whatever the zoom);
      // its vector tiles follow it: drawn when it is on the map and the zoom is below tile_until_zoom.
      layerCfg._tiles = window.ShifengTiles.layerFor(layerCfg, colourFor, null);
      group.on("add", function () { syncTiled(layerCfg); });
      group.on("remove", function () { if (map.hasLayer(layerCfg._tiles)) { map.removeLayer(layerCfg._tiles); } });
      if (layerCfg.visible) { group.addTo(map); }
      return syncTiled(layerCfg);
    }
    if (layerCfg.visible) { group.addTo(map); }
    if (layerCfg.number_matched > config.bbox_threshold) {
      layerCfg.by_extent = true;
      return loadExtent(layerCfg);
    }
    return fetchItems(layerCfg, { limit: config.bbox_threshold }).then(function (data) {
      window.mapLayerTotals[layerCfg.id] = data.numberMatched;
      if (data.numberMatched > data.features.length) {  // grew since the page was built
        layerCfg.by_extent = true;
        return loadExtent(layerCfg);
      }
      group.addData(data);
      window.mapLayerCounts[layerCfg.id] = data.features.length;
    });
  }

  SM.reloadLayer = function (layerCfg) {
    if (layerCfg.tiled) {
      layerCfg._tiles.redraw();
      return syncTiled(layerCfg);
    }
    if (layerCfg.by_extent) { return loadExtent(layerCfg); }
    var group = window.mapLayers[layerCfg.id];
    return fetchItems(layerCfg, { limit: config.bbox_threshold }).then(function (data) {
      Object.keys(SM.index[layerCfg.id]).forEach(function (fid) {
        if (!SM.pinned[layerCfg.id][fid]) { SM.removeFeature(layerCfg.id, fid); }
      });
      group.addData({ type: "FeatureCollection", features: data.features.filter(function (f) {
        return !SM.pinned[layerCfg.id][f.id];
      }) });
      window.mapLayerCounts[layerCfg.id] = data.features.length;
    });
  };

  var extentTimer = null;
  function onMoveEnd() {
    clearTimeout(extentTimer);
    extentTimer = setTimeout(function () {
      config.layers.filter(function (l) { return l.by_extent; }).forEach(function (layerCfg) {
        (layerCfg.tiled ? syncTiled(layerCfg) : loadExtent(layerCfg)).catch(function (err) { SM.status(config.i18n.load_failed + "：" + layerCfg.title + " (" + err.message + ")", true); });
      });
    }, 300);
  }

  SM.status(config.i18n.loading);
  SM.ready = Promise.all(config.layers.map(function (layerCfg) {
    return loadLayer(layerCfg).catch(function (err) {
      SM.status(config.i18n.load_failed + "：" + layerCfg.title + " (" + err.message + ")", true);
      throw err;
    });
  })).then(function () {
    SM.status("");
    // Draw in the configured order whatever order the requests finished in; points on top.
    var points = config.layers.filter(function (l) { return l.geometry_type === "Point"; });
    config.layers.filter(function (l) { return l.geometry_type !== "Point"; }).concat(points).forEach(function (layerCfg) {
      if (map.hasLayer(window.mapLayers[layerCfg.id])) { window.mapLayers[layerCfg.id].bringToFront(); }
    });
    map.on("moveend", onMoveEnd);
    map.on("layeradd", function (e) {  // a by-extent layer shown again loads the features in view
      config.layers.forEach(function (l) { if (l.by_extent && !l.tiled && e.layer === window.mapLayers[l.id]) { onMoveEnd(); } });
    });
    document.body.dataset.mapReady = "1";
  }, function () { document.body.dataset.mapReady = "error"; });

  L.control.scale({ metric: true, imperial: false }).addTo(map);
})();

/* Identify: a click on the map lists every feature under it across the visible layers, grouped by
 * layer; the first (points and lines before areas, editable before overlays, small before large) opens
 * at once with its tools, the others are one click away in the same popup.  So an overlay such as
 * 冲突范围 never hides the project below it.  GeoJSON layers are hit-tested in the browser (the canvas
 * shapes Leaflet drew); layers drawn as vector tiles are asked for the features in a few pixels around
 * the click (OGC items with a bbox).
 * Exposes SM.openFeature(layerId, featureId) and SM.highlight(geojson) for the other map scripts.
 * All text goes in with textContent / DOM nodes. */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var map = SM.map;
  var config = SM.config;
  var el = SM.el;
  var t = SM.t;
  var TOLERANCE_PX = 5;

  /* ---------- highlight ---------- */
  map.createPane("highlight");
  map.getPane("highlight").style.zIndex = 450;  // above the overlays, below markers and popups
  map.getPane("highlight").style.pointerEvents = "none";
  var highlightRenderer = L.svg({ pane: "highlight", padding: 0.5 });
  var highlightLayer = L.featureGroup().addTo(map);
  var HIGHLIGHT = { color: "#00e5ff", weight: 4, opacity: 1, fillColor: "#00e5ff", fillOpacity: 0.15 };

  /* Draw ``geojson`` (a geometry, Feature or FeatureCollection) as the highlight; null clears it.
   * Returns the Leaflet layer drawn (or null). */
  SM.highlight = function (geojson, style) {
    highlightLayer.clearLayers();
    if (!geojson) { return null; }
    var s = Object.assign({}, HIGHLIGHT, style || {});
    var shape = L.geoJSON(geojson, {
      interactive: false, pane: "highlight", renderer: highlightRenderer, style: function () { return s; },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, Object.assign({ radius: 10, pane: "highlight", renderer: highlightRenderer }, s));
      }
    });
    highlightLayer.addLayer(shape);
    return shape;
  };
  map.on("popupclose", function (e) { if (e.popup && e.popup._identify) { SM.highlight(null); } });

  /* ---------- who may be identified ---------- */
  /* Other tools (measuring, drawing) pause identify while they take the clicks: SM.pauseIdentify(true|false). */
  var paused = 0;
  SM.pauseIdentify = function (on) { paused = Math.max(0, paused + (on ? 1 : -1)); };
  function blocked() {
    if (paused) { return true; }
    if (window.mapEdit && window.mapEdit.session && window.mapEdit.session()) { return true; }
    if (map.pm && (map.pm.globalDrawModeEnabled() || (map.pm.globalEditModeEnabled && map.pm.globalEditModeEnabled())
                   || (map.pm.globalDragModeEnabled && map.pm.globalDragModeEnabled())
                   || (map.pm.globalRemovalModeEnabled && map.pm.globalRemovalModeEnabled())
                   || (map.pm.globalCutModeEnabled && map.pm.globalCutModeEnabled()))) { return true; }
    return false;
  }

  function hitTest(layer, point) {
    if (!layer._map || typeof layer._containsPoint !== "function") { return false; }
    try { return !!layer._containsPoint(point); } catch (e) { return false; }
  }

  function dimension(geometry) {
    var type = (geometry && geometry.type) || "";
    if (/Point/.test(type)) { return 0; }
    if (/LineString/.test(type)) { return 1; }
    return 2;
  }

  /* Sort key: points, lines, then areas; overlays (冲突范围) and the zones (the background) last. */
  function rank(hit) {
    var layerRank = hit.cfg.id === "zones" ? 4 : hit.cfg.id === "encroachments" ? 3 : dimension(hit.feature.geometry);
    var size = 0;
    try {
      var b = (hit.layer && hit.layer.getBounds) ? hit.layer.getBounds() : L.geoJSON(hit.feature.geometry).getBounds();
      size = Math.abs((b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth()));
    } catch (e) { size = 0; }
    return [layerRank, hit.cfg.can_edit ? 0 : 1, size];
  }
  function compare(a, b) {
    for (var i = 0; i < a.key.length; i++) { if (a.key[i] !== b.key[i]) { return a.key[i] - b.key[i]; } }
    return a.order - b.order;
  }

  function fetchAround(cfg, containerPoint) {
    var sw = map.containerPointToLatLng([containerPoint.x - TOLERANCE_PX, containerPoint.y + TOLERANCE_PX]);
    var ne = map.containerPointToLatLng([containerPoint.x + TOLERANCE_PX, containerPoint.y - TOLERANCE_PX]);
    var bbox = [sw.lng, sw.lat, ne.lng, ne.lat].map(function (v) { return v.toFixed(7); }).join(",");
    return SM.request("GET", cfg.items_url + "?bbox=" + encodeURIComponent(bbox) + "&limit=50").then(function (resp) {
      if (!resp.ok) { throw new Error((resp.body && resp.body.message) || String(resp.status)); }
      return (resp.body.features || []).map(function (f) { return { cfg: cfg, feature: f }; });
    });
  }

  /* Resolve the hits at a click: [{cfg, feature, layer?}], sorted. */
  SM.identifyAt = function (latlng) {
    var point = map.latLngToLayerPoint(latlng);
    var containerPoint = map.latLngToContainerPoint(latlng);
    var hits = [], remote = [];
    config.layers.forEach(function (cfg) {
      var group = window.mapLayers[cfg.id];
      if (!group || !map.hasLayer(group)) { return; }
      if (cfg.tiled && cfg.as_tiles) { remote.push(fetchAround(cfg, containerPoint)); return; }
      group.eachLayer(function (layer) {
        if (layer.feature && hitTest(layer, point)) { hits.push({ cfg: cfg, feature: layer.feature, layer: layer }); }
      });
    });
    return Promise.all(remote).then(function (lists) {
      lists.forEach(function (list) { hits = hits.concat(list); });
      var seen = {};
      hits = hits.filter(function (h) {
        var key = h.cfg.id + ":" + h.feature.id;
        if (seen[key]) { return false; }
        seen[key] = true;
        return true;
      });
      hits.forEach(function (h, i) { h.key = rank(h); h.order = i; });
      hits.sort(compare);
      return hits;
    });
  };

  /* ---------- the popup ---------- */
  function labelOf(cfg, feature) {
    var value = cfg.label_field ? feature.properties[cfg.label_field] : null;
    if (value === null || value === undefined || value === "") { value = feature.properties.name; }
    if (value === null || value === undefined || value === "") { return "#" + feature.id; }
    return SM.displayValue(cfg, cfg.label_field || "name", value);
  }

  function popupOptions() {
    var size = map.getSize();
    var left = document.querySelector("#map .leaflet-top.leaflet-left");
    var right = document.getElementById("map-right");
    var mapBox = map.getContainer().getBoundingClientRect();
    var padLeft = left ? Math.min(left.getBoundingClientRect().right - mapBox.left, size.x / 3) : 0;
    var padRight = right ? Math.min(mapBox.right - right.getBoundingClientRect().left, size.x / 3) : 0;
    return {
      maxWidth: 360, minWidth: 220, maxHeight: Math.max(180, Math.min(460, size.y - 170)), className: "identify-popup",
      autoPanPaddingTopLeft: L.point(Math.max(10, padLeft + 10), 20),
      autoPanPaddingBottomRight: L.point(Math.max(10, padRight + 10), 40)
    };
  }

  /* Open the popup of ``hits`` at ``latlng`` with hit ``chosen`` (index) shown. */
  SM.showHits = function (latlng, hits, chosen) {
    var box = el("div", { class: "identify" });
    var detail = el("div", { class: "identify-detail" });
    var buttons = [];
    var popup = L.popup(popupOptions());
    popup._identify = true;
    function select(i) {
      var hit = hits[i];
      detail.textContent = "";
      detail.appendChild(SM.popupFor(hit.cfg, hit.feature));
      buttons.forEach(function (b, j) {
        b.classList.toggle("current", j === i);
        b.setAttribute("aria-current", j === i ? "true" : "false");
      });
      SM.highlight(hit.feature.geometry);
      if (popup.isOpen()) { popup.update(); }
    }
    if (hits.length > 1) {
      var list = el("nav", { class: "identify-list", "aria-label": t("identify_here", { n: hits.length }) },
        [el("div", { class: "identify-head", text: t("identify_here", { n: hits.length }) })]);
      var groups = {};
      hits.forEach(function (hit, i) {
        var ul = groups[hit.cfg.id];
        if (!ul) {
          ul = groups[hit.cfg.id] = el("ul");
          list.appendChild(el("div", { class: "identify-group", dataset: { layer: hit.cfg.id } },
                                [el("h4", { text: hit.cfg.title }), ul]));
        }
        var button = el("button", { type: "button", class: "identify-item", dataset: { layer: hit.cfg.id, fid: String(hit.feature.id) },
                                    text: labelOf(hit.cfg, hit.feature), onclick: function () { select(i); } });
        buttons[i] = button;
        ul.appendChild(el("li", {}, [button]));
      });
      box.appendChild(list);
    }
    box.appendChild(detail);
    select(chosen || 0);
    textSafe.content(popup.setLatLng(latlng), box).openOn(map);
    return popup;
  };

  map.on("click", function (e) {
    if (blocked()) { return; }
    var latlng = e.latlng;
    SM.identifyAt(latlng).then(function (hits) {
      if (blocked()) { return; }
      if (!hits.length) { SM.highlight(null); return; }
      SM.showHits(latlng, hits, 0);
    }).catch(function (err) { SM.status(config.i18n.load_failed + " (" + err.message + ")", true); });
  });

  /* ---------- open a feature by id (search results, permalinks, lists) ---------- */
  function pointInside(geometry) {
    var shape = L.geoJSON(geometry);
    var first = shape.getLayers()[0];
    if (!first) { return null; }
    if (first.getLatLng) { return first.getLatLng(); }
    try { return first.getCenter(); } catch (e) { return shape.getBounds().getCenter(); }
  }

  /* Show the layer, zoom to the feature, highlight it and open its popup with its tools.
   * Resolves with the feature (rejects when it cannot be read). */
  SM.openFeature = function (layerId, featureId, opts) {
    var cfg = SM.layerCfg(layerId);
    if (!cfg) { return Promise.reject(new Error(layerId)); }
    var group = window.mapLayers[layerId];
    if (group && !map.hasLayer(group)) { map.addLayer(group); }
    return SM.request("GET", cfg.items_url + "/" + encodeURIComponent(featureId)).then(function (resp) {
      if (!resp.ok) { throw new Error((resp.body && resp.body.message) || String(resp.status)); }
      var feature = resp.body;
      if (!feature.geometry) { throw new Error(String(featureId)); }
      var bounds = L.geoJSON(feature.geometry).getBounds();
      var maxZoom = (opts && opts.maxZoom) || 17;
      if (dimension(feature.geometry) === 0) {
        map.setView(bounds.getCenter(), Math.max(map.getZoom(), maxZoom), { animate: false });
      } else {
        map.fitBounds(bounds, { maxZoom: maxZoom, padding: [60, 60], animate: false });
      }
      SM.showHits(pointInside(feature.geometry) || bounds.getCenter(), [{ cfg: cfg, feature: feature }], 0);
      return feature;
    });
  };

  /* The popup of a 冲突范围 overlap links to its project's review page (and a project's to its own). */
  SM.reviewUrl = function (projectId) { return SM.urlFor(config.urls.review, { id: projectId }); };
  SM.popupExtras.push(function (box, cfg, feature) {
    var projectId = cfg.id === "encroachments" ? feature.properties.project_id : cfg.id === "projects" ? feature.id : null;
    if (projectId === null || projectId === undefined) { return; }
    box.appendChild(el("a", { class: "review-link", href: SM.reviewUrl(projectId), text: t("open_review") }));
  });
})();

/* Labels of the planning zones (from zoom 11) and their sub-areas (from zoom 13): DOM text with a halo
 * in a pane of their own, placed after every move with collision avoidance — a label that would overlap
 * one already placed (zones first, then larger sub-areas) is hidden.  Shown while the zones layer is.
 * Names go in with textContent. */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var map = SM.map;
  var ZONE_FROM = 11, SUB_AREA_FROM = 13, GAP = 4;
  var english = document.documentElement.lang === "en";
  map.createPane("labels");
  var pane = map.getPane("labels");
  pane.style.zIndex = 550;          // above the shapes, below markers' tooltips and popups
  pane.style.pointerEvents = "none";
  pane.classList.add("leaflet-zoom-hide");
  var holder = L.DomUtil.create("div", "map-labels", pane);
  holder.id = "map-labels";

  function candidates() {
    var group = window.mapLayers.zones;
    if (!group || !map.hasLayer(group)) { return []; }
    var zoom = map.getZoom();
    var list = [];
    group.eachLayer(function (layer) {
      var p = layer.feature && layer.feature.properties;
      var text = english && p && p.name_en ? p.name_en : p && p.name;
      if (!text) { return; }
      var isZone = p.level === "zone";
      if (zoom < (isZone ? ZONE_FROM : SUB_AREA_FROM)) { return; }
      var bounds = layer.getBounds();
      var size = Math.abs((bounds.getEast() - bounds.getWest()) * (bounds.getNorth() - bounds.getSouth()));
      var at;
      try { at = layer.getCenter(); } catch (e) { at = bounds.getCenter(); }
      list.push({ text: String(text), latlng: at, kind: isZone ? "zone" : "sub-area", priority: isZone ? 0 : 1, size: size,
                  fid: layer.feature.id });
    });
    list.sort(function (a, b) { return a.priority - b.priority || b.size - a.size; });
    return list;
  }

  function overlaps(a, b) {
    return a.left < b.right + GAP && b.left < a.right + GAP && a.top < b.bottom + GAP && b.top < a.bottom + GAP;
  }

  function place() {
    holder.textContent = "";
    var placed = [];
    var view = map.getSize();
    candidates().forEach(function (c) {
      var cp = map.latLngToContainerPoint(c.latlng);
      if (cp.x < 0 || cp.y < 0 || cp.x > view.x || cp.y > view.y) { return; }
      var node = L.DomUtil.create("div", "map-label " + c.kind, holder);
      node.textContent = c.text;
      node.dataset.fid = String(c.fid);
      var w = node.offsetWidth, h = node.offsetHeight;
      var box = { left: cp.x - w / 2, right: cp.x + w / 2, top: cp.y - h / 2, bottom: cp.y + h / 2 };
      if (placed.some(function (p) { return overlaps(p, box); })) { holder.removeChild(node); return; }
      placed.push(box);
      var lp = map.latLngToLayerPoint(c.latlng);
      L.DomUtil.setPosition(node, L.point(Math.round(lp.x - w / 2), Math.round(lp.y - h / 2)));
    });
  }

  var pending = false;
  function schedule() {  // layeradd fires for every feature added: place once per frame
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; place(); });
  }
  SM.placeLabels = place;
  map.on("moveend zoomend layeradd layerremove resize", schedule);
  if (SM.ready) { SM.ready.then(place, function () {}); }
})();

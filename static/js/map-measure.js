/* Measuring and the cursor's coordinates, for every role (viewers included).
 *
 * Distance and area are geodesic on the CGCS2000 ellipsoid (a = 6 378 137 m, f = 1/298.257222101), computed with
 * GeographicLib (static/vendor/geographiclib, Karney's algorithms: the same that pyproj.Geod uses).  Lengths in
 * m / km, areas in m², 亩 (1 亩 = 10000/15 m² = 666.67 m²) and ha.
 *
 * The readout shows the cursor in CGCS2000 lon/lat and in EPSG:4547 (3-degree Gauss–Krüger, central meridian
 * 114°E, false easting 500 000 m), with the zone-prefixed easting of zone 38 (false easting 38 500 000 m, as on
 * the zone's drawings).  The transverse Mercator is Krüger's series to n⁶ (Karney 2011), sub-millimetre here.
 */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var map = SM.map;
  var el = SM.el;
  var t = SM.t;

  /* ---------- the ellipsoid and the projection ---------- */
  var A_AXIS = 6378137.0;
  var FLATTENING = 1 / 298.257222101;
  var MU_M2 = 10000 / 15;
  var geod = new window.geodesic.Geodesic.Geodesic(A_AXIS, FLATTENING);

  var GK = (function () {
    var n = FLATTENING / (2 - FLATTENING);
    var n2 = n * n, n3 = n2 * n, n4 = n3 * n, n5 = n4 * n, n6 = n5 * n;
    var rectifying = A_AXIS / (1 + n) * (1 + n2 / 4 + n4 / 64 + n6 / 256);
    var alpha = [
      n / 2 - 2 * n2 / 3 + 5 * n3 / 16 + 41 * n4 / 180 - 127 * n5 / 288 + 7891 * n6 / 37800,
      13 * n2 / 48 - 3 * n3 / 5 + 557 * n4 / 1440 + 281 * n5 / 630 - 1983433 * n6 / 1935360,
      61 * n3 / 240 - 103 * n4 / 140 + 15061 * n5 / 26880 + 167603 * n6 / 181440,
      49561 * n4 / 161280 - 179 * n5 / 168 + 6601661 * n6 / 7257600,
      34729 * n5 / 80640 - 3418889 * n6 / 1995840,
      212378941 * n6 / 319334400
    ];
    var e = Math.sqrt(FLATTENING * (2 - FLATTENING));
    var rad = Math.PI / 180;
    /* lon/lat (degrees) → [x easting, y northing] in metres, central meridian ``lon0``, false easting ``fe``. */
    return function (lon, lat, lon0, fe) {
      var phi = lat * rad, dl = (lon - lon0) * rad;
      var s = Math.sin(phi);
      var tau = Math.sinh(Math.atanh(s) - e * Math.atanh(e * s));
      var xi1 = Math.atan2(tau, Math.cos(dl));
      var eta1 = Math.atanh(Math.sin(dl) / Math.sqrt(1 + tau * tau));
      var xi = xi1, eta = eta1;
      for (var j = 1; j <= 6; j++) {
        xi += alpha[j - 1] * Math.sin(2 * j * xi1) * Math.cosh(2 * j * eta1);
        eta += alpha[j - 1] * Math.cos(2 * j * xi1) * Math.sinh(2 * j * eta1);
      }
      return [fe + rectifying * eta, rectifying * xi];
    };
  })();
  SM.toEpsg4547 = function (lon, lat) { return GK(lon, lat, 114, 500000); };
  SM.toZone38 = function (lon, lat) { return GK(lon, lat, 114, 38500000); };

  SM.geodesicLength = function (latlngs) {
    var total = 0;
    for (var i = 1; i < latlngs.length; i++) {
      total += geod.Inverse(latlngs[i - 1].lat, latlngs[i - 1].lng, latlngs[i].lat, latlngs[i].lng).s12;
    }
    return total;
  };
  SM.geodesicArea = function (latlngs) {
    var polygon = geod.Polygon(false);
    latlngs.forEach(function (p) { polygon.AddPoint(p.lat, p.lng); });
    var r = polygon.Compute(false, true);
    return { area: Math.abs(r.area), perimeter: r.perimeter };
  };

  function number(value, digits) {
    return value.toLocaleString("zh-CN", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  SM.formatLength = function (m) { return m < 1000 ? number(m, 2) + " m" : number(m / 1000, 3) + " km"; };
  SM.formatArea = function (m2) {
    return [number(m2, 1) + " m²", number(m2 / MU_M2, 2) + " " + t("unit_mu"), number(m2 / 10000, 4) + " ha"];
  };

  /* ---------- the coordinate readout ---------- */
  var readout = el("div", { id: "map-coords", class: "map-coords", "aria-label": t("coords") }, [
    el("div", { class: "coords-lonlat" }), el("div", { class: "coords-xy" })
  ]);
  document.querySelector(".mapmain").appendChild(readout);
  function showCoords(latlng) {
    var lonlat = readout.querySelector(".coords-lonlat");
    var xy = readout.querySelector(".coords-xy");
    if (!latlng) {
      lonlat.textContent = t("coords_out");
      xy.textContent = "";
      delete readout.dataset.lon;
      return;
    }
    var p = SM.toEpsg4547(latlng.lng, latlng.lat);
    var z = SM.toZone38(latlng.lng, latlng.lat);
    lonlat.textContent = t("coords_lonlat") + "  " + latlng.lng.toFixed(6) + "°E, " + latlng.lat.toFixed(6) + "°N";
    xy.textContent = t("coords_xy") + "  X " + p[0].toFixed(2) + "  Y " + p[1].toFixed(2)
      + "（" + t("coords_zone") + " X " + z[0].toFixed(2) + "）";
    readout.dataset.lon = latlng.lng.toFixed(8);
    readout.dataset.lat = latlng.lat.toFixed(8);
    readout.dataset.x = p[0].toFixed(3);
    readout.dataset.y = p[1].toFixed(3);
    readout.dataset.zoneX = z[0].toFixed(3);
  }
  map.on("mousemove", function (e) { showCoords(e.latlng); });
  map.getContainer().addEventListener("mousedown", function (e) {  // a tap or click shows its place too
    if (e.target.closest && e.target.closest(".leaflet-control-container")) { return; }
    showCoords(map.mouseEventToLatLng(e));
  }, true);
  map.on("mouseout", function () { showCoords(null); });
  showCoords(null);

  /* ---------- measuring ---------- */
  var pane = map.createPane("measure");
  pane.style.zIndex = 640;  // above popups' shadows and markers, below the controls
  pane.style.pointerEvents = "none";
  var renderer = L.svg({ pane: "measure", padding: 0.5 });
  var drawn = L.layerGroup().addTo(map);
  var mode = null;  // "distance" | "area" | null
  var points = [];
  var cursor = null;
  var shape = null;
  var rubber = null;
  var panel = null;

  var style = { color: "#d7191c", weight: 3, opacity: 0.95, fillColor: "#fdae61", fillOpacity: 0.25, dashArray: null,
                pane: "measure", renderer: renderer, interactive: false };

  function resultLines() {
    var pts = points.slice();
    if (cursor && mode) { pts.push(cursor); }
    if (mode === "distance" || (!mode && panel && panel.dataset.mode === "distance")) {
      return { kind: "distance", length: SM.geodesicLength(pts) };
    }
    var measured = pts.length >= 3 ? SM.geodesicArea(pts) : { area: 0, perimeter: SM.geodesicLength(pts) };
    return { kind: "area", area: measured.area, perimeter: measured.perimeter };
  }

  function redraw() {
    drawn.clearLayers();
    var pts = points.slice();
    var withCursor = cursor && mode ? pts.concat([cursor]) : pts;
    var kind = mode || (panel && panel.dataset.mode);
    if (kind === "area" && withCursor.length >= 3) {
      shape = L.polygon(withCursor, style).addTo(drawn);
    } else if (withCursor.length >= 2) {
      shape = L.polyline(withCursor, style).addTo(drawn);
    }
    pts.forEach(function (p) {
      L.circleMarker(p, { radius: 4, color: "#d7191c", weight: 2, fillColor: "#fff", fillOpacity: 1, pane: "measure",
                          renderer: renderer, interactive: false }).addTo(drawn);
    });
    rubber = null;
    writePanel();
  }

  function writePanel() {
    if (!panel) { return; }
    var value = panel.querySelector(".measure-value");
    value.textContent = "";
    var r = resultLines();
    if (r.kind === "distance") {
      value.appendChild(el("div", { class: "measure-length", text: t("measure_length") + "：" + SM.formatLength(r.length) }));
      panel.dataset.meters = r.length.toFixed(4);
    } else {
      var lines = SM.formatArea(r.area);
      value.appendChild(el("div", { class: "measure-area", text: t("measure_area_label") + "：" + lines[0] }));
      value.appendChild(el("div", { class: "measure-area-mu", text: "　　　" + lines[1] + " · " + lines[2] }));
      value.appendChild(el("div", { class: "measure-perimeter", text: t("measure_perimeter") + "：" + SM.formatLength(r.perimeter) }));
      panel.dataset.squareMeters = r.area.toFixed(4);
      panel.dataset.meters = r.perimeter.toFixed(4);
    }
    panel.dataset.points = String(points.length);
  }

  function openPanel(kind) {
    if (panel) { panel.remove(); }
    panel = el("div", { id: "measure-panel", class: "measure-panel", role: "status", dataset: { mode: kind } }, [
      el("div", { class: "measure-hint muted", text: t(kind === "distance" ? "measure_hint_distance" : "measure_hint_area") }),
      el("div", { class: "measure-value" }),
      el("div", { class: "measure-method muted", text: t("measure_method") }),
      el("button", { type: "button", class: "measure-clear", text: t("measure_clear"), onclick: function () { stop(true); } })
    ]);
    SM.toolbar().appendChild(panel);
  }

  function buttonsState() {
    Array.prototype.forEach.call(document.querySelectorAll(".measure-button[data-mode]"), function (b) {
      b.classList.toggle("active", b.dataset.mode === mode);
      b.setAttribute("aria-pressed", b.dataset.mode === mode ? "true" : "false");
    });
  }

  function start(kind) {
    stop(true);
    mode = kind;
    points = [];
    cursor = null;
    openPanel(kind);
    map.getContainer().classList.add("measuring");
    map.doubleClickZoom.disable();
    if (SM.pauseIdentify) { SM.pauseIdentify(true); }
    map.closePopup();
    SM.activeTool = "measure";
    buttonsState();
    writePanel();
  }

  /* Finish drawing: the result stays on the map and in the panel until cleared or a new measurement starts. */
  function finish() {
    if (!mode) { return; }
    cursor = null;
    var kind = mode;
    mode = null;
    leave();
    panel.dataset.mode = kind;
    panel.dataset.done = "1";
    redraw();
    buttonsState();
  }

  function leave() {
    map.getContainer().classList.remove("measuring");
    map.doubleClickZoom.enable();
    if (SM.pauseIdentify) { setTimeout(function () { SM.pauseIdentify(false); }, 0); }
    if (SM.activeTool === "measure") { SM.activeTool = null; }
  }

  function stop(clear) {
    if (mode) { leave(); }
    mode = null;
    cursor = null;
    if (clear) {
      points = [];
      drawn.clearLayers();
      if (panel) { panel.remove(); panel = null; }
    }
    buttonsState();
  }
  SM.measuring = { start: start, finish: finish, stop: stop,
                 vertices: function () { return points.map(function (p) { return [p.lng, p.lat]; }); } };

  function near(a, b) {
    var pa = map.latLngToContainerPoint(a), pb = map.latLngToContainerPoint(b);
    return pa.distanceTo(pb) < 4;
  }

  /* Clicks are taken before the features see them (capture phase on the map's container): a feature's popup or
   * the identify list does not open while measuring; a click that ends a drag of the map adds no point. */
  function onMap(e) {
    // (Popups are closed while measuring; one still fading out for 200 ms must not swallow a click.)
    return !(e.target.closest && e.target.closest(".leaflet-control-container"));
  }
  var container = map.getContainer();
  container.addEventListener("click", function (e) {
    if (!mode || !onMap(e) || e.button !== 0) { return; }
    e.stopPropagation();
    if (map.dragging && map.dragging.moved()) { return; }
    var latlng = map.mouseEventToLatLng(e);
    if (points.length && near(points[points.length - 1], latlng)) { return; }  // the second click of a double-click
    points.push(latlng);
    redraw();
  }, true);
  container.addEventListener("dblclick", function (e) {
    if (!mode || !onMap(e)) { return; }
    e.stopPropagation();
    e.preventDefault();
    finish();
  }, true);
  map.on("mousemove", function (e) {
    if (!mode || !points.length) { return; }
    cursor = e.latlng;
    redraw();
  });
  map.on("popupopen", function () { if (mode) { map.closePopup(); } });  // features do not answer clicks meanwhile
  document.addEventListener("keydown", function (e) {
    if (!mode) { return; }
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    if (e.key === "Escape") { e.preventDefault(); stop(true); }
    else if (e.key === "Enter") { e.preventDefault(); finish(); }
    else if (e.key === "Backspace") { e.preventDefault(); points.pop(); redraw(); }
  });

  var tools = SM.toolbar().querySelector(".map-toolbar-tools");
  [["distance", "measure_distance", "measure_hint_distance"], ["area", "measure_area", "measure_hint_area"]].forEach(function (d) {
    tools.insertBefore(el("button", {
      type: "button", class: "map-tool-button measure-button", dataset: { mode: d[0] }, text: t(d[1]), title: t(d[2]),
      "aria-pressed": "false", onclick: function () { if (mode === d[0]) { finish(); } else { start(d[0]); } }
    }), tools.querySelector(".copy-link"));
  });

})();

/* Editing in the map with Leaflet-Geoman (free): draw points, lines and
 * polygons, edit vertices, move, cut holes, split by a line, delete; snapping
 * to every visible layer; live length and area (m² and 亩).  Keyboard: Esc
 * cancels, Enter finishes (or saves a reshaped feature), Ctrl+Z undoes the last
 * vertex.  Only layers whose write_roles include the user's role get tools
 * (the page loads this script only for such users). */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var map = SM.map;
  var el = SM.el;
  var t = SM.t;
  var editable = SM.config.layers.filter(function (l) { return l.can_edit; });
  if (!editable.length || !map.pm) { return; }

  var SNAP = { snappable: true, snapDistance: 20 };
  var DRAFT_STYLE = { color: "#e6007e", weight: 3, fillColor: "#e6007e", fillOpacity: 0.2 };
  map.pm.setGlobalOptions(Object.assign({ allowSelfIntersection: true, exitModeOnEscape: false, finishOnEnter: false }, SNAP));
  if (/^zh/.test(document.documentElement.lang)) { map.pm.setLang("zh"); }

  var session = null;
  var ui = {};

  /* ---------- measuring (ellipsoidal local plane, CGCS2000/GRS80 radii) ---------- */
  function projector(lat0, lon0) {
    var a = 6378137, e2 = 0.0066943800229, phi = lat0 * Math.PI / 180;
    var w = 1 - e2 * Math.sin(phi) * Math.sin(phi);
    var kx = a / Math.sqrt(w) * Math.cos(phi) * Math.PI / 180, ky = a * (1 - e2) / Math.pow(w, 1.5) * Math.PI / 180;
    return function (p) { return [(p[0] - lon0) * kx, (p[1] - lat0) * ky]; };
  }
  function ringArea(xy) {
    var s = 0;
    for (var i = 0; i < xy.length; i++) { var j = (i + 1) % xy.length; s += xy[i][0] * xy[j][1] - xy[j][0] * xy[i][1]; }
    return Math.abs(s) / 2;
  }
  function pathLength(xy, closed) {
    var s = 0, n = closed ? xy.length : xy.length - 1;
    for (var i = 0; i < n; i++) { var j = (i + 1) % xy.length; s += Math.hypot(xy[j][0] - xy[i][0], xy[j][1] - xy[i][1]); }
    return s;
  }
  /* Return {length, area} in metres / m² of a GeoJSON geometry. */
  SM.measure = function (geometry) {
    var polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    var lines = geometry.type === "LineString" ? [geometry.coordinates] : geometry.type === "MultiLineString" ? geometry.coordinates : [];
    var first = (polys[0] && polys[0][0] && polys[0][0][0]) || (lines[0] && lines[0][0]);
    if (!first) { return { length: 0, area: 0 }; }
    var proj = projector(first[1], first[0]);
    var area = 0, length = 0;
    polys.forEach(function (rings) {
      rings.forEach(function (ring, i) {
        var xy = ring.map(proj);
        area += (i === 0 ? 1 : -1) * ringArea(xy);
        if (i === 0) { length += pathLength(xy, true); }
      });
    });
    lines.forEach(function (line) { length += pathLength(line.map(proj), false); });
    return { length: length, area: area };
  };
  function fmt(value, digits) { return value.toLocaleString(undefined, { maximumFractionDigits: digits }); }
  function showMeasure(geometry) {
    if (!geometry) { ui.measure.textContent = ""; return; }
    var m = SM.measure(geometry);
    var parts = [];
    if (m.length) { parts.push(t("length") + " " + (m.length >= 1000 ? fmt(m.length / 1000, 3) + " km" : fmt(m.length, 1) + " m")); }
    if (/Polygon/.test(geometry.type)) {
      parts.push(t("area") + " " + fmt(m.area, m.area > 100 ? 0 : 1) + " m²（" + fmt(m.area / (10000 / 15), 2) + " " + t("mu") + "）");
    }
    ui.measure.textContent = parts.join(" · ");
  }
  function latlngsToCoords(latlngs) { return latlngs.map(function (ll) { return [ll.lng, ll.lat]; }); }
  function measureWorking(cursor) {
    if (!session || !session.working) { return; }
    var pts = latlngsToCoords(session.working.getLatLngs());
    if (cursor) { pts.push([cursor.lng, cursor.lat]); }
    if (pts.length < 2) { showMeasure(null); return; }
    var polygon = session.shape === "Polygon" || session.shape === "Cut";
    showMeasure(polygon && pts.length > 2 ? { type: "Polygon", coordinates: [pts.concat([pts[0]])] }
                                          : { type: "LineString", coordinates: pts });
  }

  /* ---------- drafts ---------- */
  function geometryOf(layer) {
    var gj = layer.toGeoJSON(7);
    if (gj.type !== "FeatureCollection") { return gj.geometry; }
    var polys = [];
    gj.features.forEach(function (f) {
      if (f.geometry.type === "Polygon") { polys.push(f.geometry.coordinates); }
      else if (f.geometry.type === "MultiPolygon") { polys = polys.concat(f.geometry.coordinates); }
    });
    return polys.length === 1 ? { type: "Polygon", coordinates: polys[0] } : { type: "MultiPolygon", coordinates: polys };
  }
  function makeDraft(geometry) {
    var group = L.geoJSON(geometry, {
      style: DRAFT_STYLE, pmIgnore: false, renderer: SM.editRenderer,
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, Object.assign({ radius: 8, pmIgnore: false, renderer: SM.editRenderer }, DRAFT_STYLE)); }
    });
    var layer = group.getLayers()[0];
    layer.addTo(map);
    return layer;
  }
  function setDraft(geometry, withEditing) {
    if (session.draft) { if (session.draft.pm) { session.draft.pm.disable(); } session.draft.remove(); }
    session.draft = makeDraft(geometry);
    session.geometry = geometry;
    if (withEditing) { enableShapeEditing(); }
    showMeasure(geometry);
  }
  function enableShapeEditing() {
    var draft = session.draft;
    if (session.mode === "move" && draft.pm.enableLayerDrag && !(draft instanceof L.CircleMarker)) { draft.pm.enableLayerDrag(); }
    else { draft.pm.enable(Object.assign({ allowSelfIntersection: true }, SNAP)); }
    draft.on("pm:edit pm:dragend", function () {
      session.geometry = geometryOf(draft);
      session.undo.push(session.geometry);
      showMeasure(session.geometry);
    });
    draft.on("pm:markerdrag pm:drag", function () { showMeasure(geometryOf(draft)); });
  }

  /* ---------- session lifecycle ---------- */
  function begin(mode, cfg, extra) {
    if (session) { SM.status(t("busy"), true); return null; }
    session = Object.assign({ mode: mode, cfg: cfg, undo: [] }, extra || {});
    map.closePopup();
    map.getContainer().classList.add("map-editing");
    setHint(mode);
    return session;
  }
  function end(keepOriginalHidden) {
    if (!session) { return; }
    var s = session;
    session = null;
    if (map.pm.globalDrawModeEnabled()) { map.pm.disableDraw(); }
    if (s.draft) { if (s.draft.pm) { s.draft.pm.disable(); if (s.draft.pm.disableLayerDrag) { s.draft.pm.disableLayerDrag(); } } s.draft.remove(); }
    if (s.fid !== undefined) {
      delete SM.pinned[s.cfg.id][s.fid];
      if (s.hidden && !keepOriginalHidden && s.feature) { SM.addFeature(s.cfg, s.feature); }
    }
    map.getContainer().classList.remove("map-editing");
    showMeasure(null);
    setHint(null);
  }
  function cancel() { SM.clearOverlay(); end(); }
  /* Finish a session with the saved (or their) feature on the map; null when it is gone. */
  function finish(feature) {
    var s = session;
    end(true);
    if (!s) { return; }
    if (feature) { SM.addFeature(s.cfg, feature); } else if (s.fid !== undefined) { SM.removeFeature(s.cfg.id, s.fid); }
  }
  function setHint(mode) {
    var key = { draw: "edit_hint", shape: "shape_hint", move: "move_hint", cut: "cut_hint", split: "split_hint" }[mode] || "edit_hint";
    ui.hint.textContent = t(key);
    var editing = mode === "shape" || mode === "move" || mode === "cut-done";
    var drawing = mode === "draw" || mode === "cut" || mode === "split";
    ui.save.hidden = !editing;
    ui.finish.hidden = !drawing;
    ui.cancel.hidden = !(editing || drawing);
    ui.panel.classList.toggle("active", !!mode);
  }

  /* ---------- drawing a new feature ---------- */
  var SHAPES = { Point: ["CircleMarker"], LineString: ["Line"], MultiLineString: ["Line"], Polygon: ["Polygon"],
                 MultiPolygon: ["Polygon"], Geometry: ["CircleMarker", "Line", "Polygon"] };
  var SHAPE_LABEL = { CircleMarker: "draw_point", Line: "draw_line", Polygon: "draw_polygon" };

  function startDraw(cfg, shape) {
    if (!begin("draw", cfg, { shape: shape })) { return; }
    map.pm.enableDraw(shape, Object.assign({ allowSelfIntersection: true, continueDrawing: false,
      templineStyle: { color: DRAFT_STYLE.color }, hintlineStyle: { color: DRAFT_STYLE.color, dashArray: "5 5" },
      pathOptions: DRAFT_STYLE }, SNAP));
  }
  map.on("pm:drawstart", function (e) { if (session) { session.working = e.workingLayer; } });
  map.on("mousemove", function (e) { if (session && session.working && map.pm.globalDrawModeEnabled()) { measureWorking(e.latlng); } });
  map.on("pm:create", function (e) {
    var geometry = e.layer.toGeoJSON(7).geometry;
    e.layer.remove();
    if (!session) { return; }
    session.working = null;
    if (session.mode === "draw") { afterDraw(geometry); } else if (session.mode === "split") { afterSplitLine(geometry); }
  });
  map.on("pm:cut", function (e) {
    if (!session || session.mode !== "cut") { return; }
    var geometry = geometryOf(e.layer);
    e.layer.remove();
    session.mode = "cut-done";
    session.draft = null;  // Geoman removed the old draft
    setDraft(geometry, false);
    session.undo.push(geometry);
    setHint("cut-done");
  });

  function afterDraw(geometry) {
    var cfg = session.cfg;
    session.mode = "form";
    setHint("form");
    setDraft(geometry, false);
    SM.editAttributes({
      layerCfg: cfg, title: t("new_feature") + " · " + cfg.title, props: {}, onCancel: cancel,
      onSubmit: function (values, dialog, form) {
        SM.save({ layerCfg: cfg, method: "POST", body: { type: "Feature", geometry: session.geometry, properties: values },
                  baseProps: values, form: form, dialog: dialog, onSaved: finish,
                  onRepaired: function (g) { setDraft(g, false); } });
      }
    });
  }

  /* ---------- working on an existing feature ---------- */
  function startExisting(mode, cfg, fid) {
    if (!begin(mode, cfg, { fid: fid })) { return; }
    SM.fetchFeature(cfg, fid).then(function (found) {
      session.feature = found.feature;
      session.etag = found.etag;
      if (mode === "attributes") { return editAttributes(); }
      if (mode === "delete") { return confirmDelete(); }
      SM.pinned[cfg.id][fid] = true;
      SM.removeFeature(cfg.id, fid);
      session.hidden = true;
      session.undo = [found.feature.geometry];
      setDraft(found.feature.geometry, mode === "shape" || mode === "move");
      if (mode === "cut") {
        map.pm.enableDraw("Cut", Object.assign({ layersToCut: [session.draft], allowSelfIntersection: false }, SNAP));
        session.shape = "Cut";
      } else if (mode === "split") {
        map.pm.enableDraw("Line", Object.assign({ templineStyle: { color: "#0050ff" }, hintlineStyle: { color: "#0050ff", dashArray: "5 5" } }, SNAP));
        session.shape = "Line";
      }
    }).catch(function (err) { SM.status(err.message, true); end(); });
  }

  function saveOp(extra) {
    var s = session;
    return Object.assign({ layerCfg: s.cfg, fid: s.fid, etag: s.etag, baseProps: s.feature.properties,
                           baseGeometry: s.feature.geometry, onSaved: finish, onTakeTheirs: finish }, extra);
  }
  function saveGeometry() {
    if (!session || !session.draft) { return; }
    SM.save(saveOp({ method: "PATCH", body: { geometry: session.geometry },
                     onRepaired: function (g) { setDraft(g, session.mode !== "cut-done"); } }));
  }
  function editAttributes() {
    var s = session;
    SM.editAttributes({
      layerCfg: s.cfg, title: t("attributes_of") + " · " + s.cfg.title, props: s.feature.properties, onCancel: cancel,
      onSubmit: function (values, dialog, form) {
        SM.save(saveOp({ method: "PATCH", body: { properties: values }, form: form, dialog: dialog }));
      }
    });
  }
  function confirmDelete() {
    SM.openDialog({ title: t("delete"), body: el("p", { text: t("confirm_delete") }), onClose: function () { if (session && session.mode === "delete" && !session.deleting) { cancel(); } },
      buttons: [
        { label: t("delete"), className: "danger", action: "confirm-delete", onClick: function (d) {
          session.deleting = true;
          d.close();
          SM.save(saveOp({ method: "DELETE", onSaved: function () { finish(null); SM.status(t("deleted_done")); } }));
        } },
        { label: t("cancel"), action: "cancel", onClick: function (d) { d.close(); } }
      ] });
  }

  var PART_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"];
  function afterSplitLine(line) {
    var s = session;
    SM.request("POST", SM.config.urls.split, { geometry: s.feature.geometry, line: line }).then(function (resp) {
      if (!resp.ok) {
        SM.status((resp.body && resp.body.message) || String(resp.status), true);
        map.pm.enableDraw("Line", SNAP);  // draw the line again
        return;
      }
      var parts = resp.body.parts;
      SM.clearOverlay();
      parts.forEach(function (p, i) {
        SM.overlay.addLayer(L.geoJSON(p.geometry, { interactive: false, renderer: SM.editRenderer,
          style: { color: PART_COLOURS[i % PART_COLOURS.length], weight: 3, fillOpacity: 0.4 } }));
      });
      var areas = parts.map(function (p) { return fmt(p.area_m2, 0) + " m²"; }).join("、");
      SM.openDialog({ title: t("split"), className: "split-dialog", body: el("p", { text: t("split_result", { n: parts.length, areas: areas }) }),
        onClose: function () { if (session === s && !s.splitting) { cancel(); } },
        buttons: [
          { label: t("save"), className: "primary", action: "confirm-split", onClick: function (d) { s.splitting = true; d.close(); saveSplit(parts); } },
          { label: t("cancel"), action: "cancel", onClick: function (d) { d.close(); } }
        ] });
    });
  }
  function saveSplit(parts) {
    // One request, one transaction: the feature keeps the first (largest) part, the others become new
    // features with its attributes — all saved or none (a stale version opens the conflict dialog).
    var s = session;
    SM.save(saveOp({ method: "POST", url: SM.itemUrl(s.cfg, s.fid) + "/split",
                     body: { parts: parts.map(function (p) { return p.geometry; }) },
                     mineGeometry: { type: "GeometryCollection", geometries: parts.map(function (p) { return p.geometry; }) },
                     onSaved: function (collection) {
                       var saved = collection.features || [];
                       finish(saved[0] || null);
                       saved.slice(1).forEach(function (f) { SM.addFeature(s.cfg, f); });
                       SM.status(t("split_saved", { n: saved.length }));
                     } }));
  }

  /* ---------- keyboard ---------- */
  function drawer() { var shape = map.pm.Draw.getActiveShape(); return shape ? map.pm.Draw[shape] : null; }
  function finishDrawing() { var d = drawer(); if (d && d._finishShape) { d._finishShape(); } }
  function undo() {
    var d = drawer();
    if (d && d._removeLastVertex) {
      var shape = map.pm.Draw.getActiveShape();
      d._removeLastVertex();
      if (!map.pm.globalDrawModeEnabled()) { map.pm.enableDraw(shape, d.options); }  // undid the first vertex
      measureWorking(null);
      return;
    }
    if (session.draft && session.undo.length > 1) {
      session.undo.pop();
      setDraft(session.undo[session.undo.length - 1], session.mode === "shape" || session.mode === "move");
    }
  }
  document.addEventListener("keydown", function (e) {
    if (!session || document.querySelector("dialog[open]")) { return; }
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName)) { return; }
    if (e.key === "Escape") { e.preventDefault(); cancel(); }
    else if (e.key === "Enter") {
      e.preventDefault();
      if (map.pm.globalDrawModeEnabled()) { finishDrawing(); } else if (!ui.save.hidden) { saveGeometry(); }
    } else if ((e.ctrlKey || e.metaKey) && (e.key === "z" || e.key === "Z")) { e.preventDefault(); undo(); }
  });

  /* ---------- the panel and the popup buttons ---------- */
  function drawButtons() {
    var cfg = SM.layerCfg(ui.layer.value);
    ui.draw.textContent = "";
    (SHAPES[cfg.geometry_type] || SHAPES.Geometry).forEach(function (shape) {
      ui.draw.appendChild(el("button", { type: "button", class: "draw-" + shape.toLowerCase(), dataset: { draw: shape },
        text: t(SHAPE_LABEL[shape]), onclick: function () { startDraw(cfg, shape); } }));
    });
  }
  var EditControl = L.Control.extend({
    options: { position: "topleft" },
    onAdd: function () {
      ui.layer = el("select", { id: "edit-layer", onchange: drawButtons },
        editable.map(function (l) { return el("option", { value: l.id, text: l.title }); }));
      ui.draw = el("div", { class: "draw-buttons" });
      ui.hint = el("p", { class: "edit-hint muted" });
      ui.measure = el("div", { id: "measure-box", class: "measure", "aria-live": "polite" });
      ui.finish = el("button", { type: "button", class: "primary", dataset: { action: "finish" }, text: t("finish"), onclick: finishDrawing });
      ui.save = el("button", { type: "button", class: "primary", dataset: { action: "save-shape" }, text: t("save"), onclick: saveGeometry });
      ui.cancel = el("button", { type: "button", dataset: { action: "cancel-edit" }, text: t("cancel"), onclick: cancel });
      var extras = el("div", { class: "edit-extras" });
      if (SM.config.user.is_admin && SM.showDeleted) {
        extras.appendChild(el("button", { type: "button", dataset: { action: "deleted" }, text: t("deleted_features"),
          onclick: function () { SM.showDeleted(SM.layerCfg(ui.layer.value)); } }));
      }
      if (SM.config.user.can_manage_layers) {
        extras.appendChild(el("button", { type: "button", dataset: { action: "manage-layers" }, text: t("manage_layers"),
          onclick: function () { if (SM.openLayerManager) { SM.openLayerManager(); } } }));
      }
      ui.panel = el("div", { class: "edit-panel leaflet-bar", id: "edit-panel" }, [
        el("h2", { text: t("edit") }), el("label", { for: "edit-layer", text: t("edit_layer") }), ui.layer, ui.draw,
        ui.hint, ui.measure, el("div", { class: "session-buttons" }, [ui.finish, ui.save, ui.cancel]), extras]);
      L.DomEvent.disableClickPropagation(ui.panel);
      L.DomEvent.disableScrollPropagation(ui.panel);
      return ui.panel;
    }
  });
  new EditControl().addTo(map);
  drawButtons();
  setHint(null);

  SM.popupExtras.push(function (box, cfg, feature) {
    if (!cfg.can_edit) { return; }
    var actions = [["attributes", "edit_attributes"], ["shape", "edit_shape"], ["move", "move"]];
    if (/Polygon/.test(cfg.geometry_type)) { actions.push(["cut", "cut_hole"], ["split", "split"]); }
    actions.push(["delete", "delete"]);
    actions.forEach(function (a) {
      box.appendChild(el("button", { type: "button", class: "edit-action", dataset: { action: a[0] }, text: t(a[1]),
        onclick: function () { startExisting(a[0], cfg, feature.id); } }));
    });
  });

  window.mapEdit = {
    session: function () { return session ? { mode: session.mode, layer: session.cfg.id, fid: session.fid } : null; },
    draw: startDraw, start: startExisting, cancel: cancel
  };
})();

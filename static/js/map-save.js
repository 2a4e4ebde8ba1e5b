/* Saving edits through OGC API – Features Part 4: one request per save, with
 * If-Match and the CSRF header.  412 opens the conflict dialog (their version
 * beside mine: keep mine / take theirs / reload); 422 names the failing field
 * in the form, or for geometry shows the reason, marks the place on the map
 * and offers a repair the user confirms after seeing it drawn. */
(function () {
  "use strict";

  var SM = window.ShifengMap;
  var el = SM.el;
  var map = SM.map;
  var GEOMETRY_CODES = ["invalid_geometry", "wrong_geometry_type", "outside_district", "non_finite_coordinate",
                        "too_many_vertices", "bad_geometry", "empty_geometry", "missing_geometry"];
  SM.editRenderer = SM.editRenderer || L.svg({ padding: 0.5 });  // drafts and overlays: SVG, so Geoman can drag them
  SM.overlay = L.featureGroup().addTo(map);   // conflict / repair / problem drawings

  SM.clearOverlay = function () {
    SM.overlay.clearLayers();
    window.mapProblemLocation = null;
  };

  SM.itemUrl = function (layerCfg, fid) {
    return layerCfg.items_url + (fid === null || fid === undefined ? "" : "/" + encodeURIComponent(fid));
  };

  /* Fetch one feature with its ETag: resolves {feature, etag} or rejects with a message. */
  SM.fetchFeature = function (layerCfg, fid) {
    return SM.request("GET", SM.itemUrl(layerCfg, fid)).then(function (resp) {
      if (!resp.ok) { throw new Error(resp.body && resp.body.message || String(resp.status)); }
      return { feature: resp.body, etag: resp.etag };
    });
  };

  function drawShape(geometry, style) {
    if (!geometry) { return null; }
    var shape = L.geoJSON(geometry, {
      style: style, interactive: false, renderer: SM.editRenderer,
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, Object.assign({ radius: 9 }, style)); }
    });
    SM.overlay.addLayer(shape);
    return shape;
  }

  function report(op, message) {
    if (op.dialog && !op.dialog.closed) { op.dialog.setMessage(message, true); }
    else { SM.openDialog({ title: SM.t("save_failed"), body: el("p", { text: message }),
                           buttons: [{ label: SM.t("close"), onClick: function (d) { d.close(); } }] }); }
    SM.status(SM.t("save_failed") + "：" + message, true);
  }

  /* Run one save; op = {layerCfg, method, fid, etag, body, baseProps, baseGeometry, form, dialog,
   * onSaved(feature, etag), onTakeTheirs(feature, etag), onRepaired(geometry)}. */
  SM.save = function (op) {
    var url = op.url || (op.method === "POST" ? SM.itemUrl(op.layerCfg) : SM.itemUrl(op.layerCfg, op.fid));
    if (op.dialog) { op.dialog.setBusy(true); }
    return SM.request(op.method, url, op.method === "DELETE" ? null : op.body, op.etag).then(function (resp) {
      if (op.dialog) { op.dialog.setBusy(false); }
      if (resp.ok) {
        SM.clearOverlay();
        if (op.dialog) { op.dialog.saved = true; op.dialog.close(); }
        SM.status(SM.t("saved"));
        op.onSaved(resp.body, resp.etag);
        return;
      }
      var body = resp.body || {};
      if (resp.status === 412 && body.code === "stale_version") { showConflict(op, body); return; }
      if (body.field === "geometry" || GEOMETRY_CODES.indexOf(body.code) >= 0) { showGeometryProblem(op, body); return; }
      if (body.field && op.form && op.form.markError(body.field, body.message)) {
        op.dialog.setMessage(SM.t("field_error"), true);
        return;
      }
      report(op, body.message || String(resp.status));
    });
  };

  /* Geometries equal by value (type and every coordinate within 1e-9°), not by their JSON text: the
   * 412 answer and the GET of the same geometry may order keys differently. */
  SM.sameGeometry = SM.sameGeometry || function (a, b) {
    function coords(x, y) {
      if (typeof x === "number" || typeof y === "number") {
        return typeof x === "number" && typeof y === "number" && Math.abs(x - y) <= 1e-9;
      }
      if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) { return false; }
      return x.every(function (v, i) { return coords(v, y[i]); });
    }
    if (!a || !b) { return !a && !b; }
    if (a.type !== b.type) { return false; }
    if (a.type === "GeometryCollection") {
      return (a.geometries || []).length === (b.geometries || []).length &&
        a.geometries.every(function (g, i) { return SM.sameGeometry(g, b.geometries[i]); });
    }
    return coords(a.coordinates, b.coordinates);
  };

  function valueCell(layerCfg, name, value) {
    return el("td", { text: SM.displayValue(layerCfg, name, value) });
  }

  function showConflict(op, body) {
    var theirs = body.current || { properties: {}, geometry: null };
    var mineProps = Object.assign({}, op.baseProps || {}, (op.body && op.body.properties) || {});
    var mineGeometry = op.mineGeometry || (op.body && op.body.geometry) || op.baseGeometry || null;
    var sameGeometry = SM.sameGeometry(theirs.geometry, mineGeometry);
    SM.clearOverlay();
    drawShape(theirs.geometry, { color: "#ff7f00", weight: 3, dashArray: "6 4", fillOpacity: 0.1 });
    SM.fieldsFor(op.layerCfg).then(function (fields) {
      var table = el("table", { class: "conflict-table" }, [el("thead", {}, [el("tr", {}, [
        el("th", { text: SM.t("field") }), el("th", { text: SM.t("theirs") + (body.updated_by ? "（" + body.updated_by + "）" : "") }),
        el("th", { text: SM.t("mine") })])])]);
      var tbody = el("tbody");
      fields.forEach(function (f) {
        var mine = op.method === "DELETE" ? SM.t("mine_deleted") : null;
        var row = el("tr", { dataset: { field: f.name } }, [el("th", { text: f.title || f.name }),
          valueCell(op.layerCfg, f.name, theirs.properties[f.name]),
          mine ? el("td", { text: mine }) : valueCell(op.layerCfg, f.name, mineProps[f.name])]);
        if (mine || JSON.stringify(theirs.properties[f.name]) !== JSON.stringify(mineProps[f.name])) { row.classList.add("differs"); }
        tbody.appendChild(row);
      });
      tbody.appendChild(el("tr", { class: sameGeometry ? "" : "differs", dataset: { field: "geometry" } }, [
        el("th", { text: SM.t("geometry") }),
        el("td", { colspan: "2", text: SM.t(sameGeometry ? "geometry_same" : "geometry_changed") })]));
      table.appendChild(tbody);
      var intro = el("p", { text: SM.t("conflict_text", { user: body.updated_by || "?" }) });
      SM.openDialog({
        title: SM.t("conflict_title"), className: "conflict-dialog", body: el("div", {}, [intro, table]),
        buttons: [
          { label: SM.t("keep_mine"), className: "primary", action: "keep-mine", onClick: function (d) {
            d.close();
            SM.save(Object.assign({}, op, { etag: body.etag }));
          } },
          { label: SM.t("take_theirs"), action: "take-theirs", onClick: function (d) {
            d.close();
            SM.clearOverlay();
            if (op.dialog) { op.dialog.saved = true; op.dialog.close(); }
            if (op.onTakeTheirs) { op.onTakeTheirs(body.current, body.etag); }
          } },
          { label: SM.t("reload"), action: "reload", onClick: function () { window.location.reload(); } }
        ]
      });
    });
  }

  function showGeometryProblem(op, body) {
    SM.clearOverlay();
    if (body.location && body.location.coordinates) {
      var lonlat = body.location.coordinates;
      var marker = L.circleMarker([lonlat[1], lonlat[0]], {
        radius: 14, color: "#d00000", weight: 3, fillColor: "#ff0000", fillOpacity: 0.35,
        className: "problem-marker", renderer: SM.editRenderer, interactive: false
      });
      SM.overlay.addLayer(marker);
      window.mapProblemLocation = lonlat;
      map.panTo([lonlat[1], lonlat[0]]);
    }
    var text = el("p", { class: "geometry-reason", text: body.message || "" });
    var canRepair = body.code === "invalid_geometry" && op.body && op.body.geometry;
    var buttons = [{ label: SM.t("close"), action: "close", onClick: function (d) { d.close(); } }];
    if (canRepair) {
      buttons.unshift({ label: SM.t("repair"), className: "primary", action: "repair", onClick: function (d) { previewRepair(op, d); } });
    }
    SM.openDialog({ title: SM.t("invalid_geometry"), className: "geometry-dialog", body: text, buttons: buttons });
  }

  function previewRepair(op, problemDialog) {
    problemDialog.setBusy(true);
    SM.request("POST", SM.config.urls.repair, { geometry: op.body.geometry }).then(function (resp) {
      problemDialog.close();
      if (!resp.ok) { report(op, (resp.body && resp.body.message) || String(resp.status)); return; }
      var fixed = resp.body;
      SM.clearOverlay();
      var shape = drawShape(fixed.geometry, { color: "#00a000", weight: 3, dashArray: "5 5", fillColor: "#00ff00", fillOpacity: 0.25 });
      window.mapRepairPreview = fixed.geometry;
      if (shape) { map.fitBounds(shape.getBounds(), { maxZoom: map.getZoom() }); }
      var text = SM.t("repair_result", { type: fixed.geometry_type, parts: fixed.parts,
                                         area: fixed.area_m2.toLocaleString(), mu: fixed.area_mu.toLocaleString() });
      SM.openDialog({
        title: SM.t("repair"), className: "repair-dialog", body: el("p", { text: text }),
        buttons: [
          { label: SM.t("repair_confirm"), className: "primary", action: "confirm-repair", onClick: function (d) {
            d.close();
            var body = Object.assign({}, op.body, { geometry: fixed.geometry });
            if (op.onRepaired) { op.onRepaired(fixed.geometry); }
            SM.save(Object.assign({}, op, { body: body }));
          } },
          { label: SM.t("cancel"), action: "cancel", onClick: function (d) { d.close(); SM.clearOverlay(); } }
        ]
      });
    });
  }
})();
